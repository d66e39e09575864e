// Read-only columns stay read-only: the system columns are "Read only" (IsValidForCreate and
// IsValidForUpdate false) in every table reference, e.g.
//   https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/contact#read-only-columnsattributes
//   (createdby, createdon, createdonbehalfby, modifiedby, modifiedon, modifiedonbehalfby,
//    owningbusinessunit, owninguser, owningteam, versionnumber)
// Dataverse sets them itself and ignores a value sent for them — by value or by `@odata.bind`.
// overriddencreatedon is valid for create only: "Date and time that the record was migrated"
//   https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/contact#BKMK_OverriddenCreatedOn
// and needs the privilege "Override Created on or Created by for Records during Data Import"
// (prvOverrideCreatedOnCreatedBy), https://learn.microsoft.com/power-platform/admin/miscellaneous-privileges
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories } from '../../../src/dataverse/repositories/index.ts';
import { RecordError } from '../../../src/dataverse/repositories/fields.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { connect, type Connection } from '../../../src/dataverse/connection.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';
import { onPremise } from '../../dataverse/support/sim.ts';
import { api, startSim, user, userToken } from '../support.ts';
import { dwa, failure } from './security-support.ts';

let dv: Awaited<ReturnType<typeof startSim>>;
let manager: Connection;
const schema = createSchema();
const cs = schema.clientSession;

beforeAll(async () => {
  dv = await startSim();
  manager = await connect(parseConnectionConfig(onPremise(dv), 'test'));
});
afterAll(async () => {
  await manager?.client.close();
  await dv?.close();
});

const FORGED_DATE = '2001-02-03T04:05:06Z';

/** The server stamps whole seconds of its own clock: the value lies within the request's window
 * (the simulator's clock runs in real time, so a second may turn between request and check). */
function expectServerTime(value: unknown, from: number, to: number): void {
  expect(value).toBeInstanceOf(Date);
  const at = (value as Date).getTime();
  expect(at % 1000).toBe(0);
  expect(at).toBeGreaterThanOrEqual(Math.floor(from / 1000) * 1000);
  expect(at).toBeLessThanOrEqual(Math.floor(to / 1000) * 1000);
}

describe('system columns ignore what the client sends', () => {
  it('on create: createdon/modifiedon/versionnumber values and createdby/modifiedby/…onbehalfby/owningbusinessunit binds are ignored (dynamics-web-api)', async () => {
    const anna = user(dv, 'aschmidt');
    const petra = user(dv, 'phoffmann');
    const client = await dwa(dv, anna.systemuserid);
    const from = dv.clock.now();
    const created = await client.create<Record<string, unknown>, { contactid: string }>({
      collection: 'contacts',
      returnRepresentation: true,
      select: ['contactid'],
      data: {
        lastname: 'Fälschung',
        createdon: FORGED_DATE, modifiedon: FORGED_DATE, versionnumber: 1,
        'createdby@odata.bind': `/systemusers(${petra.systemuserid})`,
        'modifiedby@odata.bind': `/systemusers(${petra.systemuserid})`,
        'createdonbehalfby@odata.bind': `/systemusers(${petra.systemuserid})`,
        'modifiedonbehalfby@odata.bind': `/systemusers(${petra.systemuserid})`,
        'owningbusinessunit@odata.bind': '/businessunits(aff4e74f-86be-565a-ad91-c40a004c64ba)',
        'owninguser@odata.bind': `/systemusers(${petra.systemuserid})`,
      },
    });
    const r = await client.retrieve<Record<string, unknown>>({ collection: 'contacts', key: created.contactid, select: ['_createdby_value', '_modifiedby_value', '_createdonbehalfby_value', '_modifiedonbehalfby_value', '_owningbusinessunit_value', '_owninguser_value', 'createdon', 'modifiedon', 'versionnumber'] });
    // Impersonated by Petra: Anna created it, on Petra's behalf — as the server decides, not the body.
    expect(r).toMatchObject({ _createdby_value: anna.systemuserid, _modifiedby_value: anna.systemuserid, _owninguser_value: anna.systemuserid, _owningbusinessunit_value: '32953ba2-dd63-5dae-ae3e-1aa8ff17cf1e' });
    expect(r['_createdonbehalfby_value']).toBe(petra.systemuserid);
    // dynamics-web-api turns date-times into Date objects.
    expectServerTime(r['createdon'], from, dv.clock.now());
    expect(r['modifiedon']).toEqual(r['createdon']);
    expect(r['versionnumber']).not.toBe(1);
  });

  it('on update: a createdby bind by a user with Write on client sessions cannot forge the identity proof; the manager refuses the record', async () => {
    const anna = user(dv, 'aschmidt');
    const jens = user(dv, 'jwagner'); // TapiInterface Admin: Write on every client session
    const petra = user(dv, 'phoffmann');
    const asAnna = api(dv, await userToken(dv, 'aschmidt'));
    const made = await asAnna(cs.entitySet, { method: 'POST', headers: { Prefer: 'return=representation' }, body: { [cs.fields.name]: 'session', [cs.fields.nonce]: 'nonce-x', [cs.fields.clientInstance]: 'tab' } });
    expect(made.status).toBe(201);
    const id = String(made.body[cs.primaryId]);
    const asJens = api(dv, await userToken(dv, 'jwagner'));
    const patched = await asJens(`${cs.entitySet}(${id})`, { method: 'PATCH', headers: { 'If-Match': '*' }, body: { 'createdby@odata.bind': `/systemusers(${petra.systemuserid})`, createdon: FORGED_DATE } });
    expect(patched.status).toBe(204);
    const stored = dv.store.get(cs.logicalName, id);
    expect(stored?.['createdby']).toMatchObject({ id: anna.systemuserid });
    expect(stored?.['modifiedby']).toMatchObject({ id: jens.systemuserid });
    expect(stored?.['createdon']).not.toBe(FORGED_DATE);
    const verdict = await createRepositories(manager.client, schema).sessions.verify(id, { nonce: 'nonce-x', now: dv.clock.now() })
      .then(() => 'accepted', (e: unknown) => (e instanceof RecordError ? e.code : String(e)));
    expect(verdict).toBe('session-modified');
  });

  it('on update: the owner\'s own modifiedby/modifiedon/versionnumber values are ignored too (raw request)', async () => {
    const anna = user(dv, 'aschmidt');
    const petra = user(dv, 'phoffmann');
    const asAnna = api(dv, await userToken(dv, 'aschmidt'));
    const made = await asAnna('contacts', { method: 'POST', headers: { Prefer: 'return=representation' }, body: { lastname: 'Eigen' } });
    const id = String(made.body.contactid);
    const before = dv.store.get('contact', id);
    dv.clock.advance(5000);
    const from = dv.clock.now();
    const res = await asAnna(`contacts(${id})`, { method: 'PATCH', headers: { 'If-Match': '*' }, body: { firstname: 'Anna', 'modifiedby@odata.bind': `/systemusers(${petra.systemuserid})`, modifiedon: FORGED_DATE, versionnumber: 7 } });
    expect(res.status).toBe(204);
    const after = dv.store.get('contact', id);
    expect(after?.['modifiedby']).toMatchObject({ id: anna.systemuserid });
    expect(after?.['modifiedon']).not.toBe(FORGED_DATE);
    // The server's own time of the update: at least 5 s after the create, and within the PATCH's window (the
    // simulator's clock runs in real time, so a second may turn between create and update; a CI run saw +6 s).
    expectServerTime(new Date(String(after?.['modifiedon'])), from, dv.clock.now());
    expect(Date.parse(String(after?.['modifiedon']))).toBeGreaterThanOrEqual(Date.parse(String(before?.['modifiedon'])) + 5000);
    expect(Number(after?.['versionnumber'])).toBeGreaterThan(Number(before?.['versionnumber']));
    expect(after?.['fullname']).toBe('Anna Eigen');
  });
});

describe('overriddencreatedon', () => {
  it('on create with the privilege: createdon takes the migrated date, overriddencreatedon records when the record really arrived', async () => {
    const client = await dwa(dv); // Petra, System Administrator
    const from = dv.clock.now();
    const created = await client.create<Record<string, unknown>, { accountid: string }>({ collection: 'accounts', data: { name: 'Altkunde', overriddencreatedon: '2015-06-01T08:00:00Z' }, returnRepresentation: true, select: ['accountid', 'createdon', 'overriddencreatedon', 'modifiedon'] });
    const r = await client.retrieve<Record<string, unknown>>({ collection: 'accounts', key: created.accountid, select: ['createdon', 'overriddencreatedon', 'modifiedon'] });
    expect(r).toMatchObject({ createdon: new Date('2015-06-01T08:00:00Z') });
    expectServerTime(r['overriddencreatedon'], from, dv.clock.now());
    expect(r['modifiedon']).toEqual(r['overriddencreatedon']);
  });

  it('without prvOverrideCreatedOnCreatedBy: 403 0x80040220 naming it, and nothing is created', async () => {
    const asAnna = api(dv, await userToken(dv, 'aschmidt'));
    const before = [...dv.store.all('contact')].length;
    const res = await asAnna('contacts', { method: 'POST', body: { lastname: 'Alt', overriddencreatedon: '2015-06-01T08:00:00Z' } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('0x80040220');
    expect(res.body.error.message).toContain('is missing prvOverrideCreatedOnCreatedBy privilege');
    expect([...dv.store.all('contact')].length).toBe(before);
  });

  it('is not valid for update: a value sent on PATCH is ignored', async () => {
    const client = await dwa(dv);
    const created = await client.create<Record<string, unknown>, { accountid: string }>({ collection: 'accounts', data: { name: 'Neukunde' }, returnRepresentation: true, select: ['accountid', 'createdon'] });
    await client.update({ collection: 'accounts', key: created.accountid, data: { overriddencreatedon: '2015-06-01T08:00:00Z' } });
    const r = await client.retrieve<Record<string, unknown>>({ collection: 'accounts', key: created.accountid, select: ['createdon', 'overriddencreatedon'] });
    expect(r['overriddencreatedon']).toBeNull();
    expect(r['createdon']).not.toEqual(new Date('2015-06-01T08:00:00Z'));
  });

  it('a bad date is 400 like any date-time column', async () => {
    const f = await failure((await dwa(dv)).create({ collection: 'accounts', data: { name: 'X', overriddencreatedon: 'gestern' } }));
    expect(f.status).toBe(400);
  });
});

