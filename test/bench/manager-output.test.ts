// What the README says bench/manager.ts prints besides its figures: each run's GC pauses and the main
// thread's wait for a core (the relay's too), with --tail each run's slowest popups and what overlapped them, with --stages
// where each popup's latency went, and with --profile RUN a CPU
// profile of that run's calls and its main-thread work by part. Small sizes: this checks the output, not the speed.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROFILE = join(ROOT, 'manager-flat-out.cpuprofile');

describe('bench/manager.ts output', () => {
  afterAll(() => rmSync(PROFILE, { force: true }));

  it('prints the GC pauses of every run, the slowest popups with --tail, the stages with --stages, and writes the CPU profile that --profile names', async () => {
    rmSync(PROFILE, { force: true });
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/manager.ts', '--clients', '40', '--rate', '20', '--seconds', '1', '--backlog', '10', '--tail', '--stages', '--profile', 'flat-out', '--profile-interval', '100'], { cwd: ROOT, timeout: 120_000 });
    for (const run of ['manager, records queued', 'manager + outbox flat out', '+ backlog of 10', 'bare relay']) {
      // Every run with the same watches, the loop-delay timer too (the relay's as the manager's).
      expect(stdout).toMatch(new RegExp(`^${run.replace(/[+]/g, '\\+')}: event-loop delay p99 \\d+\\.\\d ms, max \\d+\\.\\d ms; .*GC \\d+ pauses, \\d+ ms in all, longest \\d+\\.\\d ms; `, 'm'));
    }
    // Each run's main-thread CPU time and its wait for a core (Linux's schedstat): the wait is part of the run time's wall clock, never negative.
    // (A manager run's line goes on with what the stand-in Web API took: `; records over HTTPS: …`.)
    // And how often its loop slept and was woken, and how often it was preempted (Linux's context-switch counts).
    const cores = [...stdout.matchAll(/; main thread ran (\d+) ms, waited for a core (\d+) ms \((\d+\.\d) % of its run time\), woke (\d+) times, preempted (\d+) times(?:; other threads ran ((?:\d+ ms at nice -?\d+(?:, )?)+))?(?:; records over HTTPS: \d+ created, \d+ refused(?: \(all delivered [\d.]+ s after the calls\))?)?$/gm)];
    if (process.platform === 'linux') {
      expect(cores).toHaveLength(4);
      // The process's other threads by nice value: the manager's runs have their workers at nice 10 (journal, outbox, delivery).
      expect(cores.filter((m) => / ms at nice 10\b/.test(m[6] ?? ''))).toHaveLength(3);
      for (const [, ran, waited, share, woke, preempted] of cores) {
        expect(Number(ran)).toBeGreaterThan(0);
        expect(Number(waited)).toBeGreaterThanOrEqual(0);
        // 20 popups in a second, paced by the drive's sleeps: the loop slept between them and was woken for each.
        expect(Number(woke)).toBeGreaterThanOrEqual(20);
        expect(Number(preempted)).toBeGreaterThanOrEqual(0);
        // Printed from unrounded figures: ran and waited are each off by at most 0.5 ms.
        expect(Math.abs(Number(share) - (100 * Number(waited)) / Number(ran))).toBeLessThanOrEqual(100 / Number(ran) + 0.1);
      }
    }
    // Journal batches per manager run: one per popup and a few: a forget rides with the next popup's batch (two per popup when each made its own).
    const batches = [...stdout.matchAll(/; journal (\d+) batches, every connector acknowledged up to its last frame; GC/g)].map((m) => Number(m[1]));
    expect(batches).toHaveLength(3);
    for (const b of batches) expect(b).toBeGreaterThan(0);
    for (const b of batches) expect(b).toBeLessThanOrEqual(30);
    // The outbox WAL's high-water mark, at the end and when the calls started: the calls' records grew it.
    const wal = [...stdout.matchAll(/; WAL high-water (\d+) pages \((\d+) when the calls started\);/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    expect(wal).toHaveLength(3);
    for (const [end, start] of wal) expect(end).toBeGreaterThan(start);
    expect(stdout).toMatch(/^requirement not checked/m);
    // The work behind the latencies: busy time per popup for the relay and every manager run, with the ratio
    // (the flat-out run is profiled here: its busy time is marked as not comparable).
    const busy = /^main thread busy per popup: bare relay (\d+) µs; manager, records queued (\d+) µs \((\d+\.\d\d)x\); manager \+ outbox flat out (\d+) µs \((\d+\.\d\d)x\) \(profiled: not comparable\); \+ backlog of 10 (\d+) µs \((\d+\.\d\d)x\)$/m.exec(stdout);
    expect(busy).not.toBeNull();
    const [relayUs, queuedUs, queuedRatio] = [Number(busy![1]), Number(busy![2]), Number(busy![3])];
    expect(relayUs).toBeGreaterThan(0);
    expect(queuedRatio).toBeCloseTo(queuedUs / relayUs, 1);
    // --tail: per manager run and for the relay's first run (last), the 20 popups (all of them at this size) slowest
    // first, each counted once; on Linux with how long the main thread waited for a core during each.
    const tails = [...stdout.matchAll(/^ {2}slowest (\d+) popups: (\d+) overlap a GC pause, (\d+) a store call over 0\.5 ms, (\d+) neither(?:; the main thread waited for a core (\d+\.\d) ms of their (\d+\.\d) ms, at least half the latency for (\d+) of them)?\n((?: {4}\d+\.\d\d ms.*\n?)+)/gm)];
    expect(tails).toHaveLength(4);
    expect(stdout.indexOf(tails[3]![0])).toBeGreaterThan(stdout.indexOf('bare relay: GC'));
    expect(Number(tails[3]![3])).toBe(0); // the relay has no store
    for (const [, n, gc, store, neither, waitedMs, totalMs, waitedHalf, lines] of tails) {
      expect(Number(n)).toBe(20);
      const rows = (lines as string).trim().split('\n');
      const ms = rows.map((l) => Number.parseFloat(l.trim()));
      expect(ms).toHaveLength(20);
      expect(ms).toEqual([...ms].sort((a, b) => b - a));
      expect(Number(neither)).toBe(rows.filter((l) => !l.includes(': ')).length);
      expect(Number(gc) + Number(store)).toBeGreaterThanOrEqual(20 - Number(neither));
      if (process.platform !== 'linux') continue;
      expect(waitedMs).toBeDefined();
      const waits = rows.map((l) => Number(/\(waited for a core (\d+\.\d\d) ms\)/.exec(l)?.[1]));
      expect(waits.every((w, i) => Number.isFinite(w) && w >= 0 && w <= (ms[i] as number) + 0.05)).toBe(true);
      expect(Number(waitedMs)).toBeCloseTo(waits.reduce((a, b) => a + b, 0), 0);
      expect(Number(totalMs)).toBeCloseTo(ms.reduce((a, b) => a + b, 0), 0);
      expect(Number(waitedHalf)).toBe(waits.filter((w, i) => w >= (ms[i] as number) / 2).length);
    }
    // --stages: per manager run and for the relay's first run (last), every delivered popup followed through its
    // three stages, each stage's percentiles in order and none negative (each stage ends after it starts).
    const stages = [...stdout.matchAll(/^ {2}stages of (\d+) popups, p50 \/ p90 \/ p99 µs: taken in (\d+) \/ (\d+) \/ (\d+); handled (\d+) \/ (\d+) \/ (\d+); after (\d+) \/ (\d+) \/ (\d+)$/gm)];
    expect(stages).toHaveLength(4);
    expect(stdout.indexOf(stages[3]![0])).toBeGreaterThan(stdout.indexOf('bare relay: GC'));
    for (const [, n, ...us] of stages) {
      expect(Number(n)).toBe(20);
      const [p50a, p90a, p99a, p50b, p90b, p99b, p50c, p90c, p99c] = us.map(Number) as number[];
      for (const [p50, p90, p99] of [[p50a, p90a, p99a], [p50b, p90b, p99b], [p50c, p90c, p99c]] as const) {
        expect(p50).toBeGreaterThanOrEqual(0);
        expect(p90).toBeGreaterThanOrEqual(p50 as number);
        expect(p99).toBeGreaterThanOrEqual(p90 as number);
      }
    }
    expect(existsSync(PROFILE)).toBe(true);
    const profile = JSON.parse(readFileSync(PROFILE, 'utf8')) as { nodes: { callFrame: { url: string } }[] };
    // The profile covers the calls: the manager's gateway decoded call events while it ran.
    expect(profile.nodes.some((n) => n.callFrame.url.endsWith('src/manager/gateway/connection.ts'))).toBe(true);
    // And what the profile says, by part: the total is the parts' sum, and the manager's own parts are there.
    const split = stdout.match(/^flat-out run, main thread's work by part \(CPU profile\): (\d+) ms, (\d+) µs per popup( \(the profiler's own \d+ ms not counted\))?$/m);
    expect(split).not.toBeNull();
    const parts = [...stdout.matchAll(/^ {2}([^:\n]+): (\d+) ms, (\d+) µs per popup$/gm)].map((m) => ({ part: m[1] as string, ms: Number(m[2]) }));
    expect(parts.map((p) => p.part)).toContain('connector frames in, popups out');
    expect(parts.map((p) => p.part)).toContain('records and outbox');
    expect(Math.abs(parts.reduce((a, p) => a + p.ms, 0) - Number(split?.[1]))).toBeLessThanOrEqual(parts.length);
    // The profiled run's busy time is marked: the profiler's sampling makes libuv count idle time as busy.
    expect(stdout).toMatch(/^main thread busy per popup: bare relay \d+ µs; .*manager \+ outbox flat out \d+ µs \([\d.]+x\) \(profiled: not comparable\);/m);
    expect(stdout).not.toMatch(/records queued \d+ µs \([\d.]+x\) \(profiled/);
    // By default the records go over HTTPS from the manager's delivery worker to the stand-in Web API (another
    // process): none while queued; every one the stand-in took, none refused, in the delivering runs.
    expect(stdout).toMatch(/, records delivered over HTTPS by the manager's Dataverse client in its delivery worker to a stand-in Web API in another process$/m);
    const https = [...stdout.matchAll(/^(manager, records queued|manager \+ outbox flat out|\+ backlog of 10):.*; records over HTTPS: (\d+) created, (\d+) refused( \(all delivered [\d.]+ s after the calls\))?$/gm)].map((m) => [m[1], Number(m[2]), Number(m[3]), m[4] !== undefined]);
    expect(https).toHaveLength(3);
    // Nothing while queued (the outbox never starts, nothing is waited for).
    expect(https[0]).toEqual(['manager, records queued', 0, 0, false]);
    // The delivering runs wait after their calls until the outbox holds nothing, so the counts are whole: two records
    // per call (phone call and call log), each exactly once; the backlog's 10 besides in the backlog run.
    expect(https[1]).toEqual(['manager + outbox flat out', 40, 0, true]);
    expect(https[2]).toEqual(['+ backlog of 10', 50, 0, true]);
  }, 150_000);

  it('--profile relay,queued profiles the first bare relay and the queued run, and splits their work the same way', async () => {
    const relayProfile = join(ROOT, 'relay.cpuprofile');
    rmSync(relayProfile, { force: true });
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/manager.ts', '--clients', '40', '--rate', '20', '--seconds', '1', '--backlog', '10', '--profile', 'relay,queued', '--profile-interval', '100'], { cwd: ROOT, timeout: 120_000 });
      expect(existsSync(relayProfile)).toBe(true);
      // --profile-interval 100: the samples come about every 100 µs (V8's default is 1,000), so the relay's small part is found.
      const deltas = (JSON.parse(readFileSync(relayProfile, 'utf8')) as { timeDeltas: number[] }).timeDeltas.toSorted((a, b) => a - b);
      expect(deltas[Math.floor(deltas.length / 2)]).toBeLessThan(500);
      expect(stdout).toMatch(/^bare relay run, main thread's work by part \(CPU profile\): \d+ ms, \d+ µs per popup( \(the profiler's own \d+ ms not counted\))?$/m);
      expect(stdout).toMatch(/^ {2}the relay \(frames in, messages out\): \d+ ms/m);
      // The relay has no manager: nothing of its run can be attributed to the manager's parts.
      const after = stdout.slice(stdout.indexOf('bare relay run, main thread')).split('\n').slice(1);
      const relaySplit = after.slice(0, after.findIndex((line) => !line.startsWith('  '))).join('\n');
      expect(relaySplit).toMatch(/^ {2}the relay/m);
      expect(relaySplit).not.toMatch(/^ {2}(connector frames in, popups out|records and outbox|journal):/m);
      expect(stdout).toMatch(/^queued run, main thread's work by part/m);
      expect(stdout).not.toMatch(/^(flat-out|backlog) run, main thread's work/m);
      expect(stdout).toMatch(/^main thread busy per popup: bare relay \d+ µs \(profiled: not comparable\); manager, records queued \d+ µs \([\d.]+x\) \(profiled: not comparable\); manager \+ outbox flat out \d+ µs \([\d.]+x\); /m);
      expect(existsSync(join(ROOT, 'manager-queued.cpuprofile'))).toBe(true);
    } finally {
      rmSync(relayProfile, { force: true });
      rmSync(join(ROOT, 'manager-queued.cpuprofile'), { force: true });
    }
  }, 150_000);
});
