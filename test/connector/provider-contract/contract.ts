// The LineProvider contract: one suite every provider passes (simulator,
// replay, and later tapi and baresip). A provider plugs in through a harness
// that can make an outside caller ring a line and let time pass; each flow
// below is one `it`, run on a fresh harness.
import { describe, expect, it } from 'vitest';
import { LineProviderError } from '../../../src/connector/line-provider.ts';
import type { LineProvider, ProviderEvent } from '../../../src/connector/line-provider.ts';
import { checkCallSequence } from '../../../simulator/pbx/call-machine.ts';

export interface ProviderHarness {
  readonly provider: LineProvider;
  /** An outside caller rings `line` (a replay has this in its recording and does nothing). */
  ringInbound(line: string, from: string): Promise<void>;
  /** Lets about `ms` of provider time pass, or until the provider has nothing left to do by itself. */
  advance(ms: number): Promise<void>;
  dispose(): Promise<void>;
}

export type FlowName = keyof typeof CONTRACT_FLOWS;
export type HarnessFactory = (flow: FlowName) => Promise<ProviderHarness>;

type CallEvent = Extract<ProviderEvent, { type: 'call' }>;

function calls(events: readonly ProviderEvent[], callId?: string): CallEvent[] {
  return events.filter((e): e is CallEvent => e.type === 'call' && (callId === undefined || e.callId === callId));
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error, `expected a LineProviderError ${code}`).toBeInstanceOf(LineProviderError);
  expect((error as LineProviderError).code).toBe(code);
}

function expectSound(events: readonly ProviderEvent[]): void {
  for (let i = 1; i < events.length; i++) expect((events[i] as ProviderEvent).at).toBeGreaterThanOrEqual((events[i - 1] as ProviderEvent).at);
  expect(checkCallSequence(calls(events), { requireIdle: true })).toEqual([]);
}

async function openWithLog(h: ProviderHarness): Promise<{ events: ProviderEvent[]; line: string }> {
  const events: ProviderEvent[] = [];
  h.provider.subscribe((event) => events.push(event));
  const lines = await h.provider.open();
  const line = lines.find((l) => l.inService && l.mediaModes.includes('audio'))?.name;
  expect(line, 'an in-service audio line').toBeDefined();
  return { events, line: line as string };
}

async function ringAndFind(h: ProviderHarness, events: ProviderEvent[], line: string): Promise<CallEvent> {
  await h.ringInbound(line, '+49 30 1234567');
  await h.advance(100);
  const offering = calls(events).find((e) => e.line === line && e.state === 'offering');
  expect(offering, `an offering call on line ${line}`).toBeDefined();
  return offering as CallEvent;
}

export const CONTRACT_FLOWS = {
  async lines(h: ProviderHarness): Promise<void> {
    const lines = await h.provider.open();
    expect(lines.length).toBeGreaterThan(0);
    expect(new Set(lines.map((l) => l.name)).size).toBe(lines.length);
    expect(new Set(lines.map((l) => l.permanentId)).size).toBe(lines.length);
    for (const line of lines) {
      expect(line.name).not.toBe('');
      expect(line.mediaModes.length).toBeGreaterThan(0);
      for (const mode of line.mediaModes) expect(['audio', 'video']).toContain(mode);
    }
    expect(h.provider.lines()).toEqual(lines);
    expect(await h.provider.open()).toEqual(lines);
  },

  async inbound(h: ProviderHarness): Promise<void> {
    const { events, line } = await openWithLog(h);
    const offering = await ringAndFind(h, events, line);
    expect(['inbound', 'internal']).toContain(offering.origin);
    expect(offering.caller?.number).toBeTruthy();
    expect(h.provider.activeCalls().map((c) => c.callId)).toContain(offering.callId);
    await h.provider.answer(offering.callId);
    await h.advance(100);
    expect(calls(events, offering.callId).at(-1)?.state).toBe('connected');
    expect(h.provider.activeCalls().find((c) => c.callId === offering.callId)?.state).toBe('connected');
    await h.provider.drop(offering.callId);
    await h.advance(100);
    expect(calls(events, offering.callId).map((e) => e.state).slice(-2)).toEqual(['disconnected', 'idle']);
    expect(h.provider.activeCalls().map((c) => c.callId)).not.toContain(offering.callId);
    await expectCode(h.provider.answer(offering.callId), 'no-such-call');
    expectSound(events);
  },

  async reject(h: ProviderHarness): Promise<void> {
    const { events, line } = await openWithLog(h);
    const offering = await ringAndFind(h, events, line);
    await h.provider.reject(offering.callId);
    await h.advance(100);
    const states = calls(events, offering.callId).map((e) => e.state);
    expect(states).not.toContain('connected');
    expect(states.at(-1)).toBe('idle');
    await expectCode(h.provider.reject(offering.callId), 'no-such-call');
    expectSound(events);
  },

  async outbound(h: ProviderHarness): Promise<void> {
    const { events, line } = await openWithLog(h);
    const callId = await h.provider.makeCall(line, '030 1234567');
    expect(callId).toBeTruthy();
    await h.advance(1000);
    const mine = calls(events, callId);
    expect(['dialtone', 'dialing']).toContain(mine[0]?.state);
    expect(mine[0]?.origin).toBe('outbound');
    expect(mine[0]?.line).toBe(line);
    await h.provider.drop(callId);
    await h.advance(100);
    expect(calls(events, callId).at(-1)?.state).toBe('idle');
    await expectCode(h.provider.drop(callId), 'no-such-call');
    expectSound(events);
  },

  async badCommands(h: ProviderHarness): Promise<void> {
    await expectCode(h.provider.makeCall('1', '123'), 'provider-down');
    const { events, line } = await openWithLog(h);
    await expectCode(h.provider.makeCall('no-such-line', '123'), 'unknown-line');
    await expectCode(h.provider.answer('no-such-call'), 'no-such-call');
    await expectCode(h.provider.drop('no-such-call'), 'no-such-call');
    await expectCode(h.provider.reject('no-such-call'), 'no-such-call');
    const offering = await ringAndFind(h, events, line);
    await h.provider.answer(offering.callId);
    await h.advance(100);
    // Answering or rejecting a call that is already connected is a state error, never a crash.
    await expectCode(h.provider.answer(offering.callId), 'invalid-state');
    await expectCode(h.provider.reject(offering.callId), 'invalid-state');
    await h.provider.drop(offering.callId);
    await h.advance(100);
    await h.provider.close();
    await h.provider.close();
    await expectCode(h.provider.answer(offering.callId), 'provider-down');
    await expectCode(h.provider.makeCall(line, '123'), 'provider-down');
    await expectCode(h.provider.open(), 'provider-down');
    expectSound(events);
  },

  /**
   * Call control (spec/protocol.md §7.7): a line offers what its `controls`
   * say and refuses the rest with `not-supported`; unknown calls are
   * `no-such-call` whatever the line offers.
   */
  async callControl(h: ProviderHarness): Promise<void> {
    const { events, line } = await openWithLog(h);
    const offers = new Set(h.provider.lines().find((l) => l.name === line)?.controls ?? []);
    for (const method of ['hold', 'unhold', 'completeTransfer', 'cancelConsult', 'conference'] as const) await expectCode(h.provider[method]('no-such-call'), 'no-such-call');
    await expectCode(h.provider.transfer('no-such-call', '123'), 'no-such-call');
    await expectCode(h.provider.consult('no-such-call', '123'), 'no-such-call');
    const offering = await ringAndFind(h, events, line);
    await h.provider.answer(offering.callId);
    await h.advance(100);
    const last = () => calls(events, offering.callId).at(-1);
    if (offers.has('hold')) {
      await h.provider.hold(offering.callId);
      await h.advance(100);
      expect(last()?.state).toBe('onhold');
      await expectCode(h.provider.hold(offering.callId), 'invalid-state');
      await h.provider.unhold(offering.callId);
      await h.advance(100);
      expect(last()?.state).toBe('connected');
    } else {
      await expectCode(h.provider.hold(offering.callId), 'not-supported');
      await expectCode(h.provider.unhold(offering.callId), 'not-supported');
    }
    if (offers.has('consult')) {
      // Nothing to complete yet; then a consultation that is cancelled gives the call back.
      await expectCode(h.provider.completeTransfer(offering.callId), 'invalid-state');
      const consultation = await h.provider.consult(offering.callId, '030 1234567');
      await h.advance(100);
      expect(last()?.state).toBe('onhold');
      expect(calls(events, consultation)[0]?.consultationOf).toBe(offering.callId);
      expect(calls(events, consultation)[0]?.line).toBe(line);
      await h.provider.cancelConsult(offering.callId);
      await h.advance(100);
      expect(calls(events, consultation).at(-1)?.state).toBe('idle');
      expect(last()?.state).toBe('connected');
      // A second consultation, answered by the far end, completes the transfer: both leave the line.
      const second = await h.provider.consult(offering.callId, '030 7654321');
      await h.advance(10_000);
      expect(calls(events, second).at(-1)?.state).toBe('connected');
      await h.provider.completeTransfer(offering.callId);
      await h.advance(100);
      expect(last()?.state).toBe('idle');
      expect(calls(events, offering.callId).find((e) => e.state === 'disconnected')?.reason).toBe('transferred');
      expect(calls(events, second).at(-1)?.state).toBe('idle');
    } else {
      await expectCode(h.provider.consult(offering.callId, '030 1234567'), 'not-supported');
      await expectCode(h.provider.completeTransfer(offering.callId), 'not-supported');
      await expectCode(h.provider.cancelConsult(offering.callId), 'not-supported');
      await expectCode(h.provider.conference(offering.callId), 'not-supported');
      if (!offers.has('transfer')) await expectCode(h.provider.transfer(offering.callId, '030 1234567'), 'not-supported');
      await h.provider.drop(offering.callId);
      await h.advance(100);
    }
    expect(h.provider.activeCalls().filter((c) => c.line === line)).toEqual([]);
    expectSound(events);
  },

  /** A blind transfer ends the line's part with reason `transferred`; a conference keeps the call with the consulted party in it. */
  async transferAndConference(h: ProviderHarness): Promise<void> {
    const { events, line } = await openWithLog(h);
    const offers = new Set(h.provider.lines().find((l) => l.name === line)?.controls ?? []);
    const offering = await ringAndFind(h, events, line);
    await h.provider.answer(offering.callId);
    await h.advance(100);
    if (offers.has('transfer')) {
      await h.provider.transfer(offering.callId, '030 1234567');
      await h.advance(100);
      const mine = calls(events, offering.callId);
      expect(mine.at(-1)?.state).toBe('idle');
      expect(mine.find((e) => e.state === 'disconnected')?.reason).toBe('transferred');
    } else {
      await expectCode(h.provider.transfer(offering.callId, '030 1234567'), 'not-supported');
      await h.provider.drop(offering.callId);
    }
    await h.advance(100);
    if (offers.has('conference') && offers.has('consult')) {
      await h.ringInbound(line, '+49 30 7654321');
      await h.advance(100);
      const next = calls(events).find((e) => e.line === line && e.state === 'offering' && e.callId !== offering.callId);
      if (next === undefined) throw new Error(`no second offering on line ${line}`);
      await h.provider.answer(next.callId);
      await h.advance(100);
      await expectCode(h.provider.conference(next.callId), 'invalid-state');
      const consultation = await h.provider.consult(next.callId, '030 7654321');
      await h.advance(10_000);
      await h.provider.conference(next.callId);
      await h.advance(100);
      expect(calls(events, consultation).find((e) => e.state === 'disconnected')?.reason).toBe('conferenced');
      expect(calls(events, next.callId).at(-1)?.state).toBe('connected');
      await h.provider.drop(next.callId);
      await h.advance(100);
      expect(calls(events, next.callId).at(-1)?.state).toBe('idle');
    }
    expect(h.provider.activeCalls().filter((c) => c.line === line)).toEqual([]);
  },

  async listeners(h: ProviderHarness): Promise<void> {
    const seen: ProviderEvent[] = [];
    const late: ProviderEvent[] = [];
    h.provider.subscribe(() => {
      throw new Error('a faulty consumer');
    });
    h.provider.subscribe((event) => seen.push(event));
    const unsubscribe = h.provider.subscribe((event) => late.push(event));
    unsubscribe();
    const lines = await h.provider.open();
    const line = (lines[0] as { name: string }).name;
    await ringAndFind(h, seen, line);
    await h.advance(60_000);
    expect(late).toEqual([]);
    expect(calls(seen).length).toBeGreaterThan(0);
    expectSound(seen);
  },
} satisfies Record<string, (h: ProviderHarness) => Promise<void>>;

export const FLOW_NAMES = Object.keys(CONTRACT_FLOWS) as FlowName[];

/** Registers the contract suite for one provider. */
export function providerContract(name: string, factory: HarnessFactory): void {
  describe(`LineProvider contract: ${name}`, () => {
    for (const flow of FLOW_NAMES) {
      it(flow, async () => {
        const harness = await factory(flow);
        try {
          await CONTRACT_FLOWS[flow](harness);
        } finally {
          await harness.dispose();
        }
      });
    }
  });
}
