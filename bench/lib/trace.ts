// bench/manager.ts's trace of a manager run: where the time went besides the popups themselves — the
// outbox store's synchronous work on the event loop (every method timed through a proxy), the event-loop
// delay, GC, the main thread's core time, the journal's batches and the connectors' last acknowledgements.
import { performance } from 'node:perf_hooks';
import type { OutboxStore } from '../../src/dataverse/outbox/store.ts';
import { formatCores, formatGc, formatLoopDelay, type CoreTime, type GcPauses } from './popups.ts';
import type { StageWatch } from './stages.ts';
import type { TailWatch } from './tail.ts';
import type { Delivered } from './stack.ts';

/** The requirement's bound for one outbox store call on the loop (ms). */
export const STALL_MS = 20;

export interface Trace {
  /** Event-loop delay while the calls ran (ms): how long a ready popup can wait for the loop. */
  loopP99: number;
  loopMax: number;
  /** Synchronous outbox store work on the loop: calls, total and longest (ms). */
  storeCalls: number;
  storeMs: number;
  storeMax: number;
  storeMaxMethod: string;
  /** Every store call over the 20 ms bound: method and ms (what a disk stall hit). */
  stalls: string[];
  /** The outbox WAL's high-water mark in 4 KiB pages (SQLite reuses the file without truncating it): past 1,000 the store's own connection checkpoints inline. */
  walPages: number;
  /** The same when the calls started (a backlog's enqueues come before them). */
  walPagesBefore: number;
  /** Writes still waiting when the calls ended (the queued run keeps every record). */
  pendingAfter: number;
  byMethod: Map<string, { calls: number; ms: number }>;
  gc: GcPauses;
  /** Main-thread busy time while the calls ran (ms; bench/lib/popups.ts watchBusy). */
  busyMs: number;
  /** The main thread's CPU time and its wait for a core while the calls ran (Linux; bench/lib/popups.ts watchCores). */
  cores?: CoreTime;
  /** --event-loop-cpu: the process's other threads at the run's end, and how many of them may run on the loop's CPU. */
  placement?: { others: number; beside: number };
  /** Journal batches committed while the calls ran. */
  journalBatches: number;
  /** Connectors whose last acknowledgement at the end did not reach their last frame's seq. */
  unacked: number;
  /** --deliver https: the records the stand-in Web API took (204) and refused, once the outbox drained after the calls. */
  delivered?: Delivered;
  /** --tail: what the slowest popups overlapped. */
  tail?: TailWatch;
  /** --stages: where each popup's latency went. */
  stages?: StageWatch;
}

/**
 * Times every store method: all of them run on the manager's event loop. Calls inside another
 * (the enqueues inside `atomically`) are part of the outer one and not counted again.
 */
export function timedStore(store: OutboxStore, trace: Trace): OutboxStore {
  let depth = 0;
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const t = performance.now();
        depth += 1;
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } finally {
          depth -= 1;
          const ms = performance.now() - t;
          if (depth === 0) trace.tail?.store(t, ms, String(key));
          if (depth === 0) {
            trace.storeCalls += 1;
            trace.storeMs += ms;
            const m = trace.byMethod.get(String(key)) ?? { calls: 0, ms: 0 };
            m.calls += 1;
            m.ms += ms;
            trace.byMethod.set(String(key), m);
            if (ms > STALL_MS) trace.stalls.push(`${String(key)} ${ms.toFixed(1)} ms`);
            if (ms > trace.storeMax) {
              trace.storeMax = ms;
              trace.storeMaxMethod = String(key);
            }
          }
        }
      };
    },
  });
}

/** A trace with nothing counted yet. */
export function emptyTrace(): Trace {
  return { loopP99: 0, loopMax: 0, storeCalls: 0, storeMs: 0, storeMax: 0, storeMaxMethod: '', stalls: [], walPages: 0, walPagesBefore: 0, pendingAfter: 0, byMethod: new Map(), gc: { count: 0, totalMs: 0, maxMs: 0 }, busyMs: 0, journalBatches: 0, unacked: 0 };
}

/** A manager run's trace as printed: one line, then the store calls over the bound, --trace's methods, --tail and --stages. */
export function traceReport(name: string, t: Trace, byMethod: boolean): string[] {
  const acked = t.unacked > 0 ? `, ${t.unacked} connector(s) NOT acknowledged up to their last frame` : ', every connector acknowledged up to its last frame';
  const lines = [`${name}: ${formatLoopDelay(t)}; outbox store on the loop: ${t.storeCalls} calls, ${t.storeMs.toFixed(0)} ms, longest ${t.storeMax.toFixed(1)} ms (${t.storeMaxMethod}); ${t.pendingAfter} writes waiting at the end; WAL high-water ${t.walPages} pages (${t.walPagesBefore} when the calls started); journal ${t.journalBatches} batches${acked}; ${formatGc(t.gc)}; ${formatCores(t.cores)}${t.delivered === undefined ? '' : `; records over HTTPS: ${formatDelivered(t.delivered)}`}${t.placement === undefined ? '' : `; ${t.placement.others} other threads, ${t.placement.beside} of them on the event loop's CPU`}`];
  if (t.stalls.length > 0) lines.push(`  store calls over ${STALL_MS} ms: ${t.stalls.join(', ')}`);
  if (byMethod) lines.push(`  ${[...t.byMethod].map(([k, v]) => `${k} ${v.calls}× ${v.ms.toFixed(0)} ms`).join(', ')}`);
  if (t.tail !== undefined) lines.push(t.tail.report());
  if (t.stages !== undefined) lines.push(t.stages.report());
  return lines;
}

/** A run's records over HTTPS: the counts, and after a drain whether anything was still waiting. */
export function formatDelivered(d: Delivered): string {
  const counts = `${d.created} created, ${d.refused} refused`;
  if (d.drainMs === undefined) return counts;
  const after = `${(d.drainMs / 1000).toFixed(1)} s after the calls`;
  return d.waiting === 0 ? `${counts} (all delivered ${after})` : `${counts} (${d.waiting} still waiting ${after})`;
}
