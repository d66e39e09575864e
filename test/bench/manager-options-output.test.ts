// What the README and docs/performance.md say bench/manager.ts does with its options: --ablate leaves parts
// out and judges nothing, --call-ms lets calls last, --codec-relay and --journal-relay add relays that are not
// judged, --hold-lock has another writer hold the outbox's lock without stopping the event loop, --event-loop-cpu
// keeps a CPU for the event loop as the manager's EventLoopCpu key does. Small sizes:
// this checks the output, not the speed. (The diagnostics it prints are checked in manager-output.test.ts.)
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { allowedCpus, formatCpuList } from '../../src/platform/cpu-affinity.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const cpus = process.platform === 'linux' ? (allowedCpus() ?? []) : [];

describe('bench/manager.ts options', () => {
  it.runIf(cpus.length >= 2)('--event-loop-cpu: the event loop alone on its CPU in every run, the workers and the stand-in Web API on the rest', async () => {
    const args = ['--import', 'tsx', 'bench/manager.ts', '--clients', '40', '--rate', '20', '--seconds', '1', '--backlog', '10'];
    const cpu = cpus[cpus.length - 1]!;
    const { stdout } = await run(process.execPath, [...args, '--event-loop-cpu', String(cpu)], { cwd: ROOT, timeout: 120_000 });
    const rest = formatCpuList(cpus.filter((c) => c !== cpu));
    expect(stdout).toContain(`event loop alone on CPU ${cpu}, every other thread and the stand-in Web API on CPUs ${rest} (--event-loop-cpu, as the manager's EventLoopCpu; the relays' runs too)`);
    // Each manager run, with its journal, writer, checkpointer and (flat out) delivery worker up: none beside the loop.
    const placed = [...stdout.matchAll(/; (\d+) other threads, (\d+) of them on the event loop's CPU$/gm)];
    expect(placed).toHaveLength(3);
    for (const [, others, beside] of placed) {
      expect(Number(others)).toBeGreaterThanOrEqual(8);
      expect(Number(beside)).toBe(0);
    }
    await expect(run(process.execPath, [...args, '--event-loop-cpu', 'one'], { cwd: ROOT, timeout: 120_000 })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: invalid-option: --event-loop-cpu must be a CPU number from 0 to 8191, as the manager's EventLoopCpu key; got "one".*\n$/) });
  }, 150_000);

  it('leaves out the parts --ablate names, says so, and checks no requirement then', async () => {
    const args = ['--import', 'tsx', 'bench/manager.ts', '--clients', '40', '--rate', '20', '--seconds', '1', '--backlog', '10', '--trace'];
    const { stdout } = await run(process.execPath, [...args, '--ablate', 'journal,outbox', '--deliver', 'instant'], { cwd: ROOT, timeout: 120_000 });
    expect(stdout).toMatch(/; journal LEFT OUT, outbox storage LEFT OUT, records delivered by a transport that answers at once$/m);
    expect(stdout).not.toContain('records over HTTPS');
    // The records are still built and handed to the outbox; nothing is ever due, so nothing is delivered.
    expect(stdout).toMatch(/^ {2}atomically \d+× \d+ ms/m);
    expect(stdout).toMatch(/^ {2}.*\bdue \d+×/m);
    expect(stdout).not.toMatch(/\bdelivered \d+×/);
    expect(stdout).toMatch(/^requirement not checked with parts left out \(journal, outbox\): popup p99 .* all popups delivered and acknowledged$/m);
    await expect(run(process.execPath, [...args, '--ablate', 'journal,disk'], { cwd: ROOT, timeout: 120_000 })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: invalid-option: --ablate takes a list of journal, outbox; got "disk".*\n$/) });
    await expect(run(process.execPath, [...args, '--profile', 'relay', '--profile-interval', '20'], { cwd: ROOT, timeout: 120_000 })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: invalid-option: --profile-interval must be a whole number of microseconds from 50 to 100000; got 20.*\n$/) });
    await expect(run(process.execPath, [...args, '--deliver', 'carrier-pigeon'], { cwd: ROOT, timeout: 120_000 })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: invalid-option: --deliver must be one of https, https-loop, instant; got "carrier-pigeon".*\n$/) });
  }, 150_000);

  it('--call-ms: each call ends between other calls\' offerings; everything arrives and is acknowledged, and the requirement is not judged', async () => {
    const args = ['--import', 'tsx', 'bench/manager.ts', '--clients', '40', '--rate', '20', '--seconds', '1', '--backlog', '10', '--call-ms', '120'];
    const { stdout } = await run(process.execPath, args, { cwd: ROOT, timeout: 120_000 });
    expect(stdout).toMatch(/\(20 popups\), calls lasting about 120 ms; journal/);
    // The seqs count up in each connector's order of frames: every connector acknowledged up to its last one, in all three runs.
    expect(stdout.match(/every connector acknowledged up to its last frame/g)).toHaveLength(3);
    expect(stdout).toMatch(/^requirement not checked with calls lasting about 120 ms \(judged with each idle right behind its offering; only delivery is checked\): popup p99 .* all popups delivered and acknowledged$/m);
  }, 150_000);

  it('--codec-relay: a relay that decodes and encodes runs after each bare relay; its ratios are printed and not judged', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/manager.ts', '--clients', '40', '--rate', '20', '--seconds', '1', '--backlog', '10', '--rounds', '2', '--codec-relay'], { cwd: ROOT, timeout: 120_000 });
    const floor = /^bare relay \(floor\) +([\d.]+) +([\d.]+) +20\/20$/m.exec(stdout);
    const codec = /^relay \+ codec \(not judged\) +([\d.]+) +([\d.]+) +20\/20 +ratio ([\d.]+)x \/ ([\d.]+)x$/m.exec(stdout);
    expect(floor).not.toBeNull();
    expect(codec).not.toBeNull();
    expect(Number(codec![4])).toBeCloseTo(Number(codec![2]) / Number(floor![2]), 0);
    expect(stdout).toMatch(/^relay \+ codec: event-loop delay p99 \d+\.\d ms, max \d+\.\d ms; GC \d+ pauses/m);
    const busy = /^main thread busy per popup: bare relay (\d+) µs; .*; relay \+ codec (\d+) µs \((\d+\.\d\d)x\)$/m.exec(stdout);
    expect(busy).not.toBeNull();
    expect(Number(busy![3])).toBeCloseTo(Number(busy![2]) / Number(busy![1]), 1);
    // Per round: the codec relay's p99 over that round's bare relay, and the flat-out run's over the codec relay's; medians of two are the upper ones.
    const rounds = /^rounds \(relay and flat-out run interleaved\): 1: ([\d.]+) \/ ([\d.]+) ms = [\d.]+x; 2: ([\d.]+) \/ ([\d.]+) ms = [\d.]+x; median ([\d.]+)x$/m.exec(stdout);
    const codecRounds = /^relay \+ codec p99 \(not judged\): 1: ([\d.]+) ms = ([\d.]+)x the bare relay; 2: ([\d.]+) ms = ([\d.]+)x the bare relay; median ([\d.]+)x; the flat-out run's p99 over it: median ([\d.]+)x$/m.exec(stdout);
    expect(rounds).not.toBeNull();
    expect(codecRounds).not.toBeNull();
    const [m1, r1, m2, r2] = [1, 2, 3, 4].map((i) => Number(rounds![i]));
    const [c1, x1, c2, x2, xMedian, overMedian] = [1, 2, 3, 4, 5, 6].map((i) => Number(codecRounds![i]));
    expect(Number(codec![2])).toBeCloseTo(c1!, 1); // the first round is the runs above
    expect(x1).toBeCloseTo(c1! / r1!, 1);
    expect(x2).toBeCloseTo(c2! / r2!, 1);
    expect(xMedian).toBe(Math.max(x1!, x2!));
    expect(overMedian).toBeCloseTo(Math.max(m1! / c1!, m2! / c2!), 1);
    // The verdict is still the manager against the bare relay.
    expect(stdout).toMatch(new RegExp(`^requirement not checked below 2,000 clients .*: popup p99 ${rounds![5]}x the bare relay \\(median of 2 rounds\\)`, 'm'));
    // --call-ms refuses a call longer than ten minutes instead of shortening it.
    await expect(run(process.execPath, ['--import', 'tsx', 'bench/manager.ts', '--call-ms', '600001'], { cwd: ROOT, timeout: 60_000 })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: invalid-option: --call-ms must be at most 600000 \(ten minutes\); got 600001.*\n$/) });
  }, 150_000);

  it('--journal-relay: the codec relay also journals and acknowledges; its rows, its acknowledgements and its ratios are printed and not judged', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/manager.ts', '--clients', '40', '--rate', '20', '--seconds', '1', '--backlog', '10', '--journal-relay'], { cwd: ROOT, timeout: 120_000 });
    const floor = /^bare relay \(floor\) +([\d.]+) +([\d.]+) +20\/20$/m.exec(stdout);
    const journal = /^relay \+ codec \+ journal \(not judged\) +([\d.]+) +([\d.]+) +20\/20 +ratio ([\d.]+)x \/ ([\d.]+)x$/m.exec(stdout);
    expect(floor).not.toBeNull();
    expect(journal).not.toBeNull();
    expect(Number(journal![4])).toBeCloseTo(Number(journal![2]) / Number(floor![2]), 0);
    // Without the journal's acknowledgements up to each connector's last event the run would count as lost.
    expect(stdout).toMatch(/^relay \+ codec \+ journal: every connector acknowledged up to its last event in every run$/m);
    expect(stdout).toMatch(/^relay \+ codec \+ journal: event-loop delay p99 \d+\.\d ms, max \d+\.\d ms; GC \d+ pauses/m);
    expect(stdout).toMatch(/^main thread busy per popup: bare relay \d+ µs; .*; relay \+ codec \+ journal \d+ µs \(\d+\.\d\dx\)$/m);
    expect(stdout).toMatch(/^relay \+ codec \+ journal p99 \(not judged\): 1: [\d.]+ ms = [\d.]+x the bare relay; median [\d.]+x; the flat-out run's p99 over it: median [\d.]+x$/m);
    expect(stdout).not.toMatch(/^relay \+ codec \(not judged\)/m);
    expect(stdout).toMatch(/^requirement not checked below 2,000 clients .*all popups delivered and acknowledged$/m);
  }, 150_000);

  it('--hold-lock: a writer holding the outbox lock (a commit stuck on a stalled disk) does not stop the manager\'s event loop', async () => {
    // Before the records were written off the loop, each run's event loop stood still for the whole hold:
    // "max 631.3 ms", a store call "atomically 631.0 ms" (checked against the code of c1c5069).
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/manager.ts', '--clients', '40', '--rate', '20', '--seconds', '2', '--backlog', '10', '--hold-lock', '600', '--rounds', '2'], { cwd: ROOT, timeout: 120_000 });
    expect(stdout).toMatch(/^the outbox's write lock held by another connection for 600 ms in each manager run/m);
    // --rounds 2: the relay and the flat-out run twice, interleaved; the verdict takes the median (the upper one of two).
    const rounds = /^rounds \(relay and flat-out run interleaved\): 1: ([\d.]+) \/ ([\d.]+) ms = ([\d.]+)x; 2: ([\d.]+) \/ ([\d.]+) ms = ([\d.]+)x; median ([\d.]+)x$/m.exec(stdout);
    expect(rounds).not.toBeNull();
    const [r1, r2, median] = [Number(rounds![3]), Number(rounds![6]), Number(rounds![7])];
    expect(r1).toBeCloseTo(Number(rounds![1]) / Number(rounds![2]), 1);
    expect(median).toBe(Math.max(r1, r2));
    expect(stdout).toMatch(new RegExp(`popup p99 ${rounds![7]}x the bare relay \\(median of 2 rounds\\)`));
    const runs = [...stdout.matchAll(/^(manager, records queued|manager \+ outbox flat out|\+ backlog of 10): event-loop delay p99 [\d.]+ ms, max ([\d.]+) ms; outbox store on the loop: \d+ calls, \d+ ms, longest ([\d.]+) ms \(\w+\); (\d+) writes waiting/gm)];
    expect(runs).toHaveLength(3);
    for (const [, , loopMax, storeMax] of runs) {
      expect(Number(loopMax)).toBeLessThan(400);
      expect(Number(storeMax)).toBeLessThan(300);
    }
    // The queued run keeps its records: those of the calls during the hold landed once it ended (2 per call).
    expect(Number(runs[0]![4])).toBeGreaterThanOrEqual(60);
    expect(stdout).toMatch(/all popups delivered and acknowledged$/m);
  }, 150_000);
});
