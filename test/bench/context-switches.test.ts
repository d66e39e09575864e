// The benches' count of the main thread's context switches (bench/lib/popups.ts): how often the event loop
// slept and was woken, and how often the scheduler took its core while it had work (Linux's counts).
import { describe, expect, it } from 'vitest';
import { contextSwitches, formatCores, watchCores } from '../../bench/lib/popups.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('context switches of the main thread', () => {
  it.runIf(process.platform === 'linux')('counts each sleep of the event loop as a wake-up', async () => {
    const before = contextSwitches();
    expect(before).toBeDefined();
    // Five timers in a row, each a sleep in the poll phase with nothing else to do.
    for (let n = 0; n < 5; n += 1) await sleep(3);
    const after = contextSwitches();
    expect(after!.slept - before!.slept).toBeGreaterThanOrEqual(5);
    expect(after!.preempted).toBeGreaterThanOrEqual(before!.preempted);
  });

  it.runIf(process.platform === 'linux')('gives a run its own counts, and prints them beside the core wait', async () => {
    const watch = watchCores();
    for (let n = 0; n < 4; n += 1) await sleep(2);
    const cores = watch.stop();
    expect(cores?.switches?.slept).toBeGreaterThanOrEqual(4);
    expect(formatCores(cores)).toMatch(/^main thread ran \d+ ms, waited for a core \d+ ms \(\d+\.\d % of its run time\), woke \d+ times, preempted \d+ times$/);
  });

  it('prints no counts it does not have', () => {
    expect(formatCores({ runMs: 10, waitMs: 1 })).toBe('main thread ran 10 ms, waited for a core 1 ms (10.0 % of its run time)');
    expect(formatCores(undefined)).toBe('main thread core wait not measured (no schedstat)');
  });
});
