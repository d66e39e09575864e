// bench/manager-split.ts --journal-relay: the relay that decodes, journals, acknowledges and encodes (the
// codec relay with the journal; --codec-relay is the same relay without it, its label checked in
// split-report.test.ts) is measured like the bare relay (its clients and connectors in a child process, quiet
// and with one core busy), printed beside it with its ratios, and not judged. One run checks it together with
// --rounds and --ablate (each bench run here costs CI about half a minute). --rounds N repeats the manager's and the relays' runs interleaved and prints
// each round's ratios and their medians (target 1's ratio in this layout, not judged here); --ablate is
// never judged, nor is a --deliver other than production's (bench/lib/split-report.ts's shapes, tested in
// split-report.test.ts). Small sizes: the output, not the speed.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { allowedCpus, formatCpuList } from '../../src/platform/cpu-affinity.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const cpus = process.platform === 'linux' ? (allowedCpus() ?? []) : [];

describe('bench/manager-split.ts output', () => {
  it('--rounds 2 --ablate journal --journal-relay: a table per round with the journal relay\'s rows, each round\'s ratios from its own p99s, their medians, and no verdict for an ablated stack', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/manager-split.ts', '--quick', '--clients', '40', '--rate', '20', '--seconds', '1', '--rounds', '2', '--ablate', 'journal', '--journal-relay'], { cwd: ROOT, timeout: 150_000 });
    expect(stdout).toMatch(/, 2 rounds; ABLATED \(not a production shape, not judged\): journal$/m);
    // Each round's table, in order; its p99 rows give that round's ratios.
    const tables = stdout.split(/^round \d+:$/m).slice(1);
    expect(tables).toHaveLength(2);
    const ratios = tables.map((t) => {
      const p99 = (label: string) => {
        const m = new RegExp(`^${label} +[\\d.]+ +([\\d.]+) +20/20$`, 'm').exec(t);
        expect(m, label).not.toBeNull();
        return Number(m![1]);
      };
      const printed = /^manager p99 \/ relay p99: quiet ([\d.]+)x, one core busy ([\d.]+)x$/m.exec(t);
      expect(printed).not.toBeNull();
      const quiet = p99('manager, quiet') / p99('bare relay, quiet');
      const busy = p99('manager, one core busy') / p99('bare relay, one core busy');
      // The printed p99s are rounded to 0.01 ms: the ratios agree with them within that.
      const near = (shown: string, ratio: number) => expect(Math.abs(Number(shown) - ratio)).toBeLessThanOrEqual(0.02 * ratio + 0.02);
      near(printed![1]!, quiet);
      near(printed![2]!, busy);
      // The journal relay (not judged): its p99 over the bare relay's and the manager's over its own, quiet and busy.
      const codec = /^relay \+ codec \+ journal p99 \(not judged\): quiet ([\d.]+)x the bare relay, manager ([\d.]+)x it; one core busy ([\d.]+)x the bare relay, manager ([\d.]+)x it$/m.exec(t);
      expect(codec).not.toBeNull();
      const J = 'relay \\+ codec \\+ journal';
      near(codec![1]!, p99(`${J}, quiet`) / p99('bare relay, quiet'));
      near(codec![2]!, p99('manager, quiet') / p99(`${J}, quiet`));
      near(codec![3]!, p99(`${J}, one core busy`) / p99('bare relay, one core busy'));
      near(codec![4]!, p99('manager, one core busy') / p99(`${J}, one core busy`));
      return { quiet: Number(printed![1]), busy: Number(printed![2]), journal: codec!.slice(1).map(Number) };
    });
    const line = /^rounds \(manager, then the relays, interleaved\), manager p99 \/ bare relay p99: quiet 1: ([\d.]+)x, 2: ([\d.]+)x, median ([\d.]+)x; one core busy 1: ([\d.]+)x, 2: ([\d.]+)x, median ([\d.]+)x$/m.exec(stdout);
    expect(line).not.toBeNull();
    const [q1, q2, qm, b1, b2, bm] = line!.slice(1).map(Number);
    expect([q1, q2]).toEqual(ratios.map((r) => r.quiet));
    expect([b1, b2]).toEqual(ratios.map((r) => r.busy));
    // The median of an even count is the upper middle value, as bench/manager.ts's.
    expect(qm).toBe(Math.max(q1!, q2!));
    expect(bm).toBe(Math.max(b1!, b2!));
    // The journal relay over the rounds: the medians (upper middle of two) of its rounds' ratios.
    const journal = /^relay \+ codec \+ journal p99 over the rounds \(not judged\): quiet median ([\d.]+)x the bare relay, manager median ([\d.]+)x it; one core busy median ([\d.]+)x the bare relay, manager median ([\d.]+)x it$/m.exec(stdout);
    expect(journal).not.toBeNull();
    for (let k = 0; k < 4; k += 1) expect(Number(journal![k + 1])).toBe(Math.max(...ratios.map((r) => r.journal[k]!)));
    // Its connectors were acknowledged up to their last event after each of its four runs (otherwise: lost).
    expect(stdout).toMatch(/^relay \+ codec \+ journal: every connector acknowledged up to its last event in every run$/m);
    // So was the manager's, in each of its four runs (journal ablated: it acknowledges at once, but it must).
    expect(stdout).toMatch(/^manager: every connector acknowledged up to its last event in every run$/m);
    // 40 clients at 20 popups/s: the ratio is printed, not as target 1's (2,000 clients at 200 popups/s).
    expect(stdout).toContain(`not target 1's size (2,000 clients at 200 popups/s): manager p99 / bare relay p99 median quiet ${qm!.toFixed(2)}x, one core busy ${bm!.toFixed(2)}x`);
    expect(stdout).not.toMatch(/^target 1/m);
    // Journal ablated, outbox not: the records still go over HTTPS, at most two per call of the quiet run.
    const cpu = [...stdout.matchAll(/^CPU while the quiet popups ran: manager process (\d+) ms \(all its threads\), stand-in Web API (\d+) ms for (\d+) records \(the server side: Microsoft's in production\)$/gm)];
    expect(cpu).toHaveLength(2);
    for (const [, manager, , records] of cpu) {
      expect(Number(manager)).toBeGreaterThan(0);
      expect(Number(records)).toBeLessThanOrEqual(40);
    }
    expect(stdout).toMatch(/^requirement not checked with parts ablated \(not a production shape\): popup p99 with one core busy [\d.]+ ms \(the slowest round\)/m);
  }, 150_000);

  it.runIf(cpus.length >= 2)('--event-loop-cpu: the manager\'s event loop alone on its CPU in every round, its other threads and the load child\'s on the rest; the relays on every CPU', async () => {
    const cpu = cpus[cpus.length - 1]!;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/manager-split.ts', '--quick', '--clients', '40', '--rate', '20', '--seconds', '1', '--rounds', '2', '--event-loop-cpu', String(cpu)], { cwd: ROOT, timeout: 150_000 });
    const rest = formatCpuList(cpus.filter((c) => c !== cpu));
    // Counted in each manager round once every thread is up (the manager's workers, the child's clients), the
    // second round after the relays' runs lifted the placement: with the child left on the loop's CPU (its fork
    // inherits it) this said 12.
    expect(stdout).toContain(`manager's event loop alone on CPU ${cpu}, every other thread, the load child and the stand-in Web API on CPUs ${rest} (--event-loop-cpu, as the manager's EventLoopCpu), at most 0 other threads on the loop's CPU in a round; the relays' runs on CPUs ${formatCpuList(cpus)} (no such key), the busy core's process on any`);
    expect(stdout).toMatch(/^rounds \(manager, then the relays, interleaved\), manager p99 \/ bare relay p99: quiet 1: [\d.]+x, 2: [\d.]+x, median [\d.]+x/m);
  }, 150_000);

  it('refuses a --rounds that is not a whole number from 1 to 15, an --ablate of an unknown part and an unknown --deliver, before anything runs', async () => {
    const fails = async (args: string[]) => {
      const err = await run(process.execPath, ['--import', 'tsx', 'bench/manager-split.ts', '--quick', ...args], { cwd: ROOT, timeout: 60_000 }).then(() => undefined, (e: { code: number; stderr: string; stdout: string }) => e);
      expect(err, args.join(' ')).toBeDefined();
      // A usage error: status 2 and one line naming the option, no stack trace.
      expect(err!.code).toBe(2);
      expect(err!.stdout).not.toMatch(/proven clients/);
      expect(err!.stderr).toMatch(/^error: invalid-option: --[a-z][a-z-]* [^\n]*\n$/);
      return err!.stderr;
    };
    expect(await fails(['--rounds', '1.5'])).toContain('--rounds must be a whole number from 1 to 15; got 1.5');
    expect(await fails(['--rounds', '16'])).toContain('--rounds must be a whole number from 1 to 15; got 16');
    expect(await fails(['--ablate', 'records'])).toContain('--ablate takes a list of journal, outbox; got "records"');
    expect(await fails(['--deliver', 'ftp'])).toContain('--deliver must be one of https, https-loop, instant; got "ftp"');
    expect(await fails(['--event-loop-cpu', '-1'])).toContain('--event-loop-cpu must be a CPU number from 0 to 8191, as the manager\'s EventLoopCpu key; got "-1"');
  }, 120_000);
});
