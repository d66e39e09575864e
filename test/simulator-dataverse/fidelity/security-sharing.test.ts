// Sharing: GrantAccess, ModifyAccess and RevokeAccess recorded in principalobjectaccess and
// enforced on retrieve, queries, update and delete.
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/grantaccess
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/modifyaccess
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/revokeaccess
// https://learn.microsoft.com/power-apps/developer/data-platform/security-sharing-assigning
// A share gives access only to a principal holding the privilege at some depth; the sharer
// needs Share on the record and can pass on only rights it holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { api, startSim, user, userToken } from '../support.ts';
import { dwa, failure, ROOT_BU, World } from './security-support.ts';

let dv: SimulatedDataverse;
let w: World;
let owner: string;
let reader: string;
let readerRole: string;
let ownerRole: string;

const accountRef = (id: string): Record<string, string> => ({ '@odata.type': 'Microsoft.Dynamics.CRM.account', accountid: id });
const userRef = (id: string): Record<string, string> => ({ '@odata.type': 'Microsoft.Dynamics.CRM.systemuser', systemuserid: id });
const teamRef = (id: string): Record<string, string> => ({ '@odata.type': 'Microsoft.Dynamics.CRM.team', teamid: id });

beforeAll(async () => {
  dv = await startSim();
  w = new World(dv, 'share');
  ownerRole = w.role({ prvReadAccount: 'Basic', prvWriteAccount: 'Basic', prvShareAccount: 'Basic', prvDeleteAccount: 'Basic' });
  readerRole = w.role({ prvReadAccount: 'Basic', prvWriteAccount: 'Basic', prvDeleteAccount: 'Basic' });
  owner = w.user(ROOT_BU, [ownerRole]);
  reader = w.user(ROOT_BU, [readerRole]);
});
afterAll(async () => {
  await dv?.close();
});

async function grant(by: string, target: string, principal: Record<string, string>, mask: string, action = 'GrantAccess'): Promise<void> {
  await (await dwa(dv, by)).callAction({ actionName: action, action: { Target: accountRef(target), PrincipalAccess: { Principal: principal, AccessMask: mask } } });
}

describe('GrantAccess / RevokeAccess / ModifyAccess', () => {
  it('a record shared with ReadAccess becomes readable (retrieve and query), but not writable; RevokeAccess takes it back', async () => {
    const account = w.record('account', { kind: 'systemuser', id: owner });
    const client = await dwa(dv, reader);
    expect(await failure(client.retrieve({ collection: 'accounts', key: account, select: ['name'] }))).toMatchObject({ status: 403, code: '0x80048306' });
    const listed = async (): Promise<string[]> => (await client.retrieveMultiple<{ accountid: string }>({ collection: 'accounts', select: ['accountid'], filter: `accountid eq ${account}` })).value.map((r) => r.accountid);
    expect(await listed()).toEqual([]);

    await grant(owner, account, userRef(reader), 'ReadAccess');
    expect((await client.retrieve<{ accountid: string }>({ collection: 'accounts', key: account, select: ['accountid'] })).accountid).toBe(account);
    expect(await listed()).toEqual([account]);
    const f = await failure(client.update({ collection: 'accounts', key: account, data: { telephone1: '1' } }));
    expect(f).toMatchObject({ status: 403, code: '0x80048306' });
    expect(f.message).toContain('WriteAccess');
    const poa = [...dv.store.all('principalobjectaccess')].find((p) => (p['objectid'] as { id: string }).id === account);
    expect(poa?.['accessrightsmask']).toBe(1);

    await (await dwa(dv, owner)).callAction({ actionName: 'RevokeAccess', action: { Target: accountRef(account), Revokee: userRef(reader) } });
    expect(await failure(client.retrieve({ collection: 'accounts', key: account, select: ['name'] }))).toMatchObject({ status: 403, code: '0x80048306' });
    expect(await listed()).toEqual([]);
  });

  it('GrantAccess adds rights, ModifyAccess replaces them (write, then delete)', async () => {
    const account = w.record('account', { kind: 'systemuser', id: owner });
    const client = await dwa(dv, reader);
    await grant(owner, account, userRef(reader), 'ReadAccess');
    await grant(owner, account, userRef(reader), 'WriteAccess');
    await client.update({ collection: 'accounts', key: account, data: { telephone1: '+49 30 1' } });
    expect(dv.store.get('account', account)?.['telephone1']).toBe('+49 30 1');
    await grant(owner, account, userRef(reader), 'ReadAccess, DeleteAccess', 'ModifyAccess');
    expect(await failure(client.update({ collection: 'accounts', key: account, data: { telephone1: '2' } }))).toMatchObject({ status: 403, code: '0x80048306' });
    await client.deleteRecord({ collection: 'accounts', key: account });
    expect(dv.store.get('account', account)).toBeUndefined();
  });

  it('a share with a team reaches its members, not others', async () => {
    const account = w.record('account', { kind: 'systemuser', id: owner });
    const member = w.user(ROOT_BU, [readerRole]);
    const team = w.team(ROOT_BU, [member]);
    await grant(owner, account, teamRef(team), 'ReadAccess');
    expect((await (await dwa(dv, member)).retrieve<{ accountid: string }>({ collection: 'accounts', key: account, select: ['accountid'] })).accountid).toBe(account);
    expect(await failure((await dwa(dv, reader)).retrieve({ collection: 'accounts', key: account, select: ['accountid'] }))).toMatchObject({ status: 403, code: '0x80048306' });
  });

  it('a share gives nothing to a principal without the privilege at any depth: 403 0x80040220', async () => {
    const account = w.record('account', { kind: 'systemuser', id: owner });
    const noRole = w.user(ROOT_BU, [w.role({ prvReadContact: 'Global' })]);
    await grant(owner, account, userRef(noRole), 'ReadAccess');
    const f = await failure((await dwa(dv, noRole)).retrieve({ collection: 'accounts', key: account, select: ['accountid'] }));
    expect(f).toMatchObject({ status: 403, code: '0x80040220' });
    expect(f.message).toContain('is missing prvReadAccount privilege');
  });

  it('sharing needs Share on the record, and only rights the sharer holds on it can be passed on', async () => {
    const account = w.record('account', { kind: 'systemuser', id: owner });
    // The reader has no prvShareAccount at all.
    await grant(owner, account, userRef(reader), 'ReadAccess, WriteAccess');
    const noShare = await failure(grant(reader, account, userRef(w.user(ROOT_BU, [readerRole])), 'ReadAccess'));
    expect(noShare).toMatchObject({ status: 403, code: '0x80040220' });
    expect(noShare.message).toContain('prvShareAccount');
    // Share on someone else's record at Basic depth: the access check refuses.
    const sharer = w.user(ROOT_BU, [ownerRole]);
    const notTheirs = await failure(grant(sharer, account, userRef(reader), 'ReadAccess'));
    expect(notTheirs).toMatchObject({ status: 403, code: '0x80048306' });
    expect(notTheirs.message).toContain('ShareAccess');
    // The owner lacks prvAssignAccount: AssignAccess cannot be passed on.
    const assign = await failure(grant(owner, account, userRef(reader), 'AssignAccess'));
    expect(assign).toMatchObject({ status: 403, code: '0x80040220' });
    expect(assign.message).toContain('prvAssignAccount');
  });

  it('an unknown access right is 400, a missing record 404', async () => {
    const account = w.record('account', { kind: 'systemuser', id: owner });
    expect(await failure(grant(owner, account, userRef(reader), 'ReadAccess, FlyAccess'))).toMatchObject({ status: 400 });
    expect(await failure(grant(owner, '00000000-0000-0000-0000-00000000abcd', userRef(reader), 'ReadAccess'))).toMatchObject({ status: 404, code: '0x80040217' });
  });
});

// systemuserroles, teammembership, principalobjectaccess, …: "Operations supported: GET" in their
// references (e.g. https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/systemuserroles);
// they change only through associate, team and sharing messages.
describe('the tables Dataverse keeps for itself', () => {
  it('refuse writes through the entity set, so nobody gives themselves a role or a share', async () => {
    const anna = user(dv, 'aschmidt');
    const asAnna = api(dv, await userToken(dv, 'aschmidt'));
    const sysAdmin = '742bff67-af89-520d-ac62-7bd859df9118';
    const before = [...dv.store.all('systemuserroles')].length;
    const role = await asAnna('systemuserrolescollection', { method: 'POST', body: { systemuserid: anna.systemuserid, roleid: sysAdmin } });
    expect(role.status).toBe(405);
    expect(role.body.error.message).toContain("The 'Create' method does not support entities of type 'systemuserroles'");
    expect([...dv.store.all('systemuserroles')].length).toBe(before);
    const account = w.record('account', { kind: 'systemuser', id: owner });
    const poa = await asAnna('principalobjectaccessset', { method: 'POST', body: { 'objectid_account@odata.bind': `/accounts(${account})`, accessrightsmask: 3 } });
    expect(poa.status).toBe(405);
    const membership = [...dv.store.all('teammembership')][0];
    const asPetra = api(dv, await userToken(dv, 'phoffmann'));
    const del = await asPetra(`teammemberships(${String(membership?.['teammembershipid'])})`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(dv.store.get('teammembership', String(membership?.['teammembershipid']))).toBeDefined();
  });
});
