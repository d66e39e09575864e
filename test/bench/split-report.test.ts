// bench/lib/split-report.ts: bench/manager-split.ts's figures from its rounds' latencies. Synthetic
// latencies with known p99s: the ratios, their medians, target 2's slowest round, lost popups, and the
// target-1 label only at target 1's size.
import { describe, expect, it } from 'vitest';
import { shapeNote, splitOutcome, splitReport, type SplitRound, type SplitShape } from '../../bench/lib/split-report.ts';

/** 100 latencies whose p99 (the 99th of 100 sorted) is `p99` and whose p50 is 0.5 ms. */
const runOf = (p99: number, n = 100) => Array.from({ length: n }, (_, i) => (i === 99 ? p99 : i < 50 ? 0.4 : 0.5));
const loop = { quiet: { loopP99: 1, loopMax: 2 }, busy: { loopP99: 1, loopMax: 3 } };
const round = (relayQuiet: number, managerQuiet: number, relayBusy: number, managerBusy: number, n = 100): SplitRound => ({
  bare: { quiet: runOf(relayQuiet), busy: runOf(relayBusy) },
  manager: { quiet: runOf(managerQuiet, n), busy: runOf(managerBusy) },
  loop,
});

describe('splitReport', () => {
  it('one round: its table and ratios, and the ratio labelled as target 1\'s at target 1\'s size', () => {
    const r = splitReport([round(2, 3, 4, 10)], 100, true);
    expect(r.quietRatio).toBe(1.5);
    expect(r.busyRatio).toBe(2.5);
    expect(r.busyWorst).toBe(10);
    expect(r.lost).toBe(false);
    expect(r.lines).toContain('manager p99 / relay p99: quiet 1.50x, one core busy 2.50x');
    expect(r.lines.some((l) => l.startsWith('round '))).toBe(false);
    expect(r.lines.at(-1)).toBe("target 1 (issue 18: ≤ 1.5x) in production's process layout, not judged here (bench/manager.ts judges it, in one process): manager p99 / bare relay p99 quiet 1.50x, one core busy 2.50x");
  });

  it('several rounds: the medians (the upper middle of an even count), target 2 on the slowest round, and no target-1 label at another size', () => {
    const r = splitReport([round(2, 4, 2, 6), round(2, 2, 2, 3), round(2, 3, 2, 20), round(1, 3, 2, 5)], 100, false);
    // Quiet ratios 2, 1, 1.5, 3 → sorted 1, 1.5, 2, 3 → upper middle 2; busy 3, 1.5, 10, 2.5 → 3.
    expect(r.quietRatio).toBe(2);
    expect(r.busyRatio).toBe(3);
    expect(r.busyWorst).toBe(20);
    expect(r.lines.filter((l) => /^round \d+:$/.test(l))).toEqual(['round 1:', 'round 2:', 'round 3:', 'round 4:']);
    expect(r.lines).toContain('rounds (manager, then the relays, interleaved), manager p99 / bare relay p99: quiet 1: 2.00x, 2: 1.00x, 3: 1.50x, 4: 3.00x, median 2.00x; one core busy 1: 3.00x, 2: 1.50x, 3: 10.00x, 4: 2.50x, median 3.00x');
    expect(r.lines.at(-1)).toBe("not target 1's size (2,000 clients at 200 popups/s): manager p99 / bare relay p99 median quiet 2.00x, one core busy 3.00x");
  });

  it('the codec relay\'s rows under its label, its ratios per round and, over several rounds, their medians', () => {
    const codec = (quiet: number, busy: number) => ({ quiet: runOf(quiet), busy: runOf(busy) });
    // Bare 2/2, codec (quiet, busy), manager (quiet, busy): codec over bare quiet 1.25, 1.5, 1; manager over codec quiet 2, 1, 3.
    const rounds = [{ ...round(2, 5, 2, 8), codec: codec(2.5, 4) }, { ...round(2, 3, 2, 6), codec: codec(3, 2) }, { ...round(2, 6, 2, 6), codec: codec(2, 3) }];
    const r = splitReport(rounds, 100, true, 'relay + codec + journal');
    expect(r.lines.filter((l) => l.startsWith('relay + codec + journal, quiet '))).toHaveLength(3);
    expect(r.lines.filter((l) => l.startsWith('relay + codec + journal, one core busy '))).toHaveLength(3);
    expect(r.lines).toContain('relay + codec + journal p99 (not judged): quiet 1.25x the bare relay, manager 2.00x it; one core busy 2.00x the bare relay, manager 2.00x it');
    // Busy: codec over bare 2, 1, 1.5 → 1.5; manager over codec 2, 3, 2 → 2.
    expect(r.lines).toContain('relay + codec + journal p99 over the rounds (not judged): quiet median 1.25x the bare relay, manager median 2.00x it; one core busy median 1.50x the bare relay, manager median 2.00x it');
    // The judged ratios stay the manager over the bare relay: quiet 2.5, 1.5, 3 → 2.5.
    expect(r.quietRatio).toBe(2.5);
    // One round: no medians line; the default label.
    const one = splitReport([rounds[0]!], 100, true);
    expect(one.lines).toContain('relay + codec p99 (not judged): quiet 1.25x the bare relay, manager 2.00x it; one core busy 2.00x the bare relay, manager 2.00x it');
    expect(one.lines.some((l) => l.includes('over the rounds'))).toBe(false);
  });

  it('the CPU the quiet run cost, with the stand-in Web API\'s share when records went over HTTPS', () => {
    const withCpu = (cpu: SplitRound['cpu']) => splitReport([{ ...round(2, 3, 2, 3), cpu }], 100, true).lines;
    expect(withCpu({ managerMs: 2345.4, standInMs: 1234.6, records: 3998 })).toContain("CPU while the quiet popups ran: manager process 2345 ms (all its threads), stand-in Web API 1235 ms for 3998 records (the server side: Microsoft's in production)");
    expect(withCpu({ managerMs: 1800 })).toContain('CPU while the quiet popups ran: manager process 1800 ms (all its threads), no records over HTTPS');
    expect(withCpu(undefined).some((l) => l.startsWith('CPU'))).toBe(false);
  });

  it('a run short of popups in any round counts as lost', () => {
    expect(splitReport([round(2, 3, 2, 3), round(2, 3, 2, 3, 99)], 100, true).lost).toBe(true);
    expect(splitReport([round(2, 3, 2, 3)], 100, true).lines.some((l) => l.includes(' 100/100'))).toBe(true);
  });

  it('refuses to report no rounds', () => {
    expect(() => splitReport([], 100, true)).toThrow('no rounds to report');
  });

  describe("a run's shape: the heading's note and the verdict", () => {
    const production: SplitShape = { ablate: new Set(), deliver: 'https', fullSize: true };
    const good = { lost: false, needless: false, busyWorst: 7, stall: 14 };

    it("production's shape at full size is judged on the slowest round's p99 and the stall", () => {
      expect(shapeNote(production)).toBe('');
      expect(splitOutcome(production, good)).toBe(true);
      expect(splitOutcome(production, { ...good, busyWorst: 50 })).toBe(false);
      expect(splitOutcome(production, { ...good, stall: 50.1 })).toBe(false);
      expect(splitOutcome({ ...production, fullSize: false }, good)).toEqual({ notChecked: 'below 10,000 clients at 200 popups/s (only delivery and welcomes are checked)' });
    });

    it('another delivery or an ablated part is said in the heading and never judged; a loss or a needless welcome fails any shape', () => {
      const instant: SplitShape = { ...production, deliver: 'instant' };
      expect(shapeNote(instant)).toBe("; records delivered by a transport that answers at once (not production's, not judged)");
      expect(shapeNote({ ...production, deliver: 'https-loop' })).toBe("; records delivered over HTTPS from the event loop (not production's, not judged)");
      expect(splitOutcome(instant, good)).toEqual({ notChecked: 'with --deliver instant (production delivers over HTTPS from its worker)' });
      const ablated: SplitShape = { ...instant, ablate: new Set(['journal', 'outbox'] as const) };
      expect(shapeNote(ablated)).toBe("; ABLATED (not a production shape, not judged): journal, outbox; records delivered by a transport that answers at once (not production's, not judged)");
      expect(splitOutcome(ablated, { ...good, busyWorst: 500 })).toEqual({ notChecked: 'with parts ablated (not a production shape)' });
      for (const shape of [production, instant, ablated, { ...production, fullSize: false }]) {
        expect(splitOutcome(shape, { ...good, lost: true })).toBe(false);
        expect(splitOutcome(shape, { ...good, needless: true })).toBe(false);
      }
    });
  });
});
