// The benches' count of the main thread's context switches (bench/lib/popups.ts): how often the event loop
// slept and was woken, and how often the scheduler took its core while it had work (Linux's counts).
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { contextSwitches, formatCores, othersBetween, threadTimes, watchCores } from '../../bench/lib/popups.ts';

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
    expect(formatCores(cores)).toMatch(/^main thread ran \d+ ms, waited for a core \d+ ms \(\d+\.\d % of its run time\), woke \d+ times, preempted \d+ times(; other threads ran \d+ ms at nice -?\d+(, \d+ ms at nice -?\d+)*)?$/);
  });

  it.runIf(process.platform === 'linux')("counts a worker's CPU under its nice value, not the main thread's", async () => {
    const watch = watchCores();
    // A worker at nice 10, as the manager's background workers run, busy for 60 ms of CPU time.
    const worker = new Worker(`process.getBuiltinModule('node:os').setPriority(10);
      const start = process.cpuUsage(); while ((process.cpuUsage(start).user + process.cpuUsage(start).system) < 60000) {}
      require('node:worker_threads').parentPort.postMessage('done');`, { eval: true });
    await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
    const cores = watch.stop();
    await worker.terminate();
    // process.cpuUsage is the whole process's: the worker spun until the process had used 60 ms, so at least part of it is the worker's own.
    expect(cores?.others?.get(10)).toBeGreaterThan(20);
    expect(formatCores(cores)).toMatch(/; other threads ran .*\d+ ms at nice 10/);
  });

  it('adds up the threads by nice value, a new thread from zero and an ended one not at all', () => {
    const start = new Map([[11, { runMs: 100 }], [12, { runMs: 5 }], [13, { runMs: 40 }]]);
    const end = new Map([[11, { runMs: 130, nice: 0 }], [12, { runMs: 9, nice: 10 }], [14, { runMs: 7, nice: 10 }]]);
    expect([...othersBetween(start, end)]).toEqual([[0, 30], [10, 11]]);
    expect(formatCores({ runMs: 10, waitMs: 1, others: othersBetween(start, end) })).toBe('main thread ran 10 ms, waited for a core 1 ms (10.0 % of its run time); other threads ran 30 ms at nice 0, 11 ms at nice 10');
  });

  it.runIf(process.platform === 'linux')('lists every thread but the main one', () => {
    const threads = threadTimes();
    expect(threads).toBeDefined();
    expect(threads!.has(process.pid)).toBe(false);
    // V8's platform threads and libuv's at least: a Node process has several.
    expect(threads!.size).toBeGreaterThan(0);
    for (const { runMs, nice } of threads!.values()) {
      expect(runMs).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(nice)).toBe(true);
    }
  });

  it('prints no counts it does not have', () => {
    expect(formatCores({ runMs: 10, waitMs: 1 })).toBe('main thread ran 10 ms, waited for a core 1 ms (10.0 % of its run time)');
    expect(formatCores(undefined)).toBe('main thread core wait not measured (no schedstat)');
  });
});
