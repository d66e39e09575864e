// bench/lib/trace.ts: how a run's records over HTTPS are reported (bench/manager.ts --deliver https).
import { describe, expect, it } from 'vitest';
import { formatDelivered } from '../../bench/lib/trace.ts';

describe("a run's records over HTTPS", () => {
  it('without a drain: the counts alone (the queued run, whose outbox never starts)', () => {
    expect(formatDelivered({ created: 0, refused: 0, cpuMs: 12 })).toBe('0 created, 0 refused');
  });

  it('after a drain: all delivered, or how many were still waiting when the wait ended', () => {
    expect(formatDelivered({ created: 40, refused: 0, cpuMs: 12, drainMs: 2_249, waiting: 0 })).toBe('40 created, 0 refused (all delivered 2.2 s after the calls)');
    expect(formatDelivered({ created: 31, refused: 2, cpuMs: 12, drainMs: 120_004, waiting: 9 })).toBe('31 created, 2 refused (9 still waiting 120.0 s after the calls)');
  });
});
