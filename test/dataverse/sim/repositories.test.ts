// The repositories against the simulated Dataverse: line configuration
// records created once and never modified, users/roles/teams, shares, the
// client-session identity proof and settings.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { connect, type Connection } from '../../../src/dataverse/connection.ts';
import { createRepositories, RecordError, type Repositories } from '../../../src/dataverse/repositories/index.ts';
import { createSchema, LINE_CONFIG_KIND, SETTING_DATA_TYPE } from '../../../src/dataverse/schema.ts';
import { ADMIN, AGENT, onPremise } from '../support/sim.ts';

let dv: SimulatedDataverse;
let manager: Connection;
let agent: Connection;
let repos: Repositories;
/** Roles, teams and shares are read with the manager's account, privileges enforced as in Dataverse. */
let adminRepos: Repositories;
let admin: Connection;
const schema = createSchema();
const f = schema.lineConfig.fields;

function seed<T>(file: string): T[] {
  return (JSON.parse(readFileSync(new URL(`../../../fixtures/crm/seed/${file}`, import.meta.url), 'utf8')) as { records: T[] }).records;
}

beforeAll(async () => {
  dv = await startSimulatedDataverse({ port: 0 });
  manager = await connect(parseConnectionConfig(onPremise(dv), 'test'));
  agent = await connect(parseConnectionConfig(onPremise(dv, AGENT.sam, AGENT.password), 'test'));
  admin = await connect(parseConnectionConfig(onPremise(dv), 'test'));
  repos = createRepositories(manager.client, schema);
  adminRepos = createRepositories(admin.client, schema);
});
afterAll(async () => {
  await manager.client.close();
  await agent.client.close();
  await admin.client.close();
  await dv.close();
});

const defaults = { webSocketUrl: 'wss://tapimanagerserver.domain.local:8080', tapiPort: 4505, managerHost: 'tapimanagerserver' };

describe('line configuration records', () => {
  it('creates the default and the site record on the first connection, and nothing after that', async () => {
    const first = await repos.lineConfigs.ensureDefaultAndSite(defaults);
    expect(first.created).toEqual(['default', 'site']);
    expect(first.default).toMatchObject({ kind: 'default', name: 'Standard', webSocketUrl: defaults.webSocketUrl, tapiPort: 4505, managerHost: 'tapimanagerserver' });
    expect(first.default.dialing).toMatchObject({ internationalPrefix: '00', nationalPrefix: '0', countryCode: '49' });
    expect(first.site).toMatchObject({ kind: 'site', name: 'Standort', parentId: first.default.id });
    expect(first.site.dialing.maxInternalLength).toBe(3);

    // An admin edits the default record; the manager must leave it alone.
    await manager.client.update(schema.lineConfig.entitySet, first.default.id, { [f.areaCode]: '34361' });
    const second = await repos.lineConfigs.ensureDefaultAndSite({ ...defaults, webSocketUrl: 'wss://other:9999' });
    expect(second.created).toEqual([]);
    expect(second.default.id).toBe(first.default.id);
    expect(second.default.webSocketUrl).toBe(defaults.webSocketUrl);
    expect(second.default.dialing.areaCode).toBe('34361');
    expect((await repos.lineConfigs.listAll()).filter((r) => r.kind !== 'userLine')).toHaveLength(2);
  });

  it('creates one user line record per reported line, under the site, and returns all records of a shared line', async () => {
    const { site } = await repos.lineConfigs.ensureDefaultAndSite(defaults);
    const a = await repos.lineConfigs.ensureUserLine('hicom.abc.de', '25', site.id, 'TAPI-Line_HS_25');
    expect(a.created).toBe(true);
    expect(a.records[0]).toMatchObject({ kind: 'userLine', name: 'hicom.abc.de:25', line: 'hicom.abc.de:25', connectorHost: 'hicom.abc.de', lineDisplayName: 'TAPI-Line_HS_25', parentId: site.id });
    const again = await repos.lineConfigs.ensureUserLine('hicom.abc.de', '25', site.id);
    expect(again).toMatchObject({ created: false });
    expect(again.records.map((r) => r.id)).toEqual([a.records[0]?.id]);

    // "Several users, one line": an admin adds a second record by hand; both belong to the line.
    await manager.client.create(schema.lineConfig.entitySet, {
      [f.name]: 'Schichtdienst', [f.kind]: LINE_CONFIG_KIND.userLine, [f.line]: 'hicom.abc.de:25',
      [`${f.user}@odata.bind`]: `/systemusers(${AGENT.id})`, [f.openPhoneCall]: 946410001, [f.dialLocalWithoutAreaCode]: 946410000,
      [f.phoneCallStartEndFields]: 'actualstart, actualend', [f.popupDuration]: 30,
    });
    const both = await repos.lineConfigs.byLine('hicom.abc.de:25');
    expect(both).toHaveLength(2);
    expect(both.find((r) => r.name === 'Schichtdienst')).toMatchObject({ userId: AGENT.id, popup: { openPhoneCall: 'incoming', popupDuration: 30, phoneCallStartEndFields: ['actualstart', 'actualend'] }, dialing: { dialLocalWithoutAreaCode: false } });
  });
});

describe('users, roles and teams', () => {
  it('finds users by id and by Entra object id', async () => {
    const admin = await adminRepos.users.byId(ADMIN.id);
    expect(admin?.fullName).toBe('Petra Hoffmann');
    expect(admin?.entraObjectId).toBeDefined();
    expect((await adminRepos.users.byEntraObjectId(admin?.entraObjectId ?? ''))?.id).toBe(ADMIN.id);
    expect(await adminRepos.users.byId('00000000-0000-0000-0000-0000000000ff')).toBeUndefined();
  });

  it('tells admins (TapiInterface Admin / System Administrator) from agents, roles through teams included', async () => {
    expect(await adminRepos.users.isAdmin(ADMIN.id)).toBe(true);
    expect(await adminRepos.users.isAdmin(AGENT.id)).toBe(false);
    expect(await adminRepos.users.roleNames(AGENT.id)).toContain('TapiInterface User');
  });

  it('lists teams and members as seeded, and the UI language', async () => {
    const memberships = seed<{ teamid: string; systemuserid: string }>('08-teammemberships.json');
    const expected = memberships.filter((m) => m.systemuserid === AGENT.id).map((m) => m.teamid).sort();
    expect((await adminRepos.users.teamsOf(AGENT.id)).map((t) => t.id).sort()).toEqual(expected);
    const team = expected[0] ?? '';
    expect((await adminRepos.users.membersOf(team)).sort()).toEqual(memberships.filter((m) => m.teamid === team).map((m) => m.systemuserid).sort());
    for (const s of seed<{ systemuserid: string; uilanguageid: number }>('04-usersettings.json')) {
      expect(await adminRepos.users.uiLanguage(s.systemuserid)).toBe(s.uilanguageid);
    }
  });
});

describe('line shares', () => {
  it('sees lines shared with the user and with the user\'s teams, not others', async () => {
    const { site } = await adminRepos.lineConfigs.ensureDefaultAndSite(defaults);
    const own = (await adminRepos.lineConfigs.ensureUserLine('hicom.abc.de', '66', site.id)).records[0]?.id ?? '';
    const teamLine = (await adminRepos.lineConfigs.ensureUserLine('hicom.abc.de', '41', site.id)).records[0]?.id ?? '';
    const other = (await adminRepos.lineConfigs.ensureUserLine('hicom.abc.de', '77', site.id)).records[0]?.id ?? '';
    const teams = await adminRepos.users.teamsOf(AGENT.id);
    const grant = (line: string, principal: string, set: string) => admin.client.send('POST', `${admin.webApiUrl}GrantAccess`, {
      idempotent: false,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        Target: { '@odata.type': `Microsoft.Dynamics.CRM.${schema.lineConfig.logicalName}`, [schema.lineConfig.primaryId]: line },
        PrincipalAccess: { Principal: { '@odata.type': `Microsoft.Dynamics.CRM.${set}`, [`${set}id`]: principal }, AccessMask: 'ReadAccess' },
      }),
    });
    await grant(own, AGENT.id, 'systemuser');
    await grant(teamLine, teams[0]?.id ?? '', 'team');
    await grant(other, ADMIN.id, 'systemuser');
    const shared = await adminRepos.shares.lineIdsSharedWith(AGENT.id, teams.map((t) => t.id));
    expect(shared.sort()).toEqual([own, teamLine].sort());
  });
});

describe('client session identity proof', () => {
  it('a session created by the agent proves the agent; wrong nonce, old or future records prove nothing', async () => {
    const agentSessions = createRepositories(agent.client, schema).sessions;
    const id = await agentSessions.create('nonce-123', 'tab-1');
    const row = await manager.client.retrieve<Record<string, unknown>>(schema.clientSession.entitySet, id, ['createdon']);
    const createdOn = Date.parse(String(row?.createdon));
    const proven = await repos.sessions.verify(id, { nonce: 'nonce-123', now: createdOn + 5000 });
    expect(proven).toMatchObject({ sessionId: id, userId: AGENT.id, clientInstance: 'tab-1' });

    const code = async (options: Parameters<Repositories['sessions']['verify']>[1], sessionId = id) =>
      repos.sessions.verify(sessionId, options).then(() => 'ok', (e: unknown) => (e instanceof RecordError ? e.code : String(e)));
    expect(await code({ nonce: 'other', now: createdOn })).toBe('session-nonce-mismatch');
    expect(await code({ nonce: 'nonce-123', now: createdOn + 121_000 })).toBe('session-expired');
    expect(await code({ nonce: 'nonce-123', now: createdOn - 60_000 })).toBe('session-future');
    await repos.sessions.remove(id);
    expect(await code({ nonce: 'nonce-123', now: createdOn })).toBe('session-not-found');
  });

  it('a session record changed by anyone else after its creation proves nothing (modifiedby differs from createdby)', async () => {
    const agentSessions = createRepositories(agent.client, schema).sessions;
    const id = await agentSessions.create('nonce-456', 'tab-2');
    const row = await manager.client.retrieve<Record<string, unknown>>(schema.clientSession.entitySet, id, ['createdon']);
    const now = Date.parse(String(row?.createdon)) + 1000;
    // The manager's account holds Write on every client session: its write makes it modifiedby.
    await manager.client.update(schema.clientSession.entitySet, id, { [schema.clientSession.fields.clientInstance]: 'tab-2b' });
    const outcome = await repos.sessions.verify(id, { nonce: 'nonce-456', now }).then(() => 'ok', (e: unknown) => (e instanceof RecordError ? e.code : String(e)));
    expect(outcome).toBe('session-modified');
    // The agent's own later write keeps createdby = modifiedby, and the proof holds.
    const own = await agentSessions.create('nonce-789', 'tab-3');
    expect((await repos.sessions.verify(own, { nonce: 'nonce-789', now })).userId).toBe(AGENT.id);
  });
});

describe('settings', () => {
  it('reads IncallPhoneFields and typed values by name', async () => {
    const s = schema.setting.fields;
    await manager.client.create(schema.setting.entitySet, { [s.name]: 'IncallPhoneFields', [s.dataType]: SETTING_DATA_TYPE.text, [s.textValue]: 'account.fax;contact.pager' });
    await manager.client.create(schema.setting.entitySet, { [s.name]: 'WriteConfigLog', [s.dataType]: SETTING_DATA_TYPE.twoOptions, [s.booleanValue]: true });
    expect(await repos.settings.incallPhoneFields()).toBe('account.fax;contact.pager');
    expect((await repos.settings.get('writeconfiglog'))?.value).toBe(true);
    expect(await repos.settings.get('Missing')).toBeUndefined();
  });
});
