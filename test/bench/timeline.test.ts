// bench/lib/popups.ts's timeline: the frames a run writes, in order. Back to back (the default, what target 1
// is judged on) it is exactly the schedule's order and seqs: each popup's offering, then its idle. With calls
// that last, each idle comes 0.5–1.5× the call time after its offering, and each connector's seqs still count
// up by one in the order its frames are written, ending where the schedule's do (what its last acknowledgement
// must say).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { schedule, timeline } from '../../bench/lib/popups.ts';

const shape = fc.record({ total: fc.integer({ min: 1, max: 300 }), clients: fc.integer({ min: 1, max: 60 }), hosts: fc.integer({ min: 1, max: 6 }), rate: fc.integer({ min: 1, max: 400 }), round: fc.integer({ min: 0, max: 2 }) });

describe('the bench timeline', () => {
  it('back to back: the schedule order, each offering then its idle, with the schedule\'s seqs', () => {
    fc.assert(
      fc.property(shape, ({ total, clients, hosts, rate, round }) => {
        const popups = schedule(total, clients, Math.min(hosts, clients), round, new Array<number>(Math.min(hosts, clients)).fill(round * 7));
        const sends = timeline(popups, rate);
        expect(sends.map((s) => [s.p.n, s.state, s.seq])).toEqual(popups.flatMap((p) => [[p.n, 'offering', p.seq], [p.n, 'idle', p.seq + 1]]));
      }),
      { numRuns: 200 },
    );
  });

  it('with calls that last: idles 0.5–1.5x the call time later, frames in time order, each host\'s seqs one by one to the same last seq', () => {
    fc.assert(
      fc.property(shape, fc.integer({ min: 1, max: 5_000 }), ({ total, clients, hosts, rate }, callMs) => {
        const h = Math.min(hosts, clients);
        const popups = schedule(total, clients, h);
        const sends = timeline(popups, rate, callMs);
        expect(sends).toHaveLength(2 * popups.length);
        for (let k = 1; k < sends.length; k += 1) expect(sends[k]!.at).toBeGreaterThanOrEqual(sends[k - 1]!.at);
        const offeredAt = new Map<number, number>();
        for (const s of sends) {
          if (s.state === 'offering') offeredAt.set(s.p.n, s.at);
          else {
            const at = offeredAt.get(s.p.n);
            expect(at, `idle of popup ${s.p.n} before its offering`).toBeDefined();
            expect(s.at - at!).toBeGreaterThanOrEqual(0.5 * callMs - 1e-9);
            expect(s.at - at!).toBeLessThan(1.5 * callMs + 1e-9);
          }
        }
        for (let host = 0; host < h; host += 1) {
          const seqs = sends.filter((s) => s.p.host === host).map((s) => s.seq);
          const mine = popups.filter((p) => p.host === host);
          if (mine.length === 0) continue;
          expect(seqs).toEqual(seqs.map((_, k) => mine[0]!.seq + k));
          expect(seqs.at(-1)).toBe(Math.max(...mine.map((p) => p.seq + 1)));
        }
      }),
      { numRuns: 200 },
    );
  });
});
