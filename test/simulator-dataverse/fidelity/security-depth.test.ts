// Privilege depth with business units and ownership, as Dataverse enforces it on retrieve,
// queries, update and delete — driven with dynamics-web-api (its Node build) and raw requests.
// Access levels: https://learn.microsoft.com/power-platform/admin/security-roles-privileges#access-levels
//   Basic (User) · Local (Business Unit) · Deep (Parent: Child Business Units) · Global (Organization)
// Privilege check vs access check and their errors (-2147220960 = 0x80040220, -2147187962 = 0x80048306):
//   https://learn.microsoft.com/troubleshoot/power-platform/dataverse/user-permissions/client-errors
// Queries leave out rows the user may not read (no error):
//   https://learn.microsoft.com/power-apps/developer/data-platform/security-access-checks
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import type { Depth } from '../../../simulator/dataverse/privileges.ts';
import { api, appToken, readonlyApp, SEED_DIR, startSim, userToken } from '../support.ts';
import { ADMIN_SAM, dwa, failure, World } from './security-support.ts';

let dv: SimulatedDataverse;
let w: World;
// root ─┬─ A ── A1
//       └─ B
let A: string; let A1: string; let B: string;
const users: Record<string, string> = {};
const accounts: Record<string, string> = {};
const ROOT = '32953ba2-dd63-5dae-ae3e-1aa8ff17cf1e';

beforeAll(async () => {
  dv = await startSim();
  w = new World(dv, 'depth');
  A = w.businessUnit(ROOT); A1 = w.businessUnit(A); B = w.businessUnit(ROOT);
  for (const [name, bu] of [['root', ROOT], ['a', A], ['a2', A], ['a1', A1], ['b', B]] as const) {
    users[name] = w.user(bu);
    accounts[name] = w.record('account', { kind: 'systemuser', id: users[name] as string });
  }
});
afterAll(async () => {
  await dv?.close();
});

/** A user in business unit A whose only role grants `privileges`. */
function userInA(privileges: Record<string, Depth>): string {
  return w.user(A, [w.role(privileges)]);
}

const names = (ids: string[]): string[] => Object.entries(accounts).filter(([, id]) => ids.includes(id)).map(([n]) => n).sort();

describe('read depth (retrieve and queries)', () => {
  const expected: Record<Depth, string[]> = {
    Basic: ['mine'],
    Local: ['a', 'a2', 'mine'],
    Deep: ['a', 'a1', 'a2', 'mine'],
    Global: ['a', 'a1', 'a2', 'b', 'mine', 'root'],
  };
  for (const depth of ['Basic', 'Local', 'Deep', 'Global'] as Depth[]) {
    it(`prvReadAccount at ${depth} depth: the query returns exactly the covered accounts, retrieving another is 403 0x80048306`, async () => {
      const me = userInA({ prvReadAccount: depth });
      const mine = w.record('account', { kind: 'systemuser', id: me });
      const client = await dwa(dv, me);
      const all = { ...accounts, mine };
      const ids = Object.values(all);
      const res = await client.retrieveAll<{ accountid: string }>({ collection: 'accounts', select: ['accountid'], filter: ids.map((id) => `accountid eq ${id}`).join(' or ') });
      const seen = res.value.map((r) => r.accountid);
      expect(Object.entries(all).filter(([, id]) => seen.includes(id)).map(([n]) => n).sort()).toEqual(expected[depth]);
      for (const [name, id] of Object.entries(all)) {
        const visible = expected[depth].includes(name);
        if (visible) {
          expect((await client.retrieve<{ accountid: string }>({ collection: 'accounts', key: id, select: ['accountid'] })).accountid).toBe(id);
        } else {
          const f = await failure(client.retrieve({ collection: 'accounts', key: id, select: ['accountid'] }));
          expect(f).toMatchObject({ status: 403, code: '0x80048306' });
          expect(f.message).toContain(`does not have ReadAccess right(s) for record with Id = ${id} of entity account`);
        }
      }
    });
  }

  it('without prvReadAccount at any depth the query itself is refused: 403 0x80040220 naming the privilege', async () => {
    const me = userInA({ prvReadContact: 'Global' });
    const f = await failure((await dwa(dv, me)).retrieveMultiple({ collection: 'accounts', select: ['name'] }));
    expect(f).toMatchObject({ status: 403, code: '0x80040220' });
    expect(f.message).toContain('is missing prvReadAccount privilege');
  });

  it('$count and paging count only the readable rows (raw request)', async () => {
    const me = userInA({ prvReadAccount: 'Local' });
    const call = api(dv, await userToken(dv, ADMIN_SAM));
    const res = await call(`accounts?$select=accountid&$count=true&$filter=${encodeURIComponent(Object.values(accounts).map((id) => `accountid eq ${id}`).join(' or '))}`, { headers: { MSCRMCallerID: me } });
    expect(res.status).toBe(200);
    expect(names(res.body.value.map((r: { accountid: string }) => r.accountid))).toEqual(['a', 'a2']);
    expect(res.body['@odata.count']).toBe(2);
  });
});

describe('change tracking and impersonation', () => {
  // https://learn.microsoft.com/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems
  it('a delta query returns only the changed rows the user may read', async () => {
    const me = userInA({ prvReadAccount: 'Basic' });
    const call = api(dv, await userToken(dv, ADMIN_SAM));
    const headers = { MSCRMCallerID: me, Prefer: 'odata.track-changes' };
    const first = await call('accounts?$select=accountid,name', { headers });
    expect(first.status).toBe(200);
    expect(first.body.value).toEqual([]);
    const mine = w.record('account', { kind: 'systemuser', id: me });
    const theirs = w.record('account', { kind: 'systemuser', id: users['a'] as string });
    const delta = await call(first.body['@odata.deltaLink'], { headers: { MSCRMCallerID: me } });
    expect(delta.status).toBe(200);
    const ids = (delta.body.value as { accountid?: string }[]).map((r) => r.accountid);
    expect(ids).toContain(mine);
    expect(ids).not.toContain(theirs);
  });

  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/impersonate-another-user-web-api
  it('impersonating a user with organisation-wide reads does not widen the caller\'s own depth: both must pass', async () => {
    // The "reporting" application user has no roles in the seed; give it impersonation and Basic reads.
    const reporting = dv.directory.applications.find((a) => a.displayName.startsWith('reporting'))?.systemuserid as string;
    dv.store.put('systemuserroles', `${reporting.slice(0, 24)}0000000000aa`, { systemuserroleid: `${reporting.slice(0, 24)}0000000000aa`, systemuserid: reporting, roleid: w.role({ prvActOnBehalfOfAnotherUser: 'Global', prvReadAccount: 'Basic' }) });
    const call = api(dv, await appToken(dv, readonlyApp(dv)));
    const petra = '9d29a071-e32a-5a7c-a939-3b959719c23c';
    const res = await call(`accounts(${accounts['root'] as string})?$select=accountid`, { headers: { MSCRMCallerID: petra } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('0x80048306');
    expect(res.body.error.message).toContain(`Principal user (Id=${reporting}`);
  });
});

describe('write and delete depth', () => {
  it('prvWriteAccount at Basic: the user updates their own account, not a colleague\'s in the same business unit', async () => {
    const me = userInA({ prvReadAccount: 'Global', prvWriteAccount: 'Basic' });
    const mine = w.record('account', { kind: 'systemuser', id: me });
    const client = await dwa(dv, me);
    await client.update({ collection: 'accounts', key: mine, data: { telephone1: '+49 341 1' } });
    expect(dv.store.get('account', mine)?.['telephone1']).toBe('+49 341 1');
    const f = await failure(client.update({ collection: 'accounts', key: accounts['a'] as string, data: { telephone1: '+49 341 2' } }));
    expect(f).toMatchObject({ status: 403, code: '0x80048306' });
    expect(f.message).toContain('WriteAccess');
    expect(dv.store.get('account', accounts['a'] as string)?.['telephone1'] ?? null).toBeNull();
  });

  it('prvWriteAccount at Local reaches the business unit but not the child unit; Deep reaches both', async () => {
    const local = await dwa(dv, userInA({ prvReadAccount: 'Global', prvWriteAccount: 'Local' }));
    const deep = await dwa(dv, userInA({ prvReadAccount: 'Global', prvWriteAccount: 'Deep' }));
    await local.update({ collection: 'accounts', key: accounts['a2'] as string, data: { telephone1: '1' } });
    expect(await failure(local.update({ collection: 'accounts', key: accounts['a1'] as string, data: { telephone1: '1' } }))).toMatchObject({ status: 403, code: '0x80048306' });
    await deep.update({ collection: 'accounts', key: accounts['a1'] as string, data: { telephone1: '2' } });
    expect(await failure(deep.update({ collection: 'accounts', key: accounts['b'] as string, data: { telephone1: '2' } }))).toMatchObject({ status: 403, code: '0x80048306' });
    expect(await failure(deep.update({ collection: 'accounts', key: accounts['root'] as string, data: { telephone1: '2' } }))).toMatchObject({ status: 403, code: '0x80048306' });
  });

  it('prvDeleteAccount at Basic deletes only the user\'s own account; the refused delete changes nothing', async () => {
    const me = userInA({ prvReadAccount: 'Global', prvDeleteAccount: 'Basic' });
    const mine = w.record('account', { kind: 'systemuser', id: me });
    const client = await dwa(dv, me);
    const f = await failure(client.deleteRecord({ collection: 'accounts', key: accounts['a2'] as string }));
    expect(f).toMatchObject({ status: 403, code: '0x80048306' });
    expect(f.message).toContain('DeleteAccess');
    expect(dv.store.get('account', accounts['a2'] as string)).toBeDefined();
    await client.deleteRecord({ collection: 'accounts', key: mine });
    expect(dv.store.get('account', mine)).toBeUndefined();
  });
});

describe('teams', () => {
  it('a team\'s role at Basic depth covers the records the team owns, for its members only', async () => {
    const role = w.role({ prvReadAccount: 'Basic' });
    const member = w.user(B);
    const outsider = w.user(B, [role]);
    const team = w.team(A, [member], [role]);
    const owned = w.record('account', { kind: 'team', id: team });
    expect((await (await dwa(dv, member)).retrieve<{ accountid: string }>({ collection: 'accounts', key: owned, select: ['accountid'] })).accountid).toBe(owned);
    expect(await failure((await dwa(dv, outsider)).retrieve({ collection: 'accounts', key: owned, select: ['accountid'] }))).toMatchObject({ status: 403, code: '0x80048306' });
  });

  it('a team\'s role at Local depth covers the team\'s business unit, not the member\'s', async () => {
    const member = w.user(B);
    w.team(A, [member], [w.role({ prvReadAccount: 'Local' })]);
    const client = await dwa(dv, member);
    expect((await client.retrieve<{ accountid: string }>({ collection: 'accounts', key: accounts['a'] as string, select: ['accountid'] })).accountid).toBe(accounts['a']);
    expect(await failure(client.retrieve({ collection: 'accounts', key: accounts['b'] as string, select: ['accountid'] }))).toMatchObject({ status: 403, code: '0x80048306' });
  });
});

describe('RetrieveUserPrivileges reports the depth', () => {
  it('each privilege with the deepest depth the user holds it at', async () => {
    const me = w.user(A, [w.role({ prvReadAccount: 'Local', prvWriteAccount: 'Basic' }), w.role({ prvReadAccount: 'Deep' })]);
    const call = api(dv, await userToken(dv, ADMIN_SAM));
    const res = await call(`systemusers(${me})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges`);
    expect(res.status).toBe(200);
    const byName = Object.fromEntries((res.body.RolePrivileges as { PrivilegeName: string; Depth: string }[]).map((p) => [p.PrivilegeName, p.Depth]));
    expect(byName).toEqual({ prvReadAccount: 'Deep', prvWriteAccount: 'Basic' });
  });
});

describe('seeded roles carry depths', () => {
  it('a role\'s $privileges with an unknown depth stops the simulator with sim-seed-invalid, naming file and privilege', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seed-depth-'));
    try {
      // directory.json names ../tls/app-cert.pem: keep the fixtures' layout.
      cpSync(SEED_DIR, join(dir, 'crm'), { recursive: true });
      cpSync(join(SEED_DIR, '..', 'tls'), join(dir, 'tls'), { recursive: true });
      const file = join(dir, 'crm', 'seed', '05-roles.json');
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { records: { name: string; $privileges: unknown }[] };
      const sales = doc.records.find((r) => r.name === 'Salesperson');
      if (!sales) throw new Error('seed: Salesperson missing');
      sales.$privileges = { prvReadAccount: 'Everywhere' };
      writeFileSync(file, JSON.stringify(doc));
      const err = await startSim({ seedDir: `${join(dir, 'crm')}/` }).then(async (started) => { await started.close(); return undefined; }, (e: unknown) => e as { code?: string; message?: string });
      expect(err?.code).toBe('sim-seed-invalid');
      expect(err?.message).toContain('05-roles.json');
      expect(err?.message).toContain('prvReadAccount');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
