// The connector's central promise, as a property: whatever the schedule of
// disconnects, reconnects and acknowledgements during a random PBX scenario,
// the manager receives every event exactly once and in order — or, where the
// bounded buffer overflowed, an explicit eventsLost record in its place.
import { describe, expect } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import type { ProviderEvent } from '../../../src/connector/line-provider.ts';
import { FakeManager, until } from '../support/fake-manager.ts';
import { startHarness } from '../support/harness.ts';

const LINES = ['20', '21', '22', '23', '24', '25'];

type Step =
  | { kind: 'incoming'; line: number; from: string }
  | { kind: 'answer' | 'drop'; pick: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'service'; line: number; inService: boolean }
  | { kind: 'disconnect' }
  | { kind: 'away' | 'back' }
  | { kind: 'ack' }
  | { kind: 'pause'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('incoming' as const), line: fc.nat(5), from: fc.stringMatching(/^0[1-9]\d{3,8}$/) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('answer' as const, 'drop' as const), pick: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('service' as const), line: fc.nat(5), inService: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('away' as const, 'back' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('ack' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 25 }) }) },
);

function keyOf(e: { command: string; callId?: string; state?: string; line?: unknown; inService?: boolean }): string {
  return e.command === 'callState' ? `call ${e.callId} ${e.state}` : `line ${String(e.line)} ${String(e.inService)}`;
}

/** How often the interesting paths were taken (checked after the property ran). */
const tally = { runs: 0, withLoss: 0, withReconnect: 0 };

/** Every provider event arrives exactly once, in order, or is counted in an eventsLost record at its place. */
function expectExactlyOnceOrLost(m: FakeManager, expected: readonly string[]): void {
  expect(m.violations).toEqual([]);
  let i = 0;
  for (const got of m.events) {
    if (got.command === 'eventsLost') {
      expect(got.count).toBeGreaterThan(0);
      i += got.count;
      continue;
    }
    expect(keyOf(got)).toBe(expected[i]);
    i += 1;
  }
  expect(i).toBe(expected.length);
}

function record(h: Awaited<ReturnType<typeof startHarness>>): string[] {
  const expected: string[] = [];
  h.provider.subscribe((event: ProviderEvent) => {
    if (event.type === 'call') expected.push(keyOf({ command: 'callState', callId: event.callId, state: event.state }));
    if (event.type === 'lineOutOfService' || event.type === 'lineInService') expected.push(keyOf({ command: 'lineState', line: event.line, inService: event.type === 'lineInService' }));
  });
  return expected;
}

async function deliverEverything(m: FakeManager, h: Awaited<ReturnType<typeof startHarness>>): Promise<void> {
  m.options.autoAck = true;
  m.options.away = false;
  await until(() => h.service.stats.link === 'ready', 5_000, 'link ready');
  m.ack();
  await until(() => {
    const b = h.service.stats.buffer;
    return b.pendingLoss === undefined && m.lastSeq === b.lastSeq && b.ackedSeq === b.lastSeq;
  }, 5_000, 'everything delivered');
}

describe('never lose an event', () => {
  fcTest.prop([fc.array(step, { minLength: 5, maxLength: 60 }), fc.constantFrom(10_000, 10, 14), fc.boolean()], { numRuns: 25, endOnFailure: true })(
    'exactly once and in order, or an explicit loss record',
    async (steps, bufferSize, startAway) => {
      const m = await FakeManager.start({ autoAck: false });
      const h = await startHarness(m, { lines: LINES, config: { EventBufferSize: bufferSize } });
      try {
        const expected = record(h);
        await m.waitFor(() => m.of('lines').length === 1);
        if (startAway) {
          m.options.away = true;
          m.dropConnections();
        }
        for (const s of steps) {
          try {
            switch (s.kind) {
              case 'incoming':
                h.pbx.incoming({ number: s.from }, LINES[s.line] as string);
                break;
              case 'answer':
              case 'drop': {
                const calls = h.pbx.activeCalls();
                const call = calls[s.pick % Math.max(1, calls.length)];
                if (call) h.pbx[s.kind](call.callId);
                break;
              }
              case 'advance':
                h.clock.advance(s.ms);
                break;
              case 'service':
                h.pbx.setInService(LINES[s.line] as string, s.inService);
                break;
              case 'disconnect':
                m.dropConnections();
                break;
              case 'away':
                m.options.away = true;
                m.dropConnections();
                break;
              case 'back':
                m.options.away = false;
                break;
              case 'ack':
                m.ack();
                break;
              case 'pause':
                await new Promise((r) => setTimeout(r, s.ms));
                break;
            }
          } catch (err) {
            // The PBX refuses impossible actions (answer a connected call, …): part of a random scenario.
            if ((err as { code?: string }).code === undefined) throw err;
          }
        }
        // Let the manager acknowledge everything from now on and wait until all arrived.
        await deliverEverything(m, h);

        expectExactlyOnceOrLost(m, expected);
        tally.runs += 1;
        if (m.registrations.length > 1) tally.withReconnect += 1;
        if (bufferSize === 10_000) expect(m.events.some((e) => e.command === 'eventsLost')).toBe(false);
      } finally {
        await h.service.stop();
        await m.close();
      }
    },
  );

  fcTest('the random schedules did exercise reconnects', () => {
    expect(tally.runs).toBe(25);
    expect(tally.withReconnect).toBeGreaterThan(0);
  });

  fcTest.prop(
    [fc.integer({ min: 10, max: 16 }), fc.array(fc.record({ line: fc.nat(5), ringMs: fc.integer({ min: 0, max: 60_000 }) }), { minLength: 6, maxLength: 30 }), fc.nat(3)],
    { numRuns: 15, endOnFailure: true },
  )('an overflowing buffer reports the gap in order, with the exact count', async (bufferSize, calls, ackedBefore) => {
    const m = await FakeManager.start({ autoAck: false });
    const h = await startHarness(m, { lines: LINES, config: { EventBufferSize: bufferSize } });
    try {
      const expected = record(h);
      await m.waitFor(() => m.of('lines').length === 1);
      for (let i = 0; i < ackedBefore; i += 1) h.pbx.incoming({ number: `0300${i}` }, LINES[i] as string);
      await m.waitFor(() => m.events.length === expected.length);
      m.options.away = true;
      m.dropConnections();
      for (const [i, c] of calls.entries()) {
        try {
          h.pbx.incoming({ number: `0301${i}` }, LINES[c.line] as string);
        } catch (err) {
          if ((err as { code?: string }).code === undefined) throw err;
        }
        h.clock.advance(c.ringMs);
      }
      await deliverEverything(m, h);
      expectExactlyOnceOrLost(m, expected);
      if (expected.length > bufferSize + ackedBefore) expect(m.events.some((e) => e.command === 'eventsLost')).toBe(true);
    } finally {
      await h.service.stop();
      await m.close();
    }
  });
});
