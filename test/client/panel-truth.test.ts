// Issue 17 item 2 without a browser: what the header says in each state, the
// timer's format, one number format everywhere, the line's state, the dial
// box's check, and that a rejected call is not missed.
import { fc, test } from '@fast-check/vitest';
import { getCountries, getExampleNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { describe, expect, it } from 'vitest';
import { formatDuration, headerText, phaseOf } from '../../src/client/call-header.ts';
import { CallBook, type CallView } from '../../src/client/calls.ts';
import { STRINGS } from '../../src/client/i18n.ts';
import { parseMissedEntry } from '../../src/client/missed.ts';
import { dialTarget, showNumber } from '../../src/client/phone-format.ts';
import { OPEN_PHONE_CALL } from '../../src/client/schema-names.ts';
import { dialOptions } from '../../src/client/ui/dial-menu.ts';
import { lineStateOf } from '../../src/client/ui/lines-view.ts';
import { CALL_STATES, type CallNotificationMessage, type LineDialingSettings, type WelcomeLine } from '../../src/protocol/index.ts';

const en = STRINGS.en;
const DE_DIALING: LineDialingSettings = { internationalPrefix: '00', nationalPrefix: '0', countryCode: '49', areaCode: '341', baseNumber: '', outsideLinePrefix: '0', incomingDirectionCode: '', maxInternalLength: 3, dialLocalWithoutAreaCode: true };
const POPUP = { openOnlyWhenConnected: false, openRecord: false, position: 1, durationSeconds: 30, openPhoneCallOption: OPEN_PHONE_CALL.never };
const line = (name: string, dialing = DE_DIALING): WelcomeLine => ({ line: `pbx:${name}`, displayName: name, dialing, popup: POPUP });

function note(state: CallNotificationMessage['state'], extra: Partial<CallNotificationMessage> = {}): CallNotificationMessage {
  return {
    channel: 'intincall', command: 'callNotification', notificationId: `n-${state}`, callKey: 'pbx/1', timestamp: '2024-05-02T08:15:00.000Z',
    line: 'pbx:21', state, direction: 'inbound', number: '0301234567', e164: '+49301234567', matches: [], popup: POPUP, replayed: false, ...extra,
  };
}

const call = (state: CallView['state'], extra: Partial<CallView> = {}): CallView => ({
  callKey: 'k', line: 'pbx:21', direction: 'inbound', number: '0301234567', matches: [], popup: POPUP, state, startedAt: '', incoming: true, ...extra,
});

describe('the header follows the call', () => {
  it('ringing, dialling, connected with the timer, on hold, ended, rejected, answered elsewhere', () => {
    const h = (c: CallView, since?: number, rejectedHere = false, now = 65_000) => headerText({ call: c, talkingSince: since, rejectedHere, now }, en);
    expect(h(call('offering'))).toBe('Incoming call');
    expect(h(call('offering', { direction: 'internal' }))).toBe('Internal call');
    expect(h(call('ringback', { direction: 'outbound', incoming: false }))).toBe('Calling…');
    expect(h(call('connected'), 0)).toBe('Connected · 1:05');
    expect(h(call('onhold'), 0)).toBe('On hold · 1:05');
    expect(h(call('disconnected'), 0)).toBe('Call ended · 1:05');
    expect(h(call('disconnected'))).toBe('Call ended');
    expect(h(call('disconnected'), undefined, true)).toBe('Call rejected');
    expect(h(call('disconnected', { endedReason: 'rejected' }))).toBe('Call rejected');
    expect(h(call('disconnected', { answeredBy: 'Jens Wagner' }))).toBe('Answered by Jens Wagner');
    expect(headerText({ call: call('onhold'), talkingSince: 0, rejectedHere: false, now: 3_725_000 }, STRINGS.de)).toBe('Gehalten · 1:02:05');
  });

  test.prop([fc.constantFrom(...CALL_STATES), fc.constantFrom('inbound', 'outbound', 'internal'), fc.option(fc.nat(10_000_000), { nil: undefined }), fc.nat(10_000_000)])(
    'every state has a header of one short line, in both languages',
    (state, direction, since, now) => {
      for (const s of Object.values(STRINGS)) {
        const text = headerText({ call: call(state, { direction: direction as CallView['direction'] }), talkingSince: since, rejectedHere: false, now }, s);
        expect(text.length).toBeGreaterThan(0);
        expect(text.length).toBeLessThanOrEqual(40);
        expect(text).not.toMatch(/\n/);
      }
    },
  );

  test.prop([fc.integer({ min: -10_000, max: 400_000_000 })])('the timer reads back as the whole seconds elapsed (never negative)', (ms) => {
    const parts = formatDuration(ms).split(':').map(Number);
    const seconds = parts.reduce((a, p) => a * 60 + p, 0);
    expect(seconds).toBe(Math.max(0, Math.floor(ms / 1000)));
    expect(formatDuration(ms)).toMatch(/^(\d+:[0-5]\d:[0-5]\d|[0-5]?\d:[0-5]\d)$/);
  });
});

describe('one number format everywhere', () => {
  it('E.164 in the international format, the raw value kept for the tooltip', () => {
    expect(showNumber('+442079460321')).toEqual({ text: '+44 20 7946 0321', raw: '+442079460321' });
    expect(showNumber('02079460321', '+442079460321')).toEqual({ text: '+44 20 7946 0321', raw: '02079460321' });
    expect(showNumber('+44 (20) 7946-0321')).toEqual({ text: '+44 20 7946 0321', raw: '+44 (20) 7946-0321' });
    expect(showNumber('21')).toEqual({ text: '21', raw: '21' }); // an extension stays as it is
    expect(showNumber('hello')).toEqual({ text: 'hello', raw: 'hello' });
  });

  const samples = getCountries().map((c) => getExampleNumber(c, examples)?.number).filter((n): n is NonNullable<typeof n> => n !== undefined);
  test.prop([fc.constantFrom(...samples)])('formatting keeps the digits of every country\'s example number', (e164) => {
    const shown = showNumber(e164);
    expect(shown.text.replace(/\D/g, '')).toBe(e164.slice(1));
    expect(shown.text.startsWith('+')).toBe(true);
  });
});

describe('dial box and lines', () => {
  it('"hello" is offered on no line; a number is offered where the rules read it, with what is dialled', () => {
    expect(dialOptions('hello', [line('21'), line('22')])).toEqual([]);
    const o = dialOptions('+44 20 7946 0321', [line('21'), line('22')]);
    expect(o.map((x) => x.line.line)).toEqual(['pbx:21', 'pbx:22']);
    expect(o[0]?.target).toEqual({ dial: '000442079460321', shown: { text: '+44 20 7946 0321', raw: '+44 20 7946 0321' } });
    expect(dialTarget('21', DE_DIALING)).toEqual({ dial: '21', shown: { text: '21', raw: '21' } });
  });

  it('a line is busy while one of its calls talks, and free when its calls ended', () => {
    expect(lineStateOf([])).toBe('free');
    expect(lineStateOf([call('offering')])).toBe('ringing');
    expect(lineStateOf([call('offering'), call('onhold')])).toBe('onhold');
    expect(lineStateOf([call('onhold'), call('connected')])).toBe('connected');
    expect(lineStateOf([call('disconnected')])).toBe('free');
    for (const s of CALL_STATES) expect(lineStateOf([call(s)])).toBe(phaseOf(s) === 'ended' ? 'free' : phaseOf(s));
  });
});

describe('rejected calls are not missed', () => {
  it('rejected here (whatever end reason the PBX gives), or reported as rejected: closes as rejected, not missed', () => {
    const b = new CallBook();
    b.apply(note('offering'));
    b.markRejected('pbx/1', true);
    const end = b.apply(note('disconnected', { endedReason: 'callerHungUp' }));
    expect(end.map((e) => e.kind)).toEqual(['closePopup']);
    expect(end[0]).toMatchObject({ why: 'rejected' });

    const c = new CallBook();
    c.apply(note('offering'));
    expect(c.apply(note('disconnected', { endedReason: 'rejected' })).map((e) => e.kind)).toEqual(['closePopup']);
  });

  it('a refused reject is undone: the unanswered call is missed', () => {
    const b = new CallBook();
    b.apply(note('offering'));
    b.markRejected('pbx/1', true);
    b.markRejected('pbx/1', false);
    expect(b.apply(note('disconnected', { endedReason: 'noAnswer' })).map((e) => e.kind)).toEqual(['closePopup', 'missed']);
  });

  it('missed entries from other tabs keep a valid E.164 and drop anything else', () => {
    const base = { callKey: 'k', line: 'l', number: '0301234567', at: '2024-05-02T08:15:00.000Z' };
    expect(parseMissedEntry({ ...base, e164: '+49301234567' })?.e164).toBe('+49301234567');
    expect(parseMissedEntry({ ...base, e164: '<img>' })?.e164).toBeUndefined();
  });
});

describe('the lines follow the PBX', () => {
  const CALLS = [{ key: 'c1', line: 'pbx:21' }, { key: 'c2', line: 'pbx:21' }, { key: 'c3', line: 'pbx:22' }] as const;
  test.prop([fc.array(fc.tuple(fc.constantFrom(0, 1, 2), fc.constantFrom(...CALL_STATES)), { maxLength: 40 })])(
    'after any sequence of call states, each line shows the most engaged state among its calls that have not ended',
    (events) => {
      const book = new CallBook();
      const last = new Map<string, CallView['state']>();
      const over = new Set<string>();
      for (const [i, state] of events) {
        const c = CALLS[i]!;
        book.apply(note(state, { callKey: c.key, line: c.line, notificationId: `${c.key}-${state}-${Math.random()}` }));
        if (over.has(c.key)) continue; // the PBX said it ended: later news about it is stale
        last.set(c.key, state);
        if (phaseOf(state) === 'ended') over.add(c.key);
      }
      for (const line of ['pbx:21', 'pbx:22']) {
        const live = CALLS.filter((c) => c.line === line && last.has(c.key) && !over.has(c.key)).map((c) => phaseOf(last.get(c.key)!));
        const expected = (['connected', 'onhold', 'dialling', 'busy', 'ringing'] as const).find((p) => live.includes(p)) ?? 'free';
        expect(lineStateOf(book.active().filter((v) => v.line === line))).toBe(expected);
      }
    },
  );
});
