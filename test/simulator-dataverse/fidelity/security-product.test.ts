// The product's own Dataverse paths under a customer-like role set, not organisation-wide
// privileges: the seeded agents hold TapiInterface User (our solution's role) and a
// "Salesperson" role at user depth on activities; the manager's account holds TapiManager
// Account. Each path below is the product's code (src/dataverse, src/client), over real HTTP.
// Depths: https://learn.microsoft.com/power-platform/admin/security-roles-privileges#access-levels
// Impersonation: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/impersonate-another-user-web-api
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { isLookup } from '../../../simulator/dataverse/store.ts';
import { readManagerUrl } from '../../../src/client/crm/manager-url.ts';
import { WebApiHost } from '../../../src/client/crm/webapi.ts';
import { clientSchemaNames } from '../../../src/client/schema-names.ts';
import { missingPrivileges, requiredPrivileges } from '../../../src/dataverse/check.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { connect, type Connection } from '../../../src/dataverse/connection.ts';
import { DataverseDirectorySource } from '../../../src/dataverse/directory/dataverse-source.ts';
import { callLogWrite, phoneCallWrite } from '../../../src/dataverse/outbox/records.ts';
import { dataverseTransport } from '../../../src/dataverse/outbox/transport.ts';
import { createRepositories } from '../../../src/dataverse/repositories/index.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';
import { onPremise } from '../../dataverse/support/sim.ts';
import { api, startSim, user, userToken } from '../support.ts';

let dv: SimulatedDataverse;
let manager: Connection;
const schema = createSchema();

beforeAll(async () => {
  dv = await startSim();
  manager = await connect(parseConnectionConfig(onPremise(dv), 'test'));
});
afterAll(async () => {
  await manager?.client.close();
  await dv?.close();
});

const contactOf = (owner: string): string => String([...dv.store.all('contact')].find((c) => isLookup(c['ownerid']) && c['ownerid'].id !== owner)?.['contactid']);

describe('the seeded role set', () => {
  it('agents hold activities at user (Basic) depth only, reads of the records a call can match organisation-wide', async () => {
    const anna = user(dv, 'aschmidt');
    const held = await manager.client.retrieveUserPrivileges(anna.systemuserid);
    const depth = (name: string): string[] => held.filter((p) => p.PrivilegeName === name).map((p) => p.Depth);
    for (const verb of ['Create', 'Read', 'Write', 'Append']) expect(depth(`prv${verb}Activity`)).toEqual(['Basic']);
    expect(held.filter((p) => p.PrivilegeName.endsWith('Activity') && p.Depth !== 'Basic')).toEqual([]);
    expect(depth('prvReadContact')).toEqual(['Global']);
    expect(held.map((p) => p.PrivilegeName)).not.toContain('prvActOnBehalfOfAnotherUser');
  });

  it('the manager\'s account holds everything `crm-tapi check` requires', async () => {
    const held = await manager.client.retrieveUserPrivileges((await manager.client.whoAmI()).UserId);
    expect(missingPrivileges(held, requiredPrivileges())).toEqual([]);
  });
});

describe('the manager writes on behalf of the agent', () => {
  it('a phone call written by the manager impersonating the agent is the agent\'s; the call log entry pointing at it is the manager\'s', async () => {
    const anna = user(dv, 'aschmidt');
    const contact = contactOf(anna.systemuserid);
    const transport = dataverseTransport(manager.client);
    const call = phoneCallWrite({ subject: 'Anruf von Kunde', direction: 'incoming', phoneNumber: '+49 341 1234567', agent: { systemUserId: anna.systemuserid }, party: { entity: 'contact', id: contact }, start: new Date(dv.clock.now()) });
    expect(await transport.deliver(call)).toBe('created');
    const stored = dv.store.get('phonecall', call.id);
    expect(stored?.['ownerid']).toMatchObject({ id: anna.systemuserid });
    expect(stored?.['createdby']).toMatchObject({ id: anna.systemuserid });
    expect(stored?.['regardingobjectid']).toMatchObject({ id: contact });
    const log = callLogWrite(schema, { number: '+49 341 1234567', line: 'Anna', start: new Date(dv.clock.now()), direction: 'incoming', missed: false, userId: anna.systemuserid, phoneCallId: call.id });
    expect(await transport.deliver(log)).toBe('created');
    const whoami = await manager.client.whoAmI();
    expect(dv.store.get(schema.callLog.logicalName, log.id)?.['ownerid']).toMatchObject({ id: whoami.UserId });
  });

  it('the agent reads their own phone call; another agent neither retrieves it (403 0x80048306) nor finds it in a query', async () => {
    const anna = user(dv, 'aschmidt');
    const call = phoneCallWrite({ subject: 'Rückruf', direction: 'outgoing', phoneNumber: '+49 30 1', agent: { systemUserId: anna.systemuserid }, start: new Date(dv.clock.now()) });
    await dataverseTransport(manager.client).deliver(call);
    const asAnna = api(dv, await userToken(dv, 'aschmidt'));
    expect((await asAnna(`phonecalls(${call.id})?$select=subject`)).body.subject).toBe('Rückruf');
    const asLukas = api(dv, await userToken(dv, 'lbecker'));
    const denied = await asLukas(`phonecalls(${call.id})?$select=subject`);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('0x80048306');
    const listed = await asLukas(`phonecalls?$select=activityid&$filter=activityid eq ${call.id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.value).toEqual([]);
  });
});

describe('reads', () => {
  it('the directory reads every contact with the manager\'s application user (organisation-wide)', async () => {
    const source = new DataverseDirectorySource(manager.client);
    const ids: string[] = [];
    await source.readAll({ entity: 'contact', fields: ['telephone1', 'mobilephone'] }, (page) => { for (const r of page) ids.push(r.id); });
    expect(ids.length).toBe([...dv.store.all('contact')].length);
  });

  it('an agent\'s line search (the client\'s own query, as the signed-in user) finds the default and site records the manager owns', async () => {
    const repos = createRepositories(manager.client, schema);
    const { default: def } = await repos.lineConfigs.ensureDefaultAndSite({ webSocketUrl: 'wss://manager.contoso.example:8080', tapiPort: 4505, managerHost: 'manager' });
    expect(dv.store.get(schema.lineConfig.logicalName, def.id)?.['ownerid']).toMatchObject({ id: (await manager.client.whoAmI()).UserId });
    const anna = user(dv, 'aschmidt');
    const token = await userToken(dv, 'aschmidt');
    const host = new WebApiHost({ orgUrl: dv.url, token: () => Promise.resolve(token), open: () => undefined });
    expect(await readManagerUrl(host, anna.systemuserid, clientSchemaNames())).toBe('wss://manager.contoso.example:8080');
  });

  it('the agent creates the identity-proof session record as themself, and the manager reads it back', async () => {
    const anna = user(dv, 'aschmidt');
    const token = await userToken(dv, 'aschmidt');
    const host = new WebApiHost({ orgUrl: dv.url, token: () => Promise.resolve(token), open: () => undefined });
    const cs = clientSchemaNames().clientSession;
    const id = await host.createRecord(cs.logicalName, { [cs.name]: 'session t', [cs.nonce]: 'n-1', [cs.clientInstance]: 't' });
    const proven = await createRepositories(manager.client, schema).sessions.verify(id, { nonce: 'n-1', now: dv.clock.now() });
    expect(proven.userId).toBe(anna.systemuserid);
  });
});
