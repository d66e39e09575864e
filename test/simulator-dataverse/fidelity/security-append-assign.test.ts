// Append / AppendTo when a record is bound to another, and Assign when ownerid names another
// principal. https://learn.microsoft.com/power-platform/admin/security-roles-privileges#record-level-privileges
//   Append: "attach other records to a record" — needed on the phone call that gets a regarding record
//   AppendTo: "attach a record to other records" — needed on the contact it regards
//   Assign: "give ownership of a record to another user"
// Web API: associate on create/update with `nav@odata.bind`
//   https://learn.microsoft.com/power-apps/developer/data-platform/webapi/associate-disassociate-entities-using-web-api
// Assign = update ownerid: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/phonecall (Assign message)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import type { Depth } from '../../../simulator/dataverse/privileges.ts';
import { isLookup } from '../../../simulator/dataverse/store.ts';
import { startSim } from '../support.ts';
import { dwa, failure, ROOT_BU, World } from './security-support.ts';

let dv: SimulatedDataverse;
let w: World;
let colleague: string;
let contact: string;
let colleaguesContact: string;

const ACTIVITY_BASIC: Record<string, Depth> = { prvCreateActivity: 'Basic', prvReadActivity: 'Basic', prvWriteActivity: 'Basic', prvAppendActivity: 'Basic' };

beforeAll(async () => {
  dv = await startSim();
  w = new World(dv, 'append');
  colleague = w.user(ROOT_BU);
  contact = w.record('contact', { kind: 'systemuser', id: colleague });
  colleaguesContact = contact;
});
afterAll(async () => {
  await dv?.close();
});

function agent(extra: Record<string, Depth>): string {
  return w.user(ROOT_BU, [w.role({ ...ACTIVITY_BASIC, prvReadContact: 'Global', ...extra })]);
}

const phoneCall = (regarding?: string, party?: string): Record<string, unknown> => ({
  subject: 'Anruf',
  ...(regarding ? { 'regardingobjectid_contact_phonecall@odata.bind': `/contacts(${regarding})` } : {}),
  ...(party ? { phonecall_activity_parties: [{ 'partyid_contact@odata.bind': `/contacts(${party})`, participationtypemask: 1 }] } : {}),
});

describe('Append and AppendTo', () => {
  it('a phone call regarding a contact needs AppendTo on the contact: without the privilege 0x80040220, nothing is created', async () => {
    const me = agent({});
    const before = [...dv.store.all('phonecall')].length;
    const f = await failure((await dwa(dv, me)).create({ collection: 'phonecalls', data: phoneCall(contact) }));
    expect(f).toMatchObject({ status: 403, code: '0x80040220' });
    expect(f.message).toContain('is missing prvAppendToContact privilege');
    expect([...dv.store.all('phonecall')].length).toBe(before);
  });

  it('AppendTo at Basic depth covers only the user\'s own contacts (0x80048306 naming AppendToAccess); at Global any', async () => {
    const basic = agent({ prvAppendToContact: 'Basic' });
    const own = w.record('contact', { kind: 'systemuser', id: basic });
    const client = await dwa(dv, basic);
    const created = await client.create<Record<string, unknown>, { activityid: string }>({ collection: 'phonecalls', data: phoneCall(own), returnRepresentation: true, select: ['activityid'] });
    expect(dv.store.get('phonecall', created.activityid)?.['regardingobjectid']).toMatchObject({ id: own });
    const f = await failure(client.create({ collection: 'phonecalls', data: phoneCall(colleaguesContact) }));
    expect(f).toMatchObject({ status: 403, code: '0x80048306' });
    expect(f.message).toContain('AppendToAccess');
    const global = await dwa(dv, agent({ prvAppendToContact: 'Global' }));
    await global.create({ collection: 'phonecalls', data: phoneCall(colleaguesContact) });
  });

  it('an activity party (deep insert) checks AppendTo on the party; the whole deep insert is refused', async () => {
    const me = agent({ prvCreateActivity: 'Basic', prvAppendToContact: 'Basic' });
    const before = [...dv.store.all('activityparty')].length;
    const f = await failure((await dwa(dv, me)).create({ collection: 'phonecalls', data: phoneCall(undefined, colleaguesContact) }));
    expect(f).toMatchObject({ status: 403, code: '0x80048306' });
    expect([...dv.store.all('activityparty')].length).toBe(before);
  });

  it('binding on update needs Append on the phone call itself: a call someone else owns cannot get a regarding record', async () => {
    const me = agent({ prvAppendToContact: 'Global', prvWriteActivity: 'Global', prvReadActivity: 'Global' });
    const theirs = w.record('phonecall', { kind: 'systemuser', id: colleague }, { subject: 'fremd' });
    const f = await failure((await dwa(dv, me)).update({ collection: 'phonecalls', key: theirs, data: { 'regardingobjectid_contact_phonecall@odata.bind': `/contacts(${contact})` } }));
    expect(f).toMatchObject({ status: 403, code: '0x80048306' });
    expect(f.message).toContain('AppendAccess');
    expect(dv.store.get('phonecall', theirs)?.['regardingobjectid'] ?? null).toBeNull();
  });

  it('an unchanged lookup sent again is no new association (no Append/AppendTo demanded)', async () => {
    const role = w.role({ ...ACTIVITY_BASIC, prvReadContact: 'Global', prvAppendToContact: 'Global' });
    const me = w.user(ROOT_BU, [role]);
    const client = await dwa(dv, me);
    const created = await client.create<Record<string, unknown>, { activityid: string }>({ collection: 'phonecalls', data: phoneCall(contact), returnRepresentation: true, select: ['activityid'] });
    // The role loses AppendTo: re-sending the same regarding record is still accepted, another one is not.
    const privilegeid = [...dv.store.all('privilege')].find((p) => p['name'] === 'prvAppendToContact')?.['privilegeid'];
    const row = [...dv.store.all('roleprivileges')].find((rp) => rp['roleid'] === role && rp['privilegeid'] === privilegeid);
    dv.store.remove('roleprivileges', String(row?.['roleprivilegeid']), dv.clock.now());
    await client.update({ collection: 'phonecalls', key: created.activityid, data: { subject: 'geändert', 'regardingobjectid_contact_phonecall@odata.bind': `/contacts(${contact})` } });
    expect(dv.store.get('phonecall', created.activityid)?.['subject']).toBe('geändert');
    const other = w.record('contact', { kind: 'systemuser', id: me });
    const f = await failure(client.update({ collection: 'phonecalls', key: created.activityid, data: { 'regardingobjectid_contact_phonecall@odata.bind': `/contacts(${other})` } }));
    expect(f).toMatchObject({ status: 403, code: '0x80040220' });
  });
});

describe('Assign', () => {
  it('creating a record owned by someone else needs prvAssign (0x80040220); with it the other principal owns it', async () => {
    const without = await dwa(dv, agent({}));
    const f = await failure(without.create({ collection: 'phonecalls', data: { subject: 'für Kollegen', 'ownerid@odata.bind': `/systemusers(${colleague})` } }));
    expect(f).toMatchObject({ status: 403, code: '0x80040220' });
    expect(f.message).toContain('is missing prvAssignActivity privilege');
    const withAssign = await dwa(dv, agent({ prvAssignActivity: 'Basic' }));
    const created = await withAssign.create<Record<string, unknown>, { activityid: string }>({ collection: 'phonecalls', data: { subject: 'für Kollegen', 'ownerid@odata.bind': `/systemusers(${colleague})` }, returnRepresentation: true, select: ['activityid'] });
    const owner = dv.store.get('phonecall', created.activityid)?.['ownerid'];
    expect(isLookup(owner) ? owner.id : null).toBe(colleague);
  });

  it('ownerid@odata.bind on update is an assignment: Assign on the record at the user\'s depth', async () => {
    const me = agent({ prvAssignActivity: 'Basic', prvWriteActivity: 'Global', prvReadActivity: 'Global' });
    const mine = w.record('phonecall', { kind: 'systemuser', id: me }, { subject: 'meins' });
    const theirs = w.record('phonecall', { kind: 'systemuser', id: colleague }, { subject: 'fremd' });
    const client = await dwa(dv, me);
    await client.update({ collection: 'phonecalls', key: mine, data: { 'ownerid@odata.bind': `/systemusers(${colleague})` } });
    const owner = dv.store.get('phonecall', mine)?.['ownerid'];
    expect(isLookup(owner) ? owner.id : null).toBe(colleague);
    const f = await failure(client.update({ collection: 'phonecalls', key: theirs, data: { 'ownerid@odata.bind': `/systemusers(${me})` } }));
    expect(f).toMatchObject({ status: 403, code: '0x80048306' });
    expect(f.message).toContain('AssignAccess');
  });

  it('naming oneself as owner is no assignment', async () => {
    const me = agent({});
    await (await dwa(dv, me)).create({ collection: 'phonecalls', data: { subject: 'selbst', 'ownerid@odata.bind': `/systemusers(${me})` } });
  });
});
