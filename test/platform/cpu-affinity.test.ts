// EventLoopCpu's pieces (src/platform/cpu-affinity.ts): the kernel's CPU lists read and written, the plan and its
// refusals, and — in a real child process — every thread but the event loop's moved to the other CPUs, workers
// started afterwards included. The manager's own start with the key: test/manager/event-loop-cpu.test.ts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AffinityError, allowedCpus, formatCpuList, parseCpuList, planAffinity } from '../../src/platform/cpu-affinity.ts';

const run = promisify(execFile);

describe('CPU lists', () => {
  it('formatCpuList and parseCpuList invert each other on any set of CPUs', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 60 }), (cpus) => {
        const text = formatCpuList(cpus);
        expect(text).toMatch(/^\d+(-\d+)?(,\d+(-\d+)?)*$/);
        expect(parseCpuList(text)).toEqual([...cpus].sort((a, b) => a - b));
      }),
    );
  });

  it('writes runs as ranges, as the kernel does', () => {
    expect(formatCpuList([3, 0, 1, 2, 6, 8, 9])).toBe('0-3,6,8-9');
    expect(formatCpuList([1])).toBe('1');
  });

  it('refuses what is not a CPU list', () => {
    for (const bad of ['', 'a', '1,', ',1', '3-1', '1-', '0x1', '1 2', '99999', '0-9000']) expect(parseCpuList(bad), bad).toBeUndefined();
  });
});

describe('planAffinity', () => {
  it('puts the loop on its CPU and everything else on the CPUs left', () => {
    expect(planAffinity(2, [0, 1, 2, 3], 'linux')).toEqual({ loop: 2, background: [0, 1, 3] });
  });

  it('refuses off Linux, a CPU the process may not use, and a single CPU, each with its code and a sentence', () => {
    const cases: [AffinityError | object, string, RegExp][] = [
      [planAffinity(0, [0, 1], 'win32'), 'affinity-unsupported', /Linux only \(this is win32\)/],
      [planAffinity(5, [0, 1, 2], 'linux'), 'affinity-cpu-unavailable', /CPU 5 is not one this process may run on \(0-2\)/],
      [planAffinity(0, [0], 'linux'), 'affinity-single-cpu', /at least two CPUs.*CPU 0 only/],
    ];
    for (const [result, code, message] of cases) {
      expect(result).toBeInstanceOf(AffinityError);
      expect((result as AffinityError).code).toBe(code);
      expect((result as AffinityError).message).toMatch(message);
    }
  });
});

// A child process applies the setting, then starts a background worker (the journal's) and a module worker (the
// directory's key worker boot), and prints where each of its threads may run.
const CHILD = `
import { kernelThreadId, keepEventLoopCpu, threadCpus, threadsOnCpu } from './src/platform/cpu-affinity.ts';
import { SqliteSeqStore } from './src/manager/gateway/sqlite-seq-store.ts';
import { Worker } from 'node:worker_threads';
import { MODULE_WORKER_BOOT, moduleWorkerData } from './src/platform/module-worker.ts';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
const keep = setInterval(() => {}, 1000); // the workers are unref'd: this keeps the process up until the end
try {
  const plan = await keepEventLoopCpu(Number(process.argv.at(-1)));
  const journal = new SqliteSeqStore(join(mkdtempSync(join(tmpdir(), 'affinity-')), 'journal.db'));
  journal.set('pbx', 1, { host: 'pbx', key: 'k1', message: { channel: 'connector', command: 'keepAlive' } });
  await new Promise((resolve) => journal.whenDurable(resolve));
  const entry = 'data:text/javascript,' + encodeURIComponent("import { parentPort } from 'node:worker_threads'; parentPort.postMessage('up');");
  const worker = new Worker(MODULE_WORKER_BOOT, { workerData: moduleWorkerData(entry) });
  await new Promise((resolve) => worker.once('message', resolve));
  const loop = kernelThreadId();
  console.log(JSON.stringify({ plan, loop, threads: Object.fromEntries(threadCpus()), onLoop: threadsOnCpu(plan.loop), onOther: threadsOnCpu(plan.background[0]) }));
  await worker.terminate();
  journal.close();
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message }));
} finally {
  clearInterval(keep);
}
`;

async function inChild(cpu: number, env: NodeJS.ProcessEnv = process.env): Promise<{ plan?: { loop: number; background: number[] }; loop?: string; threads?: Record<string, string>; onLoop?: { others: number; beside: number }; onOther?: { others: number; beside: number }; code?: string; message?: string }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, String(cpu)], { timeout: 60_000, env });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe.runIf(process.platform === 'linux')('keepEventLoopCpu in a real process', () => {
  const allowed = allowedCpus() ?? [];

  it.runIf(allowed.length >= 2)('the event loop alone on its CPU; every other thread, workers started later included, on the rest', async () => {
    const cpu = allowed[0]!;
    const out = await inChild(cpu);
    expect(out.code).toBeUndefined();
    const background = formatCpuList(allowed.filter((c) => c !== cpu));
    expect(out.plan).toEqual({ loop: cpu, background: allowed.filter((c) => c !== cpu) });
    const threads = out.threads!;
    expect(threads[out.loop!]).toBe(String(cpu));
    const others = Object.entries(threads).filter(([tid]) => tid !== out.loop);
    // V8's helpers and libuv's pool (started before) and the journal's and the module worker's threads (after).
    expect(others.length).toBeGreaterThanOrEqual(6);
    expect(others.filter(([, cpus]) => cpus !== background)).toEqual([]);
    // threadsOnCpu, as the benches check the placement: the loop's own thread left out, none beside it, all on the rest.
    expect(out.onLoop).toEqual({ others: others.length, beside: 0 });
    expect(out.onOther).toEqual({ others: others.length, beside: others.length });
  }, 90_000);

  it.runIf(allowed.length === 1)('refuses on a single CPU and changes nothing', async () => {
    const out = await inChild(allowed[0]!);
    expect(out.code).toBe('affinity-single-cpu');
  }, 90_000);

  it.runIf(allowed.length >= 2)('without taskset, fails with affinity-failed and says what is missing', async () => {
    const out = await inChild(allowed[0]!, { ...process.env, PATH: '/nonexistent' });
    expect(out.code).toBe('affinity-failed');
    expect(out.message).toBe("EventLoopCpu: could not set the threads' CPUs: taskset (util-linux) is not installed");
  }, 90_000);

  it('refuses a CPU this process may not use, before touching any thread', async () => {
    const out = await inChild(8191);
    expect(out.code).toBe('affinity-cpu-unavailable');
    expect(out.message).toContain(`(${formatCpuList(allowed)})`);
  }, 90_000);
});
