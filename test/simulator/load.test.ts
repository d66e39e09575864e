import { describe, expect, it } from 'vitest';
import { checkCallSequence } from '../../simulator/pbx/call-machine.ts';
import { LoadError, parseDistribution, startLoad } from '../../simulator/pbx/load.ts';
import { parseLineSpec } from '../../simulator/pbx/lines.ts';
import { seededRandom } from '../../simulator/pbx/prng.ts';
import { virtualPbx } from './helpers.ts';

describe('load generator', () => {
  it('offers about rate × duration calls, misses about the missed share, and every call ends idle', () => {
    const t = virtualPbx({ lines: parseLineSpec('100-399') });
    const run = startLoad(t.pbx, {
      callsPerSecond: 10,
      durationMs: 600_000,
      ring: parseDistribution('2s..10s'),
      talk: parseDistribution('~10s'),
      missedShare: 0.25,
      random: seededRandom(7),
    });
    t.clock.runUntilIdle();
    const { offered, missed, busy } = run.stats;
    expect(offered).toBeGreaterThan(5600);
    expect(offered).toBeLessThan(6400);
    expect(missed / offered).toBeGreaterThan(0.22);
    expect(missed / offered).toBeLessThan(0.28);
    expect(busy).toBeLessThan(offered * 0.1);
    expect(checkCallSequence(t.calls(), { requireIdle: true })).toEqual([]);
    expect(t.calls().filter((e) => e.state === 'disconnected' && e.reason === 'callerHungUp').length).toBe(missed);
  });

  it('stop() cancels every pending arrival and hang-up', () => {
    const t = virtualPbx();
    const run = startLoad(t.pbx, { callsPerSecond: 5, durationMs: 60_000, ring: parseDistribution('1s'), talk: parseDistribution('10s'), missedShare: 0, random: seededRandom(1) });
    t.clock.advance(5000);
    run.stop();
    const count = t.events.length;
    t.clock.runUntilIdle();
    expect(t.events.length).toBe(count);
  });

  it('rejects bad settings with typed errors', () => {
    const t = virtualPbx();
    const base = { durationMs: 1000, ring: parseDistribution('1s'), talk: parseDistribution('1s'), missedShare: 0, random: seededRandom(1) };
    expect(() => startLoad(t.pbx, { ...base, callsPerSecond: 0 })).toThrow(LoadError);
    expect(() => startLoad(t.pbx, { ...base, callsPerSecond: 1, missedShare: 1.5 })).toThrow(/missed share/);
    expect(() => parseDistribution('9s..2s')).toThrow(/upper bound/);
    expect(parseDistribution('~90s')).toMatchObject({ kind: 'exponential', meanMs: 90_000 });
    expect(parseDistribution('1.5s')).toEqual({ kind: 'fixed', ms: 1500 });
  });
});
