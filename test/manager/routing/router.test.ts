// The call router's rules one by one, on a router of its own with a clock the
// test moves: a repeated state is no news, who counts as having seen a call
// (and so is kept no missed call), who "answered elsewhere" names, when a
// hunt-group leg waits for its winner and when it stops waiting, which tab a
// welcome hands a call to, what a transfer leaves for the records, and what the
// silence sweep records. The through-gateway tests (user-side/routing.test.ts,
// e2e/shared-missed.test.ts) show the same rules on real sockets; each case
// here failed on a hand-made break those did not catch.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { LineConfigRecord, LineShare } from '../../../src/dataverse/repositories/index.ts';
import type { MonoMs } from '../../../src/manager/clock.ts';
import type { RoutedCallEvent } from '../../../src/manager/contracts.ts';
import { EntitlementTable } from '../../../src/manager/entitlements/table.ts';
import type { TrackedCall } from '../../../src/manager/routing/calls.ts';
import { MissedStore } from '../../../src/manager/routing/missed.ts';
import { CallRouter, type ClientTarget } from '../../../src/manager/routing/router.ts';
import type { CallEndReason, CallNotificationMessage, CallState } from '../../../src/protocol/index.ts';
import { lineSettingsFor, userLineRecord } from '../support/line-settings.ts';

const NAMES: Record<string, string> = { anna: 'Anna Schmidt', jens: 'Jens Wagner', sophie: 'Sophie Keller', lukas: 'Lukas Braun' };

const record = userLineRecord;

/** Read and write, as the CRM's share dialog grants. */
function shareWith(lineId: string, userId: string): LineShare {
  return { lineId, principalId: userId, principalType: 'systemuser', accessRightsMask: 3 };
}

const SETTINGS = lineSettingsFor();

/** A client tab: what it was sent. */
class Tab implements ClientTarget {
  readonly sent: CallNotificationMessage[] = [];
  open = true;
  constructor(readonly id: string, readonly user: string) {}
  send(message: CallNotificationMessage): void {
    this.sent.push(message);
  }
  of(callId: string): CallNotificationMessage[] {
    return this.sent.filter((n) => n.callKey === `pbx/${callId}`);
  }
}

interface World {
  router: CallRouter;
  missed: MissedStore;
  finished: { call: TrackedCall; keys: readonly string[] }[];
  tabs: Tab[];
  clock: { now: number };
  tab(id: string, user: string): Tab;
  event(line: string, callId: string, state: CallState, extra?: { number?: string; reason?: CallEndReason; timestamp?: string; consultationOf?: string; origin?: 'inbound' | 'outbound' }): void;
}

let world: World | undefined;
afterEach(() => world?.router.stop());

function makeWorld(records: LineConfigRecord[], shares: LineShare[] = [], elsewhereWaitMs = 60_000): World {
  const table = new EntitlementTable({ records, shares, teamMembers: new Map() });
  const tabs: Tab[] = [];
  const clock = { now: 1_000_000 };
  const missed = new MissedStore();
  const finished: World['finished'] = [];
  let n = 0;
  const router = new CallRouter({
    entitlements: () => table,
    settingsOf: () => SETTINGS,
    lookup: () => [],
    // The most recently opened open tab, or the one named while it is open (the registry's rule).
    recipients: {
      pick: (user, preferred) => {
        const open = tabs.filter((t) => t.user === user && t.open);
        return open.find((t) => t.id === preferred) ?? open.at(-1);
      },
    },
    missed,
    nameOf: (id) => NAMES[id],
    onFinished: (call, keys) => finished.push({ call, keys }),
    now: () => clock.now as MonoMs,
    newId: () => `n${(n += 1)}`,
    logger: pino({ level: 'silent' }),
    elsewhereWaitMs,
  });
  let second = 0;
  const w: World = {
    router, missed, finished, tabs, clock,
    tab(id, user) {
      const t = new Tab(id, user);
      tabs.push(t);
      return t;
    },
    event(line, callId, state, extra = {}) {
      second += 1;
      const origin = extra.origin ?? 'inbound';
      const number = extra.number ?? '+49 30 1234567';
      router.route({
        callKey: `pbx/${callId}`, line, connectorHost: 'pbx', receivedAt: clock.now as MonoMs,
        event: {
          channel: 'connector', command: 'callState', timestamp: extra.timestamp ?? `2026-01-01T00:00:${String(second % 60).padStart(2, '0')}.000Z`,
          line: line.split(':')[1] as string, callId, state, origin, snapshot: false,
          ...(origin === 'inbound' ? { callerNumber: number } : { calledNumber: number }),
          ...(extra.reason === undefined ? {} : { reason: extra.reason }),
          ...(extra.consultationOf === undefined ? {} : { consultationOf: extra.consultationOf }),
        },
      } satisfies RoutedCallEvent);
    },
  };
  world = w;
  return w;
}

describe('news', () => {
  it('the same state and number again shows nobody anything new', () => {
    const w = makeWorld([record('r1', 'pbx:21', 'anna')]);
    const anna = w.tab('a1', 'anna');
    w.event('pbx:21', 'c1', 'offering');
    w.event('pbx:21', 'c1', 'offering');
    w.event('pbx:21', 'c1', 'accepted');
    w.event('pbx:21', 'c1', 'accepted');
    expect(anna.of('c1').map((n) => n.state)).toEqual(['offering', 'accepted']);
  });
});

describe('missed', () => {
  it('a user shown the ringing call keeps no missed call of it; an entitled user who was offline does', () => {
    const w = makeWorld([record('r1', 'pbx:22', 'lukas')], [shareWith('r1', 'sophie')]);
    const sophie = w.tab('s1', 'sophie');
    w.event('pbx:22', 'c1', 'offering');
    w.event('pbx:22', 'c1', 'idle', { reason: 'callerHungUp' });
    expect(sophie.of('c1').map((n) => n.state)).toEqual(['offering', 'idle']);
    expect(w.missed.count('sophie')).toBe(0);
    expect(w.missed.count('lukas')).toBe(1);
    // Her next welcome brings nothing she saw already.
    const again = w.tab('s2', 'sophie');
    w.router.catchUp('sophie', again, (id) => w.tabs.some((t) => t.id === id && t.open));
    expect(again.sent).toEqual([]);
  });
});

describe('answered by', () => {
  it('an incoming call connected with nobody pressing answer was taken by the line\'s one owner, whom the sharers are told', () => {
    const w = makeWorld([record('r1', 'pbx:22', 'lukas')], [shareWith('r1', 'sophie')]);
    const sophie = w.tab('s1', 'sophie');
    const lukas = w.tab('l1', 'lukas');
    w.event('pbx:22', 'c1', 'offering');
    w.event('pbx:22', 'c1', 'connected');
    expect(sophie.of('c1').at(-1)).toMatchObject({ state: 'connected', answeredBy: 'Lukas Braun' });
    expect(lukas.of('c1').at(-1)?.answeredBy).toBeUndefined();
  });

  it('a line with two owners and nobody pressing answer names nobody: who picked up the shared phone is unknown', () => {
    const w = makeWorld([record('r1', 'pbx:25', 'anna'), record('r2', 'pbx:25', 'jens')], [shareWith('r1', 'sophie')]);
    const tabs = [w.tab('a1', 'anna'), w.tab('j1', 'jens'), w.tab('s1', 'sophie')];
    w.event('pbx:25', 'c1', 'offering');
    w.event('pbx:25', 'c1', 'connected');
    for (const t of tabs) {
      expect(t.of('c1').at(-1)?.state).toBe('connected');
      expect(t.of('c1').at(-1)?.answeredBy).toBeUndefined();
    }
  });
});

describe('hunt groups', () => {
  // anna is on both legs (two phones in the group); sophie shares the losing leg's line.
  const lines = () => makeWorld([record('r1', 'pbx:21', 'anna'), record('r2', 'pbx:23', 'anna')], [shareWith('r2', 'sophie')]);

  it('a losing leg waits for its winner and ends at once when the winner connects, naming who took it to all but that user', () => {
    const w = lines();
    const anna = w.tab('a1', 'anna');
    const sophie = w.tab('s1', 'sophie');
    w.event('pbx:21', 'win', 'offering');
    w.event('pbx:23', 'lose', 'offering');
    w.event('pbx:23', 'lose', 'disconnected', { reason: 'pickedUpElsewhere' });
    w.event('pbx:23', 'lose', 'idle', { reason: 'pickedUpElsewhere' });
    expect(sophie.of('lose').map((n) => n.state)).toEqual(['offering']); // parked: the wait is 60 s here
    w.event('pbx:21', 'win', 'connected');
    expect(sophie.of('lose').at(-1)).toMatchObject({ state: 'idle', endedReason: 'pickedUpElsewhere', answeredBy: 'Anna Schmidt' });
    expect(anna.of('lose').at(-1)).toMatchObject({ state: 'idle', endedReason: 'pickedUpElsewhere' });
    expect(anna.of('lose').at(-1)?.answeredBy).toBeUndefined();
    expect(w.missed.count('anna') + w.missed.count('sophie')).toBe(0);
  });

  it('a winner connected within the last minute is known at once; one connected longer ago is another call, so the leg waits', () => {
    const w = lines();
    const sophie = w.tab('s1', 'sophie');
    w.event('pbx:21', 'w1', 'offering');
    w.event('pbx:21', 'w1', 'connected');
    w.clock.now += 30_000;
    w.event('pbx:23', 'l1', 'offering');
    w.event('pbx:23', 'l1', 'idle', { reason: 'pickedUpElsewhere' });
    expect(sophie.of('l1').at(-1)).toMatchObject({ state: 'idle', answeredBy: 'Anna Schmidt' });

    w.clock.now += 61_000;
    w.event('pbx:23', 'l2', 'offering');
    w.event('pbx:23', 'l2', 'idle', { reason: 'pickedUpElsewhere' });
    expect(sophie.of('l2').map((n) => n.state)).toEqual(['offering']);
  });
  it('remembers at most 10,000 recent answers, dropping those over a minute old first', () => {
    const w = lines();
    const recent = (w.router as unknown as { recentlyConnected: Map<string, unknown> }).recentlyConnected;
    const answer = (i: number) => {
      w.event('pbx:21', `x${i}`, 'offering', { number: `030${i}` });
      w.event('pbx:21', `x${i}`, 'connected', { number: `030${i}` });
    };
    for (let i = 0; i < 6000; i += 1) answer(i);
    w.clock.now += 61_000;
    for (let i = 6000; i < 10_001; i += 1) answer(i);
    expect(recent.size).toBe(4001);
  });
});

describe('a welcome takes over calls', () => {
  it('a call whose tab has gone goes to the new tab with its current state; a call another open tab holds does not', () => {
    const w = makeWorld([record('r1', 'pbx:21', 'anna'), record('r2', 'pbx:24', 'anna')]);
    const first = w.tab('a1', 'anna');
    w.event('pbx:21', 'gone', 'offering');
    w.event('pbx:21', 'gone', 'accepted');
    first.open = false;
    const second = w.tab('a2', 'anna');
    w.event('pbx:24', 'held', 'offering');
    expect(second.of('held')).toHaveLength(1);
    const third = w.tab('a3', 'anna');
    w.router.catchUp('anna', third, (id) => w.tabs.some((t) => t.id === id && t.open));
    expect(third.of('gone')).toEqual([expect.objectContaining({ state: 'accepted', replayed: true })]);
    expect(third.of('held')).toEqual([]);
    // The call now lives in the new tab.
    w.event('pbx:21', 'gone', 'idle', { reason: 'callerHungUp' });
    expect(third.of('gone').at(-1)?.state).toBe('idle');
    expect(second.of('gone')).toEqual([]);
  });
});

describe('transfers for the records', () => {
  it('a blind transfer names its dial string until the connector refuses it', () => {
    const w = makeWorld([record('r1', 'pbx:21', 'anna')]);
    w.event('pbx:21', 'c1', 'offering');
    w.event('pbx:21', 'c1', 'connected');
    w.router.noteControl('pbx/c1', 'transfer', '0301111', 'asked');
    expect(w.router.calls.get('pbx/c1')?.transferredTo).toBe('0301111');
    w.router.noteControl('pbx/c1', 'transfer', '0301111', 'refused');
    expect(w.router.calls.get('pbx/c1')?.transferredTo).toBeUndefined();
  });

  it('a completed consultation names each party to the other, and a refusal forgets both', () => {
    const w = makeWorld([record('r1', 'pbx:21', 'anna')]);
    w.event('pbx:21', 'held', 'offering', { number: '0301111' });
    w.event('pbx:21', 'held', 'connected', { number: '0301111' });
    w.event('pbx:21', 'held', 'onhold', { number: '0301111' });
    w.event('pbx:21', 'cons', 'dialing', { origin: 'outbound', number: '0302222', consultationOf: 'held' });
    w.event('pbx:21', 'cons', 'connected', { origin: 'outbound', number: '0302222', consultationOf: 'held' });
    w.router.noteControl('pbx/held', 'completeTransfer', undefined, 'asked');
    expect(w.router.calls.get('pbx/held')?.transferredTo).toBe('0302222');
    expect(w.router.calls.get('pbx/cons')?.transferredTo).toBe('0301111');
    w.router.noteControl('pbx/held', 'completeTransfer', undefined, 'refused');
    expect(w.router.calls.get('pbx/held')?.transferredTo).toBeUndefined();
    expect(w.router.calls.get('pbx/cons')?.transferredTo).toBeUndefined();
  });
});

describe('the silence sweep', () => {
  it('records a silent call as ended at its last event, under every key, and leaves a call heard from recently', () => {
    const w = makeWorld([record('r1', 'pbx:21', 'anna')]);
    w.event('pbx:21', 'quiet', 'offering', { timestamp: '2026-01-01T08:00:00.000Z' });
    w.event('pbx:21', 'quiet', 'connected', { timestamp: '2026-01-01T08:00:05.000Z' });
    w.clock.now += 50_000;
    w.event('pbx:21', 'lively', 'offering');
    w.clock.now += 20_000;
    expect(w.router.sweep(60_000)).toBe(1);
    expect(w.finished).toHaveLength(1);
    expect(w.finished[0]?.keys).toEqual(['pbx/quiet']);
    expect(w.finished[0]?.call).toMatchObject({ callKey: 'pbx/quiet', connectedAt: '2026-01-01T08:00:05.000Z', endedAt: '2026-01-01T08:00:05.000Z' });
    expect(w.router.calls.get('pbx/lively')).toBeDefined();
  });
});
