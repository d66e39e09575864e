// The manager's view of each call (routing/calls.ts) rule by rule: which
// number is "the other party", what a reconnect's snapshot and the buffered
// events behind it change (spec/protocol.md §7.5), which end reason counts,
// which calls fold into one, and the bounds on what it remembers. Each case
// failed on a hand-made break the routing, records and user-side tests did
// not catch.
import { describe, expect, it } from 'vitest';
import type { MonoMs } from '../../../src/manager/clock.ts';
import type { RoutedCallEvent } from '../../../src/manager/contracts.ts';
import { CallTracker } from '../../../src/manager/routing/calls.ts';
import { MissedStore } from '../../../src/manager/routing/missed.ts';
import type { CallNotificationMessage, CallStateMessage } from '../../../src/protocol/index.ts';
import { lineSettingsFor } from '../support/line-settings.ts';

const at = (s: number) => `2026-01-01T00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.000Z`;

type Extra = Partial<Omit<CallStateMessage, 'channel' | 'command' | 'callId' | 'state' | 'seq'>> & { seq?: number; line?: string };

function ev(callId: string, state: CallStateMessage['state'], second: number, extra: Extra = {}): RoutedCallEvent {
  const { line = 'pbx:25', ...rest } = extra;
  return {
    callKey: `pbx/${callId}`, line, connectorHost: 'pbx', receivedAt: (second * 1000) as MonoMs,
    event: { channel: 'connector', command: 'callState', timestamp: at(second), line: line.split(':')[1] as string, callId, state, origin: 'inbound', callerNumber: '+49 30 1234567', snapshot: false, ...rest },
  };
}

describe('the other party', () => {
  it('a call first heard of already connected, from an inbound origin, is incoming: its number is the caller\'s', () => {
    const calls = new CallTracker();
    const { call } = calls.apply(ev('c1', 'connected', 0, { callerNumber: '0301111', calledNumber: '25', snapshot: true, seq: 4 }));
    expect(call.incoming).toBe(true);
    expect(call.number).toBe('0301111');
  });

  it('a caller number longer than 64 characters is cut to 64', () => {
    const calls = new CallTracker();
    const { call } = calls.apply(ev('c1', 'offering', 0, { callerNumber: '1'.repeat(200) }));
    expect(call.number).toBe('1'.repeat(64));
  });
});

describe('after a reconnect (snapshot, then what the connector buffered)', () => {
  it('a snapshot of a known call is no news, but says it connected when the manager missed that', () => {
    const calls = new CallTracker();
    calls.apply(ev('c1', 'offering', 0, { seq: 1 }));
    const snap = calls.apply(ev('c1', 'connected', 20, { seq: 9, snapshot: true }));
    expect(snap.news).toBe(false);
    expect(snap.call.state).toBe('offering'); // the buffered events bring the state change itself
    expect(snap.call.connectedAt).toBe(at(20));
  });

  it('buffered events up to the snapshot of an unknown call are history: their earlier times count, their states are not news', () => {
    const calls = new CallTracker();
    const snap = calls.apply(ev('c1', 'connected', 30, { seq: 9, snapshot: true }));
    expect(snap.news).toBe(true);
    expect(snap.call.startedAt).toBe(at(30));
    expect(calls.apply(ev('c1', 'offering', 10, { seq: 7 })).news).toBe(false);
    const connected = calls.apply(ev('c1', 'connected', 15, { seq: 8 }));
    expect(connected.news).toBe(false);
    expect(connected.call).toMatchObject({ state: 'connected', startedAt: at(10), connectedAt: at(15) });
    const past = calls.apply(ev('c1', 'onhold', 40, { seq: 10 }));
    expect(past.news).toBe(true);
    // Past the snapshot everything is news, whatever seq follows (a connector that started counting again).
    expect(calls.apply(ev('c1', 'connected', 50, { seq: 3 })).news).toBe(true);
  });
});

describe('the end', () => {
  it('the first end reason stays: an idle that names another reason does not change it', () => {
    const calls = new CallTracker();
    calls.apply(ev('c1', 'offering', 0));
    calls.apply(ev('c1', 'disconnected', 5, { reason: 'callerHungUp' }));
    const { call } = calls.apply(ev('c1', 'idle', 6, { reason: 'calleeHungUp' }));
    expect(call.reason).toBe('callerHungUp');
    expect(call.endedAt).toBe(at(5));
  });

  it('a consultation that has ended is no longer the held call\'s consultation', () => {
    const calls = new CallTracker();
    calls.apply(ev('held', 'connected', 0));
    calls.apply(ev('cons', 'dialing', 1, { origin: 'outbound', calledNumber: '0302222', consultationOf: 'held' }));
    expect(calls.consultationOf('pbx/held')?.callKey).toBe('pbx/cons');
    calls.apply(ev('cons', 'disconnected', 2, { origin: 'outbound', calledNumber: '0302222', consultationOf: 'held' }));
    expect(calls.consultationOf('pbx/held')).toBeUndefined();
  });
});

describe('one call under two ids', () => {
  it('a related id on another line is a call of its own (a transfer to a colleague), not an alias', () => {
    const calls = new CallTracker();
    calls.apply(ev('c1', 'connected', 0, { line: 'pbx:25' }));
    const other = calls.apply(ev('c2', 'offering', 1, { line: 'pbx:26', relatedCallId: 'c1' }));
    expect(other.call.callKey).toBe('pbx/c2');
    expect(calls.size).toBe(2);
  });
});

describe('bounds', () => {
  it('tracks at most maxCalls calls: the oldest goes first', () => {
    const calls = new CallTracker(3);
    for (const id of ['a', 'b', 'c', 'd']) calls.apply(ev(id, 'offering', 0));
    expect(calls.size).toBe(3);
    expect(calls.get('pbx/a')).toBeUndefined();
    expect(calls.get('pbx/d')).toBeDefined();
  });

  it('remembers at most 10,000 dials whose call has not shown up: the oldest is forgotten', () => {
    const calls = new CallTracker();
    for (let i = 0; i <= 10_000; i += 1) calls.noteDial(`pbx/d${i}`, `user${i}`, 0 as MonoMs);
    expect(calls.apply(ev('d0', 'dialing', 1, { origin: 'outbound', calledNumber: '030' })).call.dialedBy).toBeUndefined();
    expect(calls.apply(ev('d1', 'dialing', 1, { origin: 'outbound', calledNumber: '030' })).call.dialedBy).toBe('user1');
    expect(calls.apply(ev('d10000', 'dialing', 1, { origin: 'outbound', calledNumber: '030' })).call.dialedBy).toBe('user10000');
  });

  it('remembers the other ids of at most 10,000 finished calls: the oldest id\'s late end then starts a call', () => {
    const calls = new CallTracker();
    for (let i = 0; i <= 10_000; i += 1) {
      calls.apply(ev(`m${i}`, 'offering', 0));
      calls.apply(ev(`o${i}`, 'offering', 0, { relatedCallId: `m${i}` }));
      calls.remove(calls.apply(ev(`m${i}`, 'idle', 1)).call);
    }
    expect(calls.size).toBe(0);
    expect(calls.apply(ev('o10000', 'idle', 2)).news).toBe(false);
    expect(calls.apply(ev('o1', 'idle', 2)).news).toBe(false);
    expect(calls.size).toBe(0);
    expect(calls.apply(ev('o0', 'idle', 2)).news).toBe(true);
    expect(calls.size).toBe(1);
  });
});

describe('kept missed calls', () => {
  const note = (id: string): CallNotificationMessage => ({
    channel: 'intincall', command: 'callNotification', notificationId: id, callKey: `pbx/${id}`, timestamp: at(0), line: 'pbx:25', state: 'idle',
    direction: 'inbound', number: '030', matches: [], popup: lineSettingsFor().popup, replayed: false,
  });

  it('keeps the newest maxPerUser per user, marked replayed, and hands them over once', () => {
    const missed = new MissedStore({ maxPerUser: 2, maxAgeMs: 60_000, maxUsers: 10 });
    for (const [i, id] of ['a', 'b', 'c'].entries()) missed.keep('anna', note(id), (i * 1000) as MonoMs);
    const taken = missed.take('anna', 3000 as MonoMs);
    expect(taken.map((n) => n.notificationId)).toEqual(['b', 'c']);
    expect(taken.every((n) => n.replayed)).toBe(true);
    expect(missed.take('anna', 3000 as MonoMs)).toEqual([]);
  });

  it('hands over only what is at most maxAgeMs old', () => {
    const missed = new MissedStore({ maxPerUser: 5, maxAgeMs: 60_000, maxUsers: 10 });
    missed.keep('anna', note('old'), 0 as MonoMs);
    missed.keep('anna', note('young'), 30_000 as MonoMs);
    expect(missed.take('anna', 65_000 as MonoMs).map((n) => n.notificationId)).toEqual(['young']);
  });

  it('keeps at most maxUsers users: the user kept longest is dropped', () => {
    const missed = new MissedStore({ maxPerUser: 5, maxAgeMs: 60_000, maxUsers: 2 });
    for (const u of ['anna', 'jens', 'lukas']) missed.keep(u, note(u), 0 as MonoMs);
    expect([missed.count('anna'), missed.count('jens'), missed.count('lukas')]).toEqual([0, 1, 1]);
  });
});
