// Per-user token bucket for click-to-dial: a burst of `capacity` dials, then
// `refillPerSecond`. Time comes from the caller's clock so tests can step it.
import { elapsed, type MonoMs } from '../clock.ts';

export interface RateLimit {
  capacity: number;
  refillPerSecond: number;
}

export const DIAL_RATE_DEFAULTS: RateLimit = { capacity: 5, refillPerSecond: 0.2 };

interface Bucket {
  tokens: number;
  at: MonoMs;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => MonoMs,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token; false when the bucket is empty. */
  take(key: string): boolean {
    const now = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
      b = { tokens: this.limit.capacity, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.limit.capacity, b.tokens + (Math.max(0, elapsed(now, b.at)) / 1000) * this.limit.refillPerSecond);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Seconds until the next token. */
  waitSeconds(key: string): number {
    const b = this.buckets.get(key);
    if (b === undefined || b.tokens >= 1) return 0;
    return Math.ceil((1 - b.tokens) / this.limit.refillPerSecond);
  }
}
