// bench/manager-split.ts's figures: each round's table (the bare relay, the codec relay when run, and the
// manager, quiet and with one core busy), each round's manager / bare relay p99 ratios, and over several
// rounds their medians. The ratio is target 1's (issue 18) in production's process layout; it is printed,
// not judged here (bench/manager.ts judges target 1). Target 2 is judged on the slowest round.
import { percentile, type LoopDelay } from './popups.ts';
import type { Ablated } from './stack.ts';
import type { Delivery } from './webapi.ts';

interface Runs {
  readonly quiet: readonly number[];
  readonly busy: readonly number[];
}

export interface SplitRound {
  /** Popup latencies (ms) of each server's quiet run and its run with one core busy. */
  readonly bare: Runs;
  readonly codec?: Runs;
  readonly manager: Runs;
  /** The manager's event-loop delay during its two runs (ms). */
  readonly loop: { readonly quiet: LoopDelay; readonly busy: LoopDelay };
  readonly cpu?: QuietCpu;
}

/** CPU time (ms) while the manager's quiet popups ran. */
export interface QuietCpu {
  /** The manager's process, all its threads (journal, outbox writer, delivery worker, V8's). */
  readonly managerMs: number;
  /** The stand-in Web API's process (the records' server side: Microsoft's in production), and the records it took; absent when nothing goes over HTTPS. */
  readonly standInMs?: number;
  readonly records?: number;
}

export interface SplitReport {
  readonly lines: string[];
  /** Medians over the rounds of the manager's p99 over the bare relay's. */
  readonly quietRatio: number;
  readonly busyRatio: number;
  /** The manager's highest p99 with one core busy (ms), over the rounds: target 2's figure. */
  readonly busyWorst: number;
  /** A run delivered fewer popups than were sent. */
  readonly lost: boolean;
}

const p99 = (xs: readonly number[]) => percentile(xs, 99);
const fmt = (n: number) => n.toFixed(2).padStart(8);
const x = (n: number) => `${n.toFixed(2)}x`;

/** `targetSize`: the runs are at target 1's size (2,000 clients, 200 popups/s), so the ratio is printed as target 1's. */
export function splitReport(rounds: readonly SplitRound[], popups: number, targetSize: boolean, codecLabel = 'relay + codec'): SplitReport {
  if (rounds.length === 0) throw new Error('no rounds to report');
  const lines: string[] = [];
  const several = rounds.length > 1;
  rounds.forEach((r, i) => {
    if (several) lines.push(`round ${i + 1}:`);
    lines.push('                                            p50 ms    p99 ms   delivered   manager p99 / relay p99');
    const codecRows = (label: string, l: readonly number[] | undefined) => (l === undefined ? [] : [[label, l] as const]);
    const rows = [['bare relay, quiet', r.bare.quiet], ...codecRows(`${codecLabel}, quiet`, r.codec?.quiet), ['manager, quiet', r.manager.quiet], ['bare relay, one core busy', r.bare.busy], ...codecRows(`${codecLabel}, one core busy`, r.codec?.busy), ['manager, one core busy', r.manager.busy]] as const;
    for (const [name, l] of rows) lines.push(`${name.padEnd(40)} ${fmt(percentile(l, 50))}  ${fmt(p99(l))}   ${l.length}/${popups}`);
    lines.push(`manager p99 / relay p99: quiet ${x(p99(r.manager.quiet) / p99(r.bare.quiet))}, one core busy ${x(p99(r.manager.busy) / p99(r.bare.busy))}`);
    if (r.codec !== undefined) {
      const over = (a: readonly number[], b: readonly number[]) => (p99(a) / p99(b)).toFixed(2);
      lines.push(`${codecLabel} p99 (not judged): quiet ${over(r.codec.quiet, r.bare.quiet)}x the bare relay, manager ${over(r.manager.quiet, r.codec.quiet)}x it; one core busy ${over(r.codec.busy, r.bare.busy)}x the bare relay, manager ${over(r.manager.busy, r.codec.busy)}x it`);
    }
    lines.push(`manager event-loop delay while the popups ran: quiet p99 ${r.loop.quiet.loopP99.toFixed(1)} ms, max ${r.loop.quiet.loopMax.toFixed(1)} ms; one core busy p99 ${r.loop.busy.loopP99.toFixed(1)} ms, max ${r.loop.busy.loopMax.toFixed(1)} ms`);
    if (r.cpu !== undefined) {
      const standIn = r.cpu.standInMs === undefined ? 'no records over HTTPS' : `stand-in Web API ${Math.round(r.cpu.standInMs)} ms for ${r.cpu.records ?? 0} records (the server side: Microsoft's in production)`;
      lines.push(`CPU while the quiet popups ran: manager process ${Math.round(r.cpu.managerMs)} ms (all its threads), ${standIn}`);
    }
  });
  const quiet = rounds.map((r) => p99(r.manager.quiet) / p99(r.bare.quiet));
  const busy = rounds.map((r) => p99(r.manager.busy) / p99(r.bare.busy));
  const quietRatio = percentile(quiet, 50);
  const busyRatio = percentile(busy, 50);
  if (several) {
    const each = (ratios: readonly number[]) => ratios.map((q, i) => `${i + 1}: ${x(q)}`).join(', ');
    lines.push(`rounds (manager, then the relays, interleaved), manager p99 / bare relay p99: quiet ${each(quiet)}, median ${x(quietRatio)}; one core busy ${each(busy)}, median ${x(busyRatio)}`);
  }
  // Over the rounds: the codec relay's p99 over the bare relay's, and the manager's over the codec relay's.
  const withCodec = rounds.flatMap((r) => (r.codec === undefined ? [] : [{ ...r, codec: r.codec }]));
  if (several && withCodec.length > 0) {
    const med = (f: (r: (typeof withCodec)[number]) => number) => x(percentile(withCodec.map(f), 50));
    lines.push(`${codecLabel} p99 over the rounds (not judged): quiet median ${med((r) => p99(r.codec.quiet) / p99(r.bare.quiet))} the bare relay, manager median ${med((r) => p99(r.manager.quiet) / p99(r.codec.quiet))} it; one core busy median ${med((r) => p99(r.codec.busy) / p99(r.bare.busy))} the bare relay, manager median ${med((r) => p99(r.manager.busy) / p99(r.codec.busy))} it`);
  }
  const ratios = `manager p99 / bare relay p99 ${several ? 'median ' : ''}quiet ${x(quietRatio)}, one core busy ${x(busyRatio)}`;
  if (targetSize) lines.push(`target 1 (issue 18: ≤ 1.5x) in production's process layout, not judged here (bench/manager.ts judges it, in one process): ${ratios}`);
  else lines.push(`not target 1's size (2,000 clients at 200 popups/s): ${ratios}`);
  const runs = rounds.flatMap((r) => [r.bare.quiet, r.bare.busy, r.manager.quiet, r.manager.busy, ...(r.codec === undefined ? [] : [r.codec.quiet, r.codec.busy])]);
  return {
    lines,
    quietRatio,
    busyRatio,
    busyWorst: Math.max(...rounds.map((r) => p99(r.manager.busy))),
    lost: runs.some((l) => l.length < popups),
  };
}

/** How a run was shaped: what its heading adds and whether its verdict is judged (bench/support.ts `verdict`). */
export interface SplitShape {
  readonly ablate: ReadonlySet<Ablated>;
  readonly deliver: Delivery;
  /** 10,000 clients at 200 popups/s: target 2's size. */
  readonly fullSize: boolean;
}

/** What the heading adds for a shape that is not production's (empty for production's). */
export function shapeNote(shape: SplitShape): string {
  const ablated = shape.ablate.size > 0 ? `; ABLATED (not a production shape, not judged): ${[...shape.ablate].join(', ')}` : '';
  const delivered = shape.deliver === 'https' ? '' : `; records delivered ${shape.deliver === 'instant' ? 'by a transport that answers at once' : 'over HTTPS from the event loop'} (not production's, not judged)`;
  return ablated + delivered;
}

/**
 * Target 2's outcome: anything lost or a needless welcome fails at every size and shape; a shape that is not
 * production's, or a size below 10,000 clients at 200 popups/s, is not checked; else p99 with one core busy
 * under 50 ms on the slowest round and a reconnect stall of at most 50 ms.
 */
export function splitOutcome(shape: SplitShape, o: { lost: boolean; needless: boolean; busyWorst: number; stall: number }): boolean | { notChecked: string } {
  if (o.lost || o.needless) return false;
  if (shape.ablate.size > 0) return { notChecked: 'with parts ablated (not a production shape)' };
  if (shape.deliver !== 'https') return { notChecked: `with --deliver ${shape.deliver} (production delivers over HTTPS from its worker)` };
  if (!shape.fullSize) return { notChecked: 'below 10,000 clients at 200 popups/s (only delivery and welcomes are checked)' };
  return o.busyWorst < 50 && o.stall <= 50;
}
