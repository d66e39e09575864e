// Property (issue 17): any sequence of the agent's button presses and of the
// phone system's own events leaves the panel's view of the agent's calls equal
// to the PBX's. The chain is the production code of every layer between them:
// the simulated PBX through its LineProvider, the connector's wire mapping,
// the manager's call tracker and notification builder, the client's call book
// and the buttons' own decision (`controlsFor`) of what the agent may press.
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { VirtualClock } from '../../simulator/pbx/clock.ts';
import { SimulatedPbx } from '../../simulator/pbx/pbx.ts';
import { SimulatedLineProvider } from '../../simulator/pbx/provider.ts';
import { CallBook } from '../../src/client/calls.ts';
import { contextOf } from '../../src/client/controls.ts';
import { controlsFor } from '../../src/client/ui/call-controls.ts';
import { LineProviderError, type ProviderEvent } from '../../src/connector/line-provider.ts';
import { toCallState } from '../../src/connector/wire.ts';
import type { MonoMs } from '../../src/manager/clock.ts';
import type { LineSettings } from '../../src/manager/entitlements/settings.ts';
import { CallTracker } from '../../src/manager/routing/calls.ts';
import { buildNotification } from '../../src/manager/routing/notification.ts';
import { CALL_CONTROLS, type CallControlAction, type WelcomeLine } from '../../src/protocol/index.ts';

const AGENT = '21';
const HOST = 'pbx';
const POPUP = { openOnlyWhenConnected: false, openRecord: false, position: 1, durationSeconds: 0, openPhoneCallOption: 0 };
const SETTINGS = { popup: POPUP } as LineSettings;

type Step =
  | { kind: 'press'; pick: number; target: string }
  | { kind: 'ring' }
  | { kind: 'answerAt'; line: string }
  | { kind: 'farHangup' }
  | { kind: 'wait'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('press' as const), pick: fc.nat(20), target: fc.constantFrom('22', '23', '0301234567') }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'ring' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('answerAt' as const), line: fc.constantFrom('22', '23') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'farHangup' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.constantFrom(100, 1_000, 6_000) }) },
);

function world(controls: readonly (typeof CALL_CONTROLS)[number][]) {
  const clock = new VirtualClock();
  const pbx = new SimulatedPbx({ clock, lines: [{ extension: '20' }, { extension: AGENT, controls }, '22', '23'], callWaiting: true });
  const provider = new SimulatedLineProvider(pbx);
  const tracker = new CallTracker();
  const book = new CallBook();
  const lines: WelcomeLine[] = [{ line: `${HOST}:${AGENT}`, displayName: AGENT, dialing: {} as WelcomeLine['dialing'], popup: POPUP, controls: [...controls] }];
  let seq = 0;
  let n = 0;
  provider.subscribe((e: ProviderEvent) => {
    if (e.type !== 'call' || e.line !== AGENT) return;
    const timestamp = new Date(Date.UTC(2026, 0, 1) + e.at).toISOString();
    const event = { ...toCallState(e, timestamp, false), seq: (seq += 1) };
    const { call } = tracker.apply({ callKey: `${HOST}/${e.callId}`, line: `${HOST}:${AGENT}`, connectorHost: HOST, event, receivedAt: e.at as MonoMs });
    book.apply(buildNotification({ notificationId: `n-${(n += 1)}`, call, timestamp, settings: SETTINGS, identification: { matches: [] }, replayed: false }));
  });
  return { clock, pbx, provider, book, lines };
}

async function press(w: ReturnType<typeof world>, pick: number, target: string): Promise<void> {
  const active = w.book.active();
  const options: { callId: string; action: CallControlAction | 'answer' }[] = [];
  for (const call of active) {
    const callId = call.callKey.slice(HOST.length + 1);
    if (call.state === 'offering' || call.state === 'accepted') options.push({ callId, action: 'answer' });
    for (const action of controlsFor(call, contextOf(call, active, w.lines))) options.push({ callId, action });
  }
  const chosen = options[pick % Math.max(1, options.length)];
  if (chosen === undefined) return;
  const p = w.provider;
  const run: Record<CallControlAction, () => Promise<unknown>> = {
    answer: () => p.answer(chosen.callId), drop: () => p.drop(chosen.callId), reject: () => p.reject(chosen.callId),
    hold: () => p.hold(chosen.callId), unhold: () => p.unhold(chosen.callId),
    transfer: () => p.transfer(chosen.callId, target), consult: () => p.consult(chosen.callId, target),
    completeTransfer: () => p.completeTransfer(chosen.callId), cancelConsult: () => p.cancelConsult(chosen.callId), conference: () => p.conference(chosen.callId),
  };
  try {
    await run[chosen.action]();
  } catch (err) {
    // A button the panel offered may still be refused (the consulted party has not answered, a busy target): typed, never a crash.
    expect(err).toBeInstanceOf(LineProviderError);
    expect(['invalid-state', 'unknown-line']).toContain((err as LineProviderError).code);
  }
}

async function apply(w: ReturnType<typeof world>, s: Step): Promise<void> {
  switch (s.kind) {
    case 'press':
      return press(w, s.pick, s.target);
    case 'ring':
      w.pbx.incoming({ number: '+4930123456' }, AGENT);
      return;
    case 'answerAt': {
      const ringing = w.pbx.activeCalls().find((c) => c.line === s.line && c.state === 'offering');
      if (ringing !== undefined) w.pbx.answer(ringing.callId);
      return;
    }
    case 'farHangup': {
      const mine = w.pbx.activeCalls().find((c) => c.line === AGENT);
      const session = mine === undefined ? undefined : w.pbx.sessionOfCall(mine.callId);
      if (session !== undefined) {
        try {
          w.pbx.remoteHangup(session);
        } catch {
          // An internal session has no external party to hang up.
        }
      }
      return;
    }
    case 'wait':
      w.clock.advance(s.ms);
      return;
  }
}

function expectSameState(w: ReturnType<typeof world>): void {
  const atPbx = w.pbx.activeCalls().filter((c) => c.line === AGENT);
  const inPanel = w.book.active();
  expect(inPanel.map((c) => c.callKey).sort()).toEqual(atPbx.map((c) => `${HOST}/${c.callId}`).sort());
  for (const call of atPbx) {
    const view = w.book.get(`${HOST}/${call.callId}`);
    expect(view?.state).toBe(call.state);
    expect(view?.consultationOf).toBe(call.consultationOf === undefined ? undefined : `${HOST}/${call.consultationOf}`);
  }
  expect(w.pbx.faults()).toEqual([]);
}

test.prop([fc.subarray([...CALL_CONTROLS]), fc.array(step, { minLength: 1, maxLength: 40 })], { numRuns: 200 })(
  'the panel\'s calls and their states equal the PBX\'s after any sequence of button presses and PBX events',
  async (controls, steps) => {
    const w = world(controls);
    await w.provider.open();
    for (const s of steps) {
      await apply(w, s);
      expectSameState(w);
    }
    w.clock.advance(60_000);
    expectSameState(w);
    await w.provider.close();
    w.pbx.close();
  },
);
