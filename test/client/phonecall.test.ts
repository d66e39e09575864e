// The phone call the client creates under the manager's id (one record per
// call and agent): the Web API body and "already exists" counted as success.
import { describe, expect, it } from 'vitest';
import { CallBook, rejectAllowedOn } from '../../src/client/calls.ts';
import { phoneCallRecord } from '../../src/client/crm/phonecall.ts';
import { XrmHost, type XrmLike } from '../../src/client/crm/xrm.ts';
import { stringsFor } from '../../src/client/i18n.ts';
import type { CallNotificationMessage } from '../../src/protocol/index.ts';

const AGENT = '85938dad-ebd6-e511-80de-00155d001ba9';
const PC = '3b241101-e2bb-5255-8caf-4136c566a962';
const ANNA = { entity: 'contact', id: '0f8fad5b-d9cb-469f-a165-70867728950e', name: 'Anna Müller', field: 'telephone1' };

function note(over: Partial<CallNotificationMessage> = {}): CallNotificationMessage {
  return {
    channel: 'intincall', command: 'callNotification', notificationId: 'n1', callKey: 'pbx/1', timestamp: '2025-01-01T10:00:00.000Z', line: 'pbx:21',
    state: 'offering', direction: 'inbound', number: '0301234567', e164: '+49301234567', matches: [ANNA],
    popup: { openOnlyWhenConnected: false, openRecord: false, position: 1, durationSeconds: 30, openPhoneCallOption: 946410001 }, phoneCallId: PC, replayed: false, ...over,
  };
}

function fakeXrm(create: (entity: string, data: Record<string, unknown>) => Promise<{ id: string }>): XrmLike {
  return {
    WebApi: { retrieveMultipleRecords: async () => ({ entities: [] }), createRecord: create },
    Navigation: { openForm: async () => undefined },
    Utility: { getGlobalContext: () => ({ userSettings: { userId: AGENT, userName: 'x', languageId: 1033 } }) },
  };
}

describe('reject button', () => {
  it('is offered unless the line says the connector cannot reject', () => {
    const line = (name: string, rejectAllowed?: boolean) => ({ line: name, displayName: name, dialing: {} as never, popup: {} as never, ...(rejectAllowed === undefined ? {} : { rejectAllowed }) });
    const lines = [line('pbx:20', true), line('pbx:21', false), line('pbx:22')];
    expect(rejectAllowedOn(lines, 'pbx:20')).toBe(true);
    expect(rejectAllowedOn(lines, 'pbx:21')).toBe(false);
    expect(rejectAllowedOn(lines, 'pbx:22')).toBe(true);
    expect(rejectAllowedOn(undefined, 'pbx:20')).toBe(true);
  });
});

describe('phone call under the manager\'s id', () => {
  it('the call book keeps the id of the notification', () => {
    const book = new CallBook();
    const effects = book.apply(note());
    expect(effects.find((e) => e.kind === 'openPhoneCall')?.call.phoneCallId).toBe(PC);
  });

  it('builds the Web API body: number, direction, start, regarding and both parties', () => {
    const book = new CallBook();
    book.apply(note());
    const body = phoneCallRecord(book.get('pbx/1')!, ANNA, stringsFor(1033), '2025-01-01T10:00:01.000Z', AGENT);
    expect(body).toEqual({
      subject: 'Incoming call: Anna Müller', phonenumber: '+49301234567', directioncode: false, actualstart: '2025-01-01T10:00:01.000Z',
      [`regardingobjectid_contact_phonecall@odata.bind`]: `/contacts(${ANNA.id})`,
      phonecall_activity_parties: [
        { 'partyid_systemuser@odata.bind': `/systemusers(${AGENT})`, participationtypemask: 2 },
        { 'partyid_contact@odata.bind': `/contacts(${ANNA.id})`, participationtypemask: 1 },
      ],
    });
    const outgoing = new CallBook();
    outgoing.apply(note({ direction: 'outbound', state: 'dialing', matches: [] }));
    const out = phoneCallRecord(outgoing.get('pbx/1')!, undefined, stringsFor(1033), 't', AGENT);
    expect(out.directioncode).toBe(true);
    expect(out.phonecall_activity_parties).toEqual([{ 'partyid_systemuser@odata.bind': `/systemusers(${AGENT})`, participationtypemask: 1 }]);
    expect(Object.keys(out).some((k) => k.startsWith('regardingobjectid'))).toBe(false);
  });

  it('Xrm: creates with the primary key set, and "duplicate key" counts as success', async () => {
    const seen: Record<string, unknown>[] = [];
    const ok = new XrmHost(fakeXrm(async (_e, d) => (seen.push(d), { id: PC })));
    expect(await ok.createRecordWithId('phonecall', PC, { subject: 's' })).toBe('created');
    expect(seen[0]).toEqual({ subject: 's', activityid: PC });
    const dup = new XrmHost(fakeXrm(async () => Promise.reject({ errorCode: -2147220937, message: 'Cannot insert duplicate key.' })));
    expect(await dup.createRecordWithId('phonecall', PC, {})).toBe('exists');
    const denied = new XrmHost(fakeXrm(async () => Promise.reject({ errorCode: -2147220960, message: 'missing privilege' })));
    await expect(denied.createRecordWithId('phonecall', PC, {})).rejects.toMatchObject({ code: 'crm-request-failed' });
  });
});
