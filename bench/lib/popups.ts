// What bench/manager.ts drives and measures alike for the manager and for the
// bare relay: WebSocket clients on loopback, the call-state frames a
// connector sends (one popup = an `offering` and its `idle`), a steady rate
// of popups, and the popup latency as the client sees it (the message decoded
// with the protocol codec, the `offering` notification matched by call key).
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { decodeMessage, encodeMessage, encodeMessageFrame, type TapiMessage } from '../../src/protocol/index.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const uid = (prefix: number, i: number) => `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

export interface Receiver {
  ws: WebSocket;
  onMessage?: (text: string) => void;
}

/**
 * Opens `count` clients, `batch` at a time (paced: a batch's handshakes finish before the next batch starts);
 * `prove`: each connects and proves itself as user `uid(3, i)` (the manager).
 */
export async function openClients(url: string, count: number, prove: boolean, batch = 100): Promise<Receiver[]> {
  const out: Receiver[] = [];
  for (let start = 0; start < count; start += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - start) }, async (_, k) => {
      const i = start + k;
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const r: Receiver = { ws };
      ws.on('message', (data: Buffer) => r.onMessage?.(data.toString('utf8')));
      await once(ws, 'open');
      if (prove) {
        const welcomed = new Promise<void>((resolve) => {
          r.onMessage = (text) => {
            const m = decodeMessage(text);
            if (m.command === 'challenge') ws.send(encodeMessage({ channel: 'intincall', command: 'prove', nonce: m.nonce, sessionRecordId: uid(3, i), clientInstanceId: 'tab' }));
            if (m.command === 'welcome') resolve();
          };
        });
        ws.send(encodeMessage({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '9.0.0' }));
        await welcomed;
      }
      out[i] = r;
    }));
  }
  return out;
}

/** One popup of the schedule: line/client `i`, on connector `host`, with its two frames' seqs. */
export interface Popup {
  n: number;
  i: number;
  host: number;
  callId: string;
  seq: number;
}

/**
 * The fixed schedule: popup n rings line (n·7919) mod clients; seqs count per connector host. A later round
 * on the same connectors passes `round` (call ids `r<round>c<n>`) and `seqs`, the last seq of each host so far
 * (updated in place).
 */
export function schedule(total: number, clients: number, hosts: number, round = 0, seqs = new Array<number>(hosts).fill(0)): Popup[] {
  return Array.from({ length: total }, (_, n) => {
    const i = (n * 7919) % clients;
    const host = i % hosts;
    const seq = seqs[host]! + 1;
    seqs[host] = seq + 1;
    return { n, i, host, callId: round === 0 ? `c${n}` : `r${round}c${n}`, seq };
  });
}

export function callFrame(p: Popup, state: 'offering' | 'idle', seq: number): Uint8Array {
  return encodeMessageFrame({
    channel: 'connector', command: 'callState', seq, timestamp: new Date().toISOString(), line: String(1000 + p.i), callId: p.callId, state, origin: 'inbound',
    callerNumber: `030 ${5_000_000 + (p.n % 5000)}`, snapshot: false,
  } as TapiMessage);
}

/** One frame of a run: when it is written (ms after the start), for which popup, which state, with which seq. */
export interface Send {
  at: number;
  p: Popup;
  state: 'offering' | 'idle';
  seq: number;
}

/**
 * The frames of a run in the order they are written. `callMs` 0: each popup's `idle` right behind its
 * `offering` (in the same chunk). Otherwise each call lasts about `callMs` (0.5–1.5×, fixed by the popup's
 * number), so its `idle` lands between other calls' offerings, as call ends do. Each connector host's seqs
 * count up in its own frames' order, from its first popup's seq.
 */
export function timeline(popups: readonly Popup[], rate: number, callMs = 0): Send[] {
  const sends = popups.flatMap((p, k) => {
    const at = (p.n / rate) * 1000;
    const lasts = callMs * (0.5 + ((Math.imul(p.n + 1, 0x9e3779b1) >>> 0) / 2 ** 32));
    return [{ at, p, state: 'offering' as const, order: 2 * k }, { at: at + lasts, p, state: 'idle' as const, order: 2 * k + 1 }];
  });
  // Back to back the order is the popups' own (a later round's popups count from 0 again: bench/manager-split.ts).
  if (callMs > 0) sends.sort((a, b) => a.at - b.at || a.order - b.order);
  const next = new Map<number, number>();
  for (const p of popups) if (!next.has(p.host)) next.set(p.host, p.seq);
  return sends.map(({ at, p, state }) => {
    const seq = next.get(p.host)!;
    next.set(p.host, seq + 1);
    return { at, p, state, seq };
  });
}

/** What the client does with every message in both measurements: decode it; an `offering` notification is a popup. */
export function decodeNotification(text: string): { callKey: string; state: string } | undefined {
  const m = decodeMessage(text);
  return m.command === 'callNotification' ? { callKey: m.callKey, state: m.state } : undefined;
}

/** What a watch (`--tail`, `--stages`) is told: each popup's write time (performance.now(), told right after the write), and its latency and call key as it arrives. */
export interface PopupWatch {
  sent(sentAt: number): void;
  popup(sentAt: number, ms: number, callKey: string): void;
}

/** The longest tail after the last frame: what every run had before the tail could end early (popups still in flight). */
export const TAIL_MS = 1000;

/**
 * Sends `rate` popups per second (each an `offering` and an `idle` frame through `send(host, frame)`, in
 * `timeline`'s order) and returns the latency (ms) from the `offering` frame's write to its notification's
 * arrival at the client; `observe` sees every message the clients receive. After the last frame it waits a
 * tenth of the run (at most TAIL_MS), then until every popup has arrived and `settled` holds (the connectors
 * acknowledged up to their last event), for at most TAIL_MS after the last frame in all. So a 10-s run keeps
 * its whole 1-s tail as before, and a 1-s run of the output tests does not idle for a second per run.
 */
export async function drive(popups: readonly Popup[], rate: number, receivers: readonly Receiver[], send: (host: number, frame: Uint8Array) => void, keyOf: (p: Popup) => string, observe?: (text: string) => void, watches: readonly PopupWatch[] = [], callMs = 0, settled: () => boolean = () => true): Promise<number[]> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  for (const r of receivers) {
    r.onMessage = (text) => {
      observe?.(text);
      const m = decodeNotification(text);
      if (m === undefined || m.state !== 'offering') return;
      const t = sentAt.get(m.callKey);
      if (t === undefined) return;
      const ms = performance.now() - t;
      latencies.push(ms);
      for (const w of watches) w.popup(t, ms, m.callKey);
      sentAt.delete(m.callKey);
    };
  }
  const sends = timeline(popups, rate, callMs);
  const start = performance.now();
  for (let k = 0; k < sends.length; k += 1) {
    const { at, p, state, seq } = sends[k]!;
    const wait = start + at - performance.now();
    if (wait > 1) await sleep(wait);
    if (state === 'idle') {
      send(p.host, callFrame(p, 'idle', seq));
      continue;
    }
    const t = performance.now();
    sentAt.set(keyOf(p), t);
    send(p.host, callFrame(p, 'offering', seq));
    // Back to back, the call's idle goes in the same chunk, before the watches read the clock.
    const then = sends[k + 1];
    if (then !== undefined && then.p === p && then.at === at) {
      send(p.host, callFrame(p, 'idle', then.seq));
      k += 1;
    }
    // After the writes, so the watch's own reading is not in the latency: this thread ran meanwhile, so no wait was missed.
    for (const w of watches) w.sent(t);
  }
  const last = performance.now();
  await sleep(Math.min(TAIL_MS, (sends.at(-1)?.at ?? 0) / 10));
  while ((sentAt.size > 0 || !settled()) && performance.now() - last < TAIL_MS) await sleep(5);
  return latencies;
}

/** Garbage collections while popups ran: each pause holds every popup that arrives meanwhile. */
export interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** Starts counting this process's GC pauses (scavenges and mark-compact); `stop` returns what it saw. */
export function watchGc(): { stop: () => GcPauses } {
  const seen: GcPauses = { count: 0, totalMs: 0, maxMs: 0 };
  const count = (entries: readonly PerformanceEntry[]) => {
    for (const e of entries) {
      seen.count += 1;
      seen.totalMs += e.duration;
      seen.maxMs = Math.max(seen.maxMs, e.duration);
    }
  };
  const observer = new PerformanceObserver((list) => count(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      count(observer.takeRecords());
      observer.disconnect();
      return seen;
    },
  };
}

/**
 * How often the loop-delay watch samples (ms). Each sample is a timer that wakes a sleeping event loop: at 1 ms the
 * manager's runs carried a thousand wake-ups a second that the relays' runs did not (docs/performance-history.md,
 * thirty-first stop). At 20 ms the figure is coarser: a stall of L ms shows as a delay of L − 20 to L ms, and a
 * shorter one may not show at all. The requirement's 20-ms bound is judged on the store calls themselves (trace.ts).
 */
export const LOOP_DELAY_RESOLUTION_MS = 20;

export interface LoopDelay {
  loopP99: number;
  loopMax: number;
}

/** The event loop's delay (ms) while a run's popups go through; every measured run, manager's or relay's, carries the same watch. */
export function watchLoopDelay(): { stop: () => LoopDelay } {
  const h = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  h.enable();
  return {
    stop() {
      h.disable();
      return { loopP99: h.percentile(99) / 1e6, loopMax: h.max / 1e6 };
    },
  };
}

/**
 * Starts measuring this process's main-thread busy time (event-loop utilisation: everything but waiting
 * for I/O — the servers, the clients, GC pauses); `stop` returns it in ms. Steadier than a p99 on a noisy
 * host: it tells how much work a popup costs, the p99 how long one can wait behind such work.
 */
export function watchBusy(): { stop: () => number } {
  const start = performance.eventLoopUtilization();
  return { stop: () => performance.eventLoopUtilization(start).active };
}

/** The main thread's CPU time and its time runnable but waiting for a core (ms), from Linux's schedstat. */
export interface CoreTime {
  runMs: number;
  waitMs: number;
  /**
   * How often the main thread gave up its core with nothing to do (it slept in the poll phase and a socket, a
   * timer or a worker's message woke it) and how often the scheduler took
   * the core from it while it had work; Linux's context-switch counts.
   */
  switches?: { slept: number; preempted: number };
  /**
   * CPU time of the process's other threads in the same span (ms), by nice value: V8's and libuv's threads at the
   * process's own (0), the manager's workers at BACKGROUND_NICE (10). On two cores these are what the loop waits
   * for; a thread that ended before the span did is not counted.
   */
  others?: ReadonlyMap<number, number>;
}

/** Each thread of this process but the main one: its CPU time (ms) and nice value, from Linux's /proc; undefined elsewhere. */
export const threadTimes = (): Map<number, { runMs: number; nice: number }> | undefined => {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const out = new Map<number, { runMs: number; nice: number }>();
  for (const tid of tids) {
    if (Number(tid) === process.pid) continue;
    try {
      const runNs = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command's closing parenthesis start at the third (state); the nice value is the 19th.
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      if (Number.isFinite(runNs) && Number.isInteger(nice)) out.set(Number(tid), { runMs: runNs / 1e6, nice });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
};

/** CPU time by nice value of the threads in `end`, from `start` (a thread new since then from zero). */
export function othersBetween(start: ReadonlyMap<number, { runMs: number }>, end: ReadonlyMap<number, { runMs: number; nice: number }>): Map<number, number> {
  const byNice = new Map<number, number>();
  for (const [tid, { runMs, nice }] of end) byNice.set(nice, (byNice.get(nice) ?? 0) + Math.max(0, runMs - (start.get(tid)?.runMs ?? 0)));
  return new Map([...byNice].sort(([a], [b]) => a - b));
}

/** The calling thread's context switches: voluntary (it slept) and involuntary (preempted); undefined off Linux. */
export const contextSwitches = (): { slept: number; preempted: number } | undefined => {
  try {
    const status = readFileSync('/proc/thread-self/status', 'utf8');
    const slept = Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1]);
    const preempted = Number(/^nonvoluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1]);
    return Number.isFinite(slept) && Number.isFinite(preempted) ? { slept, preempted } : undefined;
  } catch {
    return undefined;
  }
};

export const schedstat = (): CoreTime | undefined => {
  try {
    // The calling thread's: the bench's main thread is the event loop being measured. Fields: ns on a CPU, ns waiting on a runqueue.
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(' ').map(Number);
    return run === undefined || wait === undefined || !Number.isFinite(run) || !Number.isFinite(wait) ? undefined : { runMs: run / 1e6, waitMs: wait / 1e6 };
  } catch {
    return undefined; // not Linux, or no schedstats in this kernel
  }
};

/**
 * Starts measuring how long the main thread waited for a core while it had work (Linux; `stop` returns
 * undefined elsewhere): on a 2-core host the workers, V8's threads and the host's other tenants compete
 * with the event loop, and a popup that arrives then waits with it (docs/performance.md).
 */
export function watchCores(): { stop: () => CoreTime | undefined } {
  const start = schedstat();
  const switchesBefore = contextSwitches();
  const threadsBefore = threadTimes();
  return {
    stop() {
      const end = schedstat();
      const switchesAfter = contextSwitches();
      const threadsAfter = threadTimes();
      if (start === undefined || end === undefined) return undefined;
      const switches = switchesBefore === undefined || switchesAfter === undefined ? undefined : { slept: switchesAfter.slept - switchesBefore.slept, preempted: switchesAfter.preempted - switchesBefore.preempted };
      const others = threadsBefore === undefined || threadsAfter === undefined ? undefined : othersBetween(threadsBefore, threadsAfter);
      return { runMs: end.runMs - start.runMs, waitMs: end.waitMs - start.waitMs, ...(switches === undefined ? {} : { switches }), ...(others === undefined ? {} : { others }) };
    },
  };
}

export const formatCores = (c: CoreTime | undefined) => (c === undefined ? 'main thread core wait not measured (no schedstat)' : `main thread ran ${c.runMs.toFixed(0)} ms, waited for a core ${c.waitMs.toFixed(0)} ms (${((100 * c.waitMs) / Math.max(1, c.runMs)).toFixed(1)} % of its run time)${c.switches === undefined ? '' : `, woke ${c.switches.slept} times, preempted ${c.switches.preempted} times`}${c.others === undefined || c.others.size === 0 ? '' : `; other threads ran ${[...c.others].map(([nice, ms]) => `${ms.toFixed(0)} ms at nice ${nice}`).join(', ')}`}`);

export const formatLoopDelay = (l: LoopDelay) => `event-loop delay p99 ${l.loopP99.toFixed(1)} ms, max ${l.loopMax.toFixed(1)} ms`;

export const formatGc = (g: GcPauses) => `GC ${g.count} pauses, ${g.totalMs.toFixed(0)} ms in all, longest ${g.maxMs.toFixed(1)} ms`;
