// What the slowest popups of a run waited behind (bench/manager.ts --tail):
// for each of the N slowest, the GC pauses and the outbox store calls over
// 0.5 ms that overlapped the time between its frame's write and its arrival,
// and (Linux) how long the main thread waited for a core meanwhile: runnable,
// with the popup's frame or notification ready, but not running — preempted
// by another thread of this process or of the host. A popup that overlaps
// neither a pause nor a store call and waited little for a core waited
// behind the event loop's ordinary work.
import { PerformanceObserver } from 'node:perf_hooks';
import { schedstat, type PopupWatch } from './popups.ts';

type Span = readonly [start: number, ms: number, what: string];

/** Reading the thread's schedstat (about 10 µs) at each write and arrival is the watch's own cost, in every run it watches. */
export class TailWatch implements PopupWatch {
  readonly #gc: Span[] = [];
  readonly #store: Span[] = [];
  readonly #popups: (readonly [sentAt: number, ms: number, coreWaitMs: number | undefined])[] = [];
  /** The main thread's total core wait (ms) at each popup's write, by its write time. */
  readonly #waitAtSend = new Map<number, number>();
  readonly #observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.#gc.push([e.startTime, e.duration, 'gc']);
  });

  constructor() {
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  /** A synchronous store call on the loop (performance.now() at its start, its duration). */
  store(start: number, ms: number, method: string): void {
    if (ms > 0.5) this.#store.push([start, ms, method]);
  }

  sent(sentAt: number): void {
    const wait = schedstat()?.waitMs;
    if (wait !== undefined) this.#waitAtSend.set(sentAt, wait);
  }

  popup(sentAt: number, ms: number): void {
    const before = this.#waitAtSend.get(sentAt);
    this.#waitAtSend.delete(sentAt);
    const now = before === undefined ? undefined : schedstat()?.waitMs;
    // Read just after the latency was taken: a preemption in between is not the popup's, hence the bound.
    this.#popups.push([sentAt, ms, now === undefined || before === undefined ? undefined : Math.min(ms, now - before)]);
  }

  /** The report: one summary line, then one line per popup (latency, then what overlapped it, `@` its offset from the write). */
  report(n = 30): string {
    this.#observer.disconnect();
    const worst = [...this.#popups].sort((a, b) => b[1] - a[1]).slice(0, n);
    let gc = 0;
    let store = 0;
    let neither = 0;
    let waited = 0;
    let waitedMs = 0;
    const lines = worst.map(([t, ms, coreWait]) => {
      const overlapping = (spans: readonly Span[]) => spans.filter(([s, d]) => s < t + ms && s + d > t);
      const g = overlapping(this.#gc);
      const s = overlapping(this.#store);
      if (g.length > 0) gc += 1;
      if (s.length > 0) store += 1;
      if (g.length + s.length === 0) neither += 1;
      if (coreWait !== undefined) {
        waitedMs += coreWait;
        if (Number(coreWait.toFixed(2)) >= Number(ms.toFixed(2)) / 2) waited += 1; // as printed
      }
      const show = (spans: readonly Span[]) => spans.map(([s0, d, what]) => `${what} ${d.toFixed(1)} ms @${(s0 - t).toFixed(1)}`).join(', ');
      const wait = coreWait === undefined ? '' : ` (waited for a core ${coreWait.toFixed(2)} ms)`;
      return `    ${ms.toFixed(2)} ms${wait}${g.length + s.length === 0 ? '' : `: ${show([...g, ...s])}`}`;
    });
    const measured = worst.some(([, , w]) => w !== undefined);
    const cores = measured ? `; the main thread waited for a core ${waitedMs.toFixed(1)} ms of their ${worst.reduce((sum, [, ms]) => sum + ms, 0).toFixed(1)} ms, at least half the latency for ${waited} of them` : '';
    return `  slowest ${worst.length} popups: ${gc} overlap a GC pause, ${store} a store call over 0.5 ms, ${neither} neither${cores}\n${lines.join('\n')}`;
  }
}
