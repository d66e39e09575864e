// Refusals and evictions caused by strangers must not flood the log (an
// attacker controls their rate). The first of a window is logged in full;
// the rest are counted per peer and summarised in one line when the window ends.
import type { Logger } from 'pino';
import { systemClock, type MonoMs } from '../clock.ts';

const TOP_PEERS = 5;

export class ThrottledLog {
  #windowEnd = 0;
  #suppressed = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly log: Logger,
    /** Names what happened, e.g. `connector connection evicted`. */
    private readonly what: string,
    private readonly windowMs = 10_000,
    private readonly now: () => MonoMs = systemClock.mono,
  ) {}

  note(peer: string, fields: Record<string, unknown>, message: string): void {
    const t = this.now();
    if (t >= this.#windowEnd && this.#timer === undefined) {
      this.#windowEnd = t + this.windowMs;
      this.log.warn({ peer, ...fields }, `${message} (further ones are summarised every ${Math.round(this.windowMs / 1000)} s)`);
      return;
    }
    this.#suppressed.set(peer, (this.#suppressed.get(peer) ?? 0) + 1);
    this.#timer ??= setTimeout(() => this.flush(), Math.max(0, this.#windowEnd - t));
    this.#timer.unref?.();
  }

  /** Logs the summary of what was counted (also called when the window ends). */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#suppressed.size === 0) return;
    const byPeer = [...this.#suppressed.entries()].sort((a, b) => b[1] - a[1]);
    const count = byPeer.reduce((sum, [, n]) => sum + n, 0);
    this.#suppressed = new Map();
    // The next note opens a new window with a full line.
    this.#windowEnd = this.now() + this.windowMs;
    this.log.warn({ count, peers: byPeer.length, top: Object.fromEntries(byPeer.slice(0, TOP_PEERS)) }, `${this.what}: ${count} more in the last ${Math.round(this.windowMs / 1000)} s`);
  }
}
