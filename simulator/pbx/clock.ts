// Time for the simulated PBX: a virtual clock that tests and benchmarks advance
// by hand (a whole hour of calls runs in milliseconds, identically every time),
// and a wall clock for people and for the connector in development.
import { performance } from 'node:perf_hooks';

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the clock started; never decreases. */
  now(): number;
  /** Runs `fn` once `delayMs` from now (0 = after the current work, never synchronously). */
  schedule(delayMs: number, fn: () => void): TimerHandle;
  /** Cancels every pending timer (on close). */
  cancelAll(): void;
}

interface VirtualTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told; timers due at the same time run in the order they were set. */
export class VirtualClock implements Clock {
  private current = 0;
  private seq = 0;
  // A binary min-heap on (at, seq): the load generator keeps tens of thousands of timers.
  private readonly heap: VirtualTimer[] = [];

  now(): number {
    return this.current;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const timer: VirtualTimer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  cancelAll(): void {
    this.heap.length = 0;
  }

  /** Number of timers still waiting (cancelled ones may be counted until they surface). */
  pending(): number {
    return this.heap.length;
  }

  /** When the earliest timer still waiting is due (undefined when none is). */
  nextAt(): number | undefined {
    while (this.heap[0]?.cancelled === true) this.pop();
    return this.heap[0]?.at;
  }

  /** Runs every timer due up to `now() + ms`, then sets the clock there. */
  advance(ms: number): void {
    this.advanceTo(this.current + Math.max(0, ms));
  }

  advanceTo(target: number): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.at > target) break;
      this.pop();
      if (top.cancelled) continue;
      this.current = Math.max(this.current, top.at);
      top.fn();
    }
    this.current = Math.max(this.current, target);
  }

  /** Runs timers until none is left or `limitMs` of virtual time has passed. */
  runUntilIdle(limitMs = 86_400_000): void {
    const end = this.current + limitMs;
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.at > end) return;
      this.advanceTo(top.at);
    }
  }

  private less(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(timer: VirtualTimer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as VirtualTimer;
      if (!this.less(timer, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const l = heap[left] as VirtualTimer;
      const r = heap[right];
      const child = r !== undefined && this.less(r, l) ? right : left;
      const c = heap[child] as VirtualTimer;
      if (!this.less(c, last)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
  }
}

/** Real time from `performance.now()`; timers are unref'd so they never keep a process alive alone. */
export class WallClock implements Clock {
  private readonly origin = performance.now();
  private readonly timers = new Set<NodeJS.Timeout>();
  private last = 0;

  now(): number {
    // Whole milliseconds keep recordings readable; max() guards the monotonic promise.
    this.last = Math.max(this.last, Math.floor(performance.now() - this.origin));
    return this.last;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const handle = setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, Math.max(0, delayMs));
    handle.unref();
    this.timers.add(handle);
    return {
      cancel: () => {
        clearTimeout(handle);
        this.timers.delete(handle);
      },
    };
  }

  cancelAll(): void {
    for (const handle of this.timers) clearTimeout(handle);
    this.timers.clear();
  }
}
