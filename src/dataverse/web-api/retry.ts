// When to try again and how long to wait. Dataverse service protection limits
// answer 429 with Retry-After (seconds); proxies send 503 with Retry-After as
// seconds or an HTTP date. Whatever the header says, a wait stays within
// [0, maxWaitMs]: a nonsense value ("abc", "-1") falls back to exponential
// back-off, an absurd one ("86400") is clamped. Pure functions; time and
// randomness come in as arguments.
import type { RetryPolicy } from './types.ts';

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, maxWaitMs: 30_000, budgetMs: 120_000, baseDelayMs: 500 };

/**
 * Milliseconds a Retry-After header asks for, or undefined when it is absent
 * or unusable. Delay-seconds must be a non-negative integer (RFC 9110 10.2.3);
 * decimals are accepted because some proxies send them.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) {
    const seconds = Number(text);
    return Number.isFinite(seconds) ? seconds * 1000 : undefined;
  }
  // An HTTP date must at least contain a year: Date.parse alone accepts odd text like "1".
  if (!/\d{4}/.test(text) || !/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1). With a usable
 * Retry-After: that value plus up to 10 % jitter so a crowd of clients does
 * not return in the same millisecond; without: full-jitter exponential
 * back-off. `random` is in [0, 1).
 */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, policy: RetryPolicy, random: number): number {
  const cap = Math.max(0, policy.maxWaitMs);
  if (retryAfterMs !== undefined) {
    return Math.min(cap, Math.round(retryAfterMs + retryAfterMs * 0.1 * random));
  }
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  const ceiling = Math.min(cap, exponential);
  // Full jitter, but never less than half the step: keeps storms spread out without spinning.
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/** Statuses that mean "the server did not do it; ask again later" (safe to retry for any method). */
export function isThrottleStatus(status: number): boolean {
  return status === 429 || status === 503;
}

/** Gateway failures: the request may or may not have been carried out (retry only idempotent requests). A 500 is Dataverse itself failing the request (plug-in, SQL), which a repeat rarely cures. */
export function isAmbiguousStatus(status: number): boolean {
  return status === 502 || status === 504;
}
