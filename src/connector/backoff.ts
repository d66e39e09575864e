// Exponential back-off with "full jitter" (AWS architecture blog, "Exponential
// Backoff and Jitter"): the delay is uniformly random in [0, min(cap, base·2^n)].
// Full jitter spreads many connectors that lost the same manager, so they do
// not all knock at the same instant when it comes back.

export interface BackoffOptions {
  /** First ceiling in ms. */
  baseMs: number;
  /** Highest ceiling in ms. */
  capMs: number;
  /** Uniform in [0, 1): injected so tests are deterministic. */
  random: () => number;
}

export const RECONNECT_BACKOFF = { baseMs: 500, capMs: 30_000 } as const;
export const REOPEN_BACKOFF = { baseMs: 1_000, capMs: 60_000 } as const;

export class Backoff {
  #attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** Attempts made since the last success. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The ceiling of the next delay (for logs: "retrying in at most …"). */
  get ceilingMs(): number {
    // 2^n overflows to Infinity eventually; min() keeps it at the cap.
    return Math.min(this.options.capMs, this.options.baseMs * 2 ** this.#attempt);
  }

  /** The delay before the next attempt; advances the attempt counter. */
  next(): number {
    const r = this.options.random();
    const unit = Number.isFinite(r) && r >= 0 && r < 1 ? r : 0.5;
    const delay = Math.floor(unit * this.ceilingMs);
    this.#attempt += 1;
    return delay;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
