// A virtual clock for the scheduler tests: timers fire in due order when the
// test advances time, and the test awaits the work each timer started.
import type { Clock } from '../../../src/dataverse/directory/clock.ts';

interface Timer {
  id: number;
  due: number;
  callback: () => void;
}

export class VirtualClock implements Clock {
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { id: this.nextId++, due: this.current + Math.max(0, ms), callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Instant of the next timer, if any. */
  nextDue(): number | undefined {
    return this.timers.reduce<number | undefined>((min, t) => (min === undefined || t.due < min ? t.due : min), undefined);
  }

  /**
   * Moves time to `until`, firing every timer due on the way in order; after
   * each firing it awaits `settle` (e.g. the scheduler's idle()), so work
   * started by a timer finishes at the virtual instant it began.
   */
  async advanceTo(until: number, settle: () => Promise<void> = async () => undefined): Promise<void> {
    for (;;) {
      const due = this.timers.filter((t) => t.due <= until).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.due);
      due.callback();
      await settle();
    }
    this.current = Math.max(this.current, until);
  }

  /**
   * Jumps to `to` at once, as after a suspended machine or a clock set
   * forward: every timer due meanwhile fires once, late, at `to`.
   */
  async jumpTo(to: number, settle: () => Promise<void> = async () => undefined): Promise<void> {
    this.current = Math.max(this.current, to);
    await this.advanceTo(this.current, settle);
  }
}
