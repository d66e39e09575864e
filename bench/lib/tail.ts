// What the slowest popups of a run waited behind (bench/manager.ts --tail):
// for each of the N slowest, the GC pauses and the outbox store calls over
// 0.5 ms that overlapped the time between its frame's write and its arrival.
// A popup that overlaps neither waited behind the manager's ordinary work.
import { PerformanceObserver } from 'node:perf_hooks';

type Span = readonly [start: number, ms: number, what: string];

export class TailWatch {
  readonly #gc: Span[] = [];
  readonly #store: Span[] = [];
  readonly #popups: (readonly [sentAt: number, ms: number])[] = [];
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

  popup(sentAt: number, ms: number): void {
    this.#popups.push([sentAt, ms]);
  }

  /** The report: one summary line, then one line per popup (latency, then what overlapped it, `@` its offset from the write). */
  report(n = 30): string {
    this.#observer.disconnect();
    const worst = [...this.#popups].sort((a, b) => b[1] - a[1]).slice(0, n);
    let gc = 0;
    let store = 0;
    let neither = 0;
    const lines = worst.map(([t, ms]) => {
      const overlapping = (spans: readonly Span[]) => spans.filter(([s, d]) => s < t + ms && s + d > t);
      const g = overlapping(this.#gc);
      const s = overlapping(this.#store);
      if (g.length > 0) gc += 1;
      if (s.length > 0) store += 1;
      if (g.length + s.length === 0) neither += 1;
      const show = (spans: readonly Span[]) => spans.map(([s0, d, what]) => `${what} ${d.toFixed(1)} ms @${(s0 - t).toFixed(1)}`).join(', ');
      return `    ${ms.toFixed(2)} ms${g.length + s.length === 0 ? '' : `: ${show([...g, ...s])}`}`;
    });
    return `  slowest ${worst.length} popups: ${gc} overlap a GC pause, ${store} a store call over 0.5 ms, ${neither} neither\n${lines.join('\n')}`;
  }
}
