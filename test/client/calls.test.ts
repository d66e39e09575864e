import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CallBook, opensPhoneCall, type CallEffect } from '../../src/client/calls.ts';
import { OPEN_PHONE_CALL } from '../../src/client/schema-names.ts';
import { CALL_STATES, type CallNotificationMessage, type PopupSettings } from '../../src/protocol/index.ts';

const POPUP: PopupSettings = { openOnlyWhenConnected: false, openRecord: false, position: 1, durationSeconds: 30, openPhoneCallOption: OPEN_PHONE_CALL.incoming };
const MATCH = { entity: 'contact', id: '0f8fad5b-d9cb-469f-a165-70867728950e', name: 'Anna Müller', field: 'telephone1' };

let n = 0;
function note(state: CallNotificationMessage['state'], extra: Partial<CallNotificationMessage> = {}): CallNotificationMessage {
  n += 1;
  return {
    channel: 'intincall', command: 'callNotification', notificationId: `n-${n}`, callKey: 'pbx/1', timestamp: `2024-05-02T08:15:${String(n % 60).padStart(2, '0')}.000Z`,
    line: 'pbx:21', state, direction: 'inbound', number: '0301234567', e164: '+49301234567', matches: [MATCH], popup: POPUP, replayed: false, ...extra,
  };
}
const kinds = (effects: CallEffect[]) => effects.map((e) => e.kind);

describe('CallBook', () => {
  it('incoming call: popup and phone call on ring, updates, closes on end; answered → not missed', () => {
    const b = new CallBook();
    expect(kinds(b.apply(note('offering')))).toEqual(['showPopup', 'openPhoneCall']);
    expect(kinds(b.apply(note('connected')))).toEqual(['updatePopup']);
    const end = b.apply(note('disconnected', { endedReason: 'callerHungUp' }));
    expect(end).toEqual([expect.objectContaining({ kind: 'closePopup', why: 'ended' })]);
    expect(b.apply(note('idle'))).toEqual([]);
  });

  it('unanswered incoming call goes to the missed list', () => {
    const b = new CallBook();
    b.apply(note('offering'));
    expect(kinds(b.apply(note('disconnected', { endedReason: 'callerHungUp' })))).toEqual(['closePopup', 'missed']);
  });

  it('a replayed missed call (manager kept it while the client was away) is listed without a popup', () => {
    const b = new CallBook();
    expect(kinds(b.apply(note('idle', { replayed: true, endedReason: 'callerHungUp' })))).toEqual(['missed']);
  });

  it('answered by a colleague: the popup closes with the name; not missed', () => {
    const b = new CallBook();
    b.apply(note('offering'));
    const e = b.apply(note('connected', { answeredBy: 'Jens Wagner' }));
    expect(e).toEqual([expect.objectContaining({ kind: 'closePopup', why: 'answeredElsewhere' })]);
    expect(b.get('pbx/1')?.answeredBy).toBe('Jens Wagner');
    expect(kinds(b.apply(note('disconnected')))).toEqual([]);
  });

  it('picked up elsewhere before the popup showed: shown and closed with the reason', () => {
    const b = new CallBook();
    expect(kinds(b.apply(note('disconnected', { endedReason: 'pickedUpElsewhere', answeredBy: 'Tom' })))).toEqual(['showPopup', 'closePopup']);
  });

  it('open only when connected: the phone call waits for the answer, with the record when asked', () => {
    const b = new CallBook();
    const popup = { ...POPUP, openOnlyWhenConnected: true, openRecord: true };
    expect(kinds(b.apply(note('offering', { popup })))).toEqual(['showPopup']);
    const e = b.apply(note('connected', { popup }));
    expect(e).toEqual([expect.objectContaining({ kind: 'updatePopup' }), expect.objectContaining({ kind: 'openPhoneCall', withRecord: MATCH })]);
  });

  it('outgoing calls: no popup, phone call per option', () => {
    const b = new CallBook();
    const popup = { ...POPUP, openPhoneCallOption: OPEN_PHONE_CALL.outgoing };
    expect(kinds(b.apply(note('dialing', { direction: 'outbound', popup })))).toEqual(['openPhoneCall']);
    expect(b.get('pbx/1')?.incoming).toBe(false);
    expect(kinds(b.apply(note('disconnected', { direction: 'outbound', popup })))).toEqual([]);
  });

  it('opensPhoneCall follows the option set', () => {
    expect(opensPhoneCall(OPEN_PHONE_CALL.never, true)).toBe(false);
    expect(opensPhoneCall(OPEN_PHONE_CALL.incoming, true)).toBe(true);
    expect(opensPhoneCall(OPEN_PHONE_CALL.incoming, false)).toBe(false);
    expect(opensPhoneCall(OPEN_PHONE_CALL.outgoing, false)).toBe(true);
    expect(opensPhoneCall(OPEN_PHONE_CALL.always, false)).toBe(true);
    expect(opensPhoneCall(12345, true)).toBe(false);
  });

  test.prop([fc.array(fc.constantFrom(...CALL_STATES), { minLength: 1, maxLength: 30 }), fc.boolean(), fc.constantFrom('inbound', 'outbound', 'internal')])(
    'any sequence: at most one popup, one phone call, one missed entry, and nothing after the end',
    (states, replayed, direction) => {
      const b = new CallBook();
      const all: CallEffect[] = [];
      let ended = false;
      for (const s of states) {
        const e = b.apply(note(s, { replayed, direction: direction as CallNotificationMessage['direction'] }));
        if (ended) expect(e).toEqual([]);
        all.push(...e);
        if (s === 'disconnected' || s === 'idle') ended = true;
      }
      const count = (k: CallEffect['kind']) => all.filter((e) => e.kind === k).length;
      expect(count('showPopup')).toBeLessThanOrEqual(1);
      expect(count('openPhoneCall')).toBeLessThanOrEqual(1);
      expect(count('missed')).toBeLessThanOrEqual(1);
      expect(count('closePopup')).toBeLessThanOrEqual(count('showPopup'));
      if (count('missed') === 1) expect(all.some((e) => e.kind === 'missed' && e.call.connectedAt === undefined)).toBe(true);
    },
  );
});
