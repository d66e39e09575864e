import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, appToken, startSim, userToken, type Api } from './support.ts';

let dv: Awaited<ReturnType<typeof startSim>>;
let call: Api;
let admin: Api;

beforeAll(async () => {
  dv = await startSim({ changeTrackingRetentionSeconds: 3600 });
  call = api(dv, await appToken(dv));
  admin = api(dv, await userToken(dv, 'phoffmann'));
});
afterAll(async () => { await dv.close(); });

async function initialSync(select: string, pageSize = 1000): Promise<{ ids: Set<string>; deltaLink: string }> {
  const ids = new Set<string>();
  let url: string | undefined = `contacts?$select=${select}`;
  let deltaLink = '';
  while (url) {
    const res = await call(url, { headers: { Prefer: `odata.track-changes,odata.maxpagesize=${pageSize}` } });
    expect(res.status).toBe(200);
    for (const r of res.body.value) ids.add(r.contactid);
    url = res.body['@odata.nextLink'];
    if (url) expect(res.body['@odata.deltaLink']).toBeUndefined();
    else deltaLink = res.body['@odata.deltaLink'];
  }
  return { ids, deltaLink };
}

describe('change tracking', () => {
  it('the last page carries a deltaLink; the delta reports changes and deletions, then a new deltaLink', async () => {
    const { ids, deltaLink } = await initialSync('fullname,telephone1,mobilephone', 25);
    expect(ids.size).toBe(dv.store.count('contact'));
    expect(deltaLink).toMatch(/contacts\?\$select=fullname,telephone1,mobilephone&\$deltatoken=\d+%21\d\d%2F\d\d%2F\d{4}%20/);

    const nothing = await call(deltaLink);
    expect(nothing.body.value).toEqual([]);

    const [changedId, deletedId] = [...ids];
    expect((await admin(`contacts(${changedId})`, { method: 'PATCH', body: { telephone1: '+49 341 000000' } })).status).toBe(204);
    expect((await admin(`contacts(${deletedId})`, { method: 'DELETE' })).status).toBe(204);
    const created = await admin('contacts', { method: 'POST', body: { lastname: 'Neu', telephone1: '0341 111' } });
    const createdId = /\(([0-9a-f-]{36})\)$/.exec(created.headers.get('odata-entityid') ?? '')?.[1];

    const delta = await call(deltaLink);
    expect(delta.status).toBe(200);
    expect(delta.body['@odata.context']).toMatch(/\$metadata#contacts\(fullname,telephone1,mobilephone\)\/\$delta$/);
    const changed = delta.body.value.filter((v: Record<string, unknown>) => v['contactid']);
    expect(changed.map((v: { contactid: string }) => v.contactid).sort()).toEqual([changedId, createdId].sort());
    expect(changed.find((v: { contactid: string }) => v.contactid === changedId).telephone1).toBe('+49 341 000000');
    expect(Object.keys(changed[0]).sort()).toEqual(['@odata.etag', 'contactid', 'fullname', 'mobilephone', 'telephone1']);
    const deleted = delta.body.value.filter((v: Record<string, unknown>) => v['reason']);
    expect(deleted).toEqual([{ '@odata.context': expect.stringMatching(/\$metadata#contacts\/\$deletedEntity$/), id: deletedId, reason: 'deleted' }]);

    const next = delta.body['@odata.deltaLink'];
    expect(next).not.toBe(deltaLink);
    expect((await call(next)).body.value).toEqual([]);
  });

  it('a delta token older than the retention expires with 0x80044352', async () => {
    const { deltaLink } = await initialSync('fullname');
    dv.clock.advance(3601_000);
    // The access token (1 h) expired too: sign in again, as a client would.
    call = api(dv, await appToken(dv));
    const res = await call(deltaLink);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: '0x80044352', message: 'Version stamp associated with the client has expired. Please perform a full sync.' });
  });

  it('an entity without change tracking refuses odata.track-changes; $filter is not allowed with it', async () => {
    const res = await call('teammemberships', { headers: { Prefer: 'odata.track-changes' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('not enabled for change tracking');
    const filtered = await call("contacts?$filter=lastname eq 'x'", { headers: { Prefer: 'odata.track-changes' } });
    expect(filtered.status).toBe(400);
  });

  it('a garbled delta token is a 400, not a crash', async () => {
    const res = await call('contacts?$deltatoken=garbage');
    expect(res.status).toBe(400);
  });
});
