import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../simulator/dataverse/index.ts';
import { api, appToken, managerApp, readonlyApp, startSim, user, userToken, type Api } from './support.ts';

let dv: Awaited<ReturnType<typeof startSim>>;
let call: Api;
/** Petra Hoffmann, System Administrator: may write accounts and leads (the manager may not). */
let admin: Api;
const T0 = Date.parse('2025-03-30T00:59:30Z');

beforeAll(async () => {
  dv = await startSim();
  dv.clock.set(T0);
  call = api(dv, await appToken(dv));
  admin = api(dv, await userToken(dv, 'phoffmann'));
});
afterAll(async () => { await dv.close(); });

function accountByName(d: SimulatedDataverse, name: string): string {
  for (const a of d.store.all('account')) if (a['name'] === name) return String(a['accountid']);
  throw new Error(`no account ${name}`);
}

describe('create', () => {
  it('POST returns 204 with OData-EntityId; the server sets created/modified on/by and versionnumber', async () => {
    const res = await call('phonecalls', { method: 'POST', body: { subject: 'Eingehender Anruf', phonenumber: '+49 341 1234567', directioncode: false } });
    expect(res.status).toBe(204);
    const entityId = res.headers.get('odata-entityid');
    expect(entityId).toMatch(new RegExp(`^${dv.webApiUrl.replace(/[.$]/g, '\\$&')}phonecalls\\([0-9a-f-]{36}\\)$`));
    const got = await call(`${entityId}?$select=createdon,modifiedon,_createdby_value,_modifiedby_value,_ownerid_value,versionnumber,directioncode`);
    expect(got.body.createdon).toBe('2025-03-30T00:59:30Z');
    expect(got.body.modifiedon).toBe('2025-03-30T00:59:30Z');
    expect(got.body._createdby_value).toBe(managerApp(dv).systemuserid);
    expect(got.body._ownerid_value).toBe(managerApp(dv).systemuserid);
    expect(got.body.directioncode).toBe(false);
    expect(typeof got.body.versionnumber).toBe('number');
  });

  it('ignores client values for read-only columns such as createdon', async () => {
    const res = await admin('accounts', { method: 'POST', body: { name: 'Zeitreisende GmbH', createdon: '2001-01-01T00:00:00Z' }, headers: { Prefer: 'return=representation' } });
    expect(res.status).toBe(201);
    expect(res.body.createdon).toBe('2025-03-30T00:59:30Z');
    expect(res.headers.get('preference-applied')).toBe('return=representation');
  });

  it('honours a client-supplied primary key and refuses a duplicate one with 412 0x80040237', async () => {
    const id = '6e1f3a52-0000-4000-8000-000000000001';
    const first = await call('phonecalls', { method: 'POST', body: { activityid: id, subject: 'Rückruf' } });
    expect(first.status).toBe(204);
    expect(first.headers.get('odata-entityid')).toContain(`phonecalls(${id})`);
    const again = await call('phonecalls', { method: 'POST', body: { activityid: id, subject: 'Rückruf' } });
    expect(again.status).toBe(412);
    expect(again.body.error.code).toBe('0x80040237');
  });

  it('binds lookups with @odata.bind, including polymorphic ones and deep-inserted activity parties', async () => {
    const acct = accountByName(dv, 'Stadtwerke Grimma GmbH');
    const agent = user(dv, 'aschmidt');
    const res = await call('phonecalls', {
      method: 'POST',
      headers: { Prefer: 'return=representation' },
      body: {
        subject: 'Anruf Stadtwerke', 'regardingobjectid_account_phonecall@odata.bind': `/accounts(${acct})`, directioncode: false,
        phonecall_activity_parties: [
          { 'partyid_account@odata.bind': `/accounts(${acct})`, participationtypemask: 1 },
          { 'partyid_systemuser@odata.bind': `/systemusers(${agent.systemuserid})`, participationtypemask: 2 },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body._regardingobjectid_value).toBe(acct);
    const parties = await call(`activityparties?$filter=_activityid_value eq ${res.body.activityid}&$orderby=participationtypemask`);
    expect(parties.body.value.map((p: { _partyid_value: string; participationtypemask: number }) => [p.participationtypemask, p._partyid_value])).toEqual([[1, acct], [2, agent.systemuserid]]);
  });

  it('a deep insert is atomic: a bad child leaves no parent behind', async () => {
    const before = dv.store.count('phonecall');
    const res = await call('phonecalls', { method: 'POST', body: { subject: 'x', phonecall_activity_parties: [{ participationtypemask: 99 }] } });
    expect(res.status).toBe(400);
    expect(dv.store.count('phonecall')).toBe(before);
  });

  it('refuses unknown properties, wrong types, over-long strings and binds to missing records', async () => {
    const cases: [unknown, number][] = [
      [{ subject: 'a', nosuch: 1 }, 400],
      [{ subject: 'a', directioncode: 'yes' }, 400],
      [{ subject: 'x'.repeat(401) }, 400],
      [{ subject: 'a', 'regardingobjectid_contact_phonecall@odata.bind': '/contacts(99999999-9999-9999-9999-999999999999)' }, 404],
      [{ subject: 'a', 'regardingobjectid_contact_phonecall@odata.bind': '/accounts(99999999-9999-9999-9999-999999999999)' }, 400],
      [{ phonenumber: 'no subject' }, 400],
      [[1, 2], 400],
    ];
    for (const [body, status] of cases) {
      const res = await call('phonecalls', { method: 'POST', body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.code, JSON.stringify(body)).toMatch(/^0x[0-9a-f]{8}$/);
    }
  });
});

describe('update, upsert and delete', () => {
  it('PATCH with If-Match: * updates only an existing record; modifiedon follows the clock', async () => {
    const acct = accountByName(dv, 'Elbe Consult GmbH');
    dv.clock.advance(61_000);
    const res = await admin(`accounts(${acct})`, { method: 'PATCH', body: { telephone1: '0351 4567800' }, headers: { 'If-Match': '*' } });
    expect(res.status).toBe(204);
    const got = await call(`accounts(${acct})?$select=telephone1,modifiedon,createdon`);
    expect(got.body.telephone1).toBe('0351 4567800');
    expect(got.body.modifiedon).toBe('2025-03-30T01:00:31Z');
    expect(got.body.createdon).not.toBe(got.body.modifiedon);
    const missing = await admin('accounts(0badc0de-0000-4000-8000-000000000000)', { method: 'PATCH', body: { name: 'nie' }, headers: { 'If-Match': '*' } });
    expect(missing.status).toBe(404);
    expect(dv.store.get('account', '0badc0de-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('PATCH by id creates when absent (upsert) and If-None-Match: * refuses an existing record with 412', async () => {
    const id = '7a7a7a7a-0000-4000-8000-000000000002';
    const created = await call(`phonecalls(${id})`, { method: 'PATCH', body: { subject: 'idempotent' }, headers: { 'If-None-Match': '*' } });
    expect(created.status).toBe(204);
    expect(dv.store.get('phonecall', id)?.['subject']).toBe('idempotent');
    const retried = await call(`phonecalls(${id})`, { method: 'PATCH', body: { subject: 'idempotent 2' }, headers: { 'If-None-Match': '*' } });
    expect(retried.status).toBe(412);
    expect(retried.body.error.code).toBe('0x80040237');
    expect(dv.store.get('phonecall', id)?.['subject']).toBe('idempotent');
    const upsert = await call(`phonecalls(${id})`, { method: 'PATCH', body: { subject: 'updated' } });
    expect(upsert.status).toBe(204);
    expect(dv.store.get('phonecall', id)?.['subject']).toBe('updated');
  });

  it('upserts by alternate key accounts(accountnumber=\'…\') and keeps alternate keys unique', async () => {
    const made = await admin("accounts(accountnumber='K-90001')", { method: 'PATCH', body: { name: 'Neu per Schlüssel' }, headers: { Prefer: 'return=representation' } });
    expect(made.status).toBe(201);
    expect(made.body.accountnumber).toBe('K-90001');
    const updated = await admin("accounts(accountnumber='K-90001')", { method: 'PATCH', body: { name: 'Geändert per Schlüssel' } });
    expect(updated.status).toBe(204);
    const got = await call("accounts(accountnumber='K-90001')?$select=name");
    expect(got.body.name).toBe('Geändert per Schlüssel');
    const dup = await admin('accounts', { method: 'POST', body: { name: 'Doppelt', accountnumber: 'K-90001' } });
    expect(dup.status).toBe(412);
    const noKey = await call("accounts(name='x')");
    expect(noKey.status).toBe(400);
  });

  it('optimistic concurrency: a stale etag gets 412 0x80060882', async () => {
    const acct = accountByName(dv, 'Brauerei Zum Löwen');
    const etag = (await call(`accounts(${acct})?$select=name`)).body['@odata.etag'] as string;
    expect((await admin(`accounts(${acct})`, { method: 'PATCH', body: { telephone2: '09621 / 4713' }, headers: { 'If-Match': etag } })).status).toBe(204);
    const stale = await admin(`accounts(${acct})`, { method: 'PATCH', body: { telephone2: '0' }, headers: { 'If-Match': etag } });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('0x80060882');
  });

  it('DELETE removes a record; a second DELETE is a 404', async () => {
    const res = await admin('leads', { method: 'POST', body: { subject: 'löschen', lastname: 'Weg' } });
    const url = res.headers.get('odata-entityid') as string;
    expect((await admin(url, { method: 'DELETE' })).status).toBe(204);
    expect((await admin(url, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('identity and impersonation', () => {
  it('createdby is the signed-in user', async () => {
    const sophie = user(dv, 'smueller');
    const asSophie = api(dv, await userToken(dv, 'smueller'));
    const res = await asSophie('phonecalls', { method: 'POST', body: { subject: 'von Sophie' }, headers: { Prefer: 'return=representation' } });
    expect(res.status).toBe(201);
    expect(res.body._createdby_value).toBe(sophie.systemuserid);
    expect(res.body._createdonbehalfby_value).toBeNull();
    const who = await asSophie('WhoAmI');
    expect(who.body.UserId).toBe(sophie.systemuserid);
  });

  it('CallerObjectId and MSCRMCallerID make the agent createdby/owner, the manager createdonbehalfby', async () => {
    const anna = user(dv, 'aschmidt');
    const variants: Record<string, string>[] = [{ CallerObjectId: anna.oid }, { MSCRMCallerID: `{${anna.systemuserid.toUpperCase()}}` }];
    for (const headers of variants) {
      const res = await call('phonecalls', { method: 'POST', body: { subject: 'für Anna' }, headers: { ...headers, Prefer: 'return=representation' } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body._createdby_value).toBe(anna.systemuserid);
      expect(res.body._ownerid_value).toBe(anna.systemuserid);
      expect(res.body._createdonbehalfby_value).toBe(managerApp(dv).systemuserid);
      expect((await call('WhoAmI', { headers })).body.UserId).toBe(anna.systemuserid);
    }
  });

  it('refuses impersonation without prvActOnBehalfOfAnotherUser (403 0x80040220) and for unknown users', async () => {
    const anna = user(dv, 'aschmidt');
    const asLukas = api(dv, await userToken(dv, 'lbecker'));
    const res = await asLukas('phonecalls', { method: 'POST', body: { subject: 'x' }, headers: { CallerObjectId: anna.oid } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('0x80040220');
    expect(res.body.error.message).toContain('prvActOnBehalfOfAnotherUser');
    const unknown = await call('WhoAmI', { headers: { CallerObjectId: '12345678-1234-4234-8234-123456789012' } });
    expect(unknown.status).toBe(404);
    const garbage = await call('WhoAmI', { headers: { MSCRMCallerID: 'not-a-guid' } });
    expect(garbage.status).toBe(400);
  });

  it('the manager may not write accounts: 403 naming prvWriteAccount', async () => {
    const acct = accountByName(dv, 'Elbe Consult GmbH');
    const res = await call(`accounts(${acct})`, { method: 'PATCH', body: { telephone1: '1' } });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('is missing prvWriteAccount privilege');
  });

  it('a user without a privilege gets 403 naming it; a disabled user cannot call', async () => {
    const reporting = api(dv, await appToken(dv, readonlyApp(dv)));
    const res = await reporting('accounts?$top=1');
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('prvReadAccount');
    const disabled = await fetch(dv.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', client_id: '51f81489-12ee-4a9e-aaae-a2591f45987d', username: user(dv, 'tkrause').upn, password: user(dv, 'tkrause').password, scope: `${dv.url}/.default` }) });
    const token = ((await disabled.json()) as { access_token: string }).access_token;
    const who = await api(dv, token)('WhoAmI');
    expect(who.status).toBe(403);
  });
});
