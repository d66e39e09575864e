// What the outbox does after a failed attempt. Pure: time and randomness come in.
//   delivered  412 on a create-only upsert: the record is already there (an earlier
//              attempt got through and only its answer was lost)
//   wait       401 / sign-in failed: keep the write; the credentials will be fixed
//   retry      429, 503, other 5xx, 409, timeouts, unreachable server, garbled answers
//   dead       every other 4xx (400, 403, 404, …): retrying cannot help; keep it as a dead letter
import { DataverseError } from '../web-api/errors.ts';
import type { Failure } from './store.ts';

export type Verdict =
  | { readonly action: 'delivered' }
  | { readonly action: 'retry' | 'wait'; readonly failure: Failure; readonly retryAfterMs?: number }
  | { readonly action: 'dead'; readonly failure: Failure };

const DEAD: ReadonlySet<string> = new Set(['bad-request', 'forbidden', 'not-found', 'delta-expired', 'change-tracking-disabled']);

export function judge(error: unknown): Verdict {
  if (!(error instanceof DataverseError)) {
    // Not a Web API answer (a bug, a full disk): keep the write and try again later.
    return { action: 'retry', failure: { code: 'internal', message: error instanceof Error ? error.message : String(error) } };
  }
  const failure: Failure = { code: error.code, message: error.message, ...(error.status === undefined ? {} : { status: error.status }) };
  if (error.code === 'precondition-failed') return { action: 'delivered' };
  if (error.code === 'unauthorized') return { action: 'wait', failure };
  // A 4xx other than 409/412/429 is definitive, whatever code the client gave it.
  const definitive = DEAD.has(error.code) || (error.status !== undefined && error.status >= 400 && error.status < 500 && ![401, 409, 412, 429].includes(error.status));
  if (definitive) return { action: 'dead', failure };
  return { action: 'retry', failure, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) };
}

export interface BackoffPolicy {
  /** First wait without a Retry-After (default 1 s), doubled per attempt. */
  readonly baseMs: number;
  /** Longest wait, also the clamp for absurd Retry-After values (default 5 min). */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 300_000 };

/**
 * The wait before the next attempt. A usable Retry-After is honoured (plus up
 * to 10 % jitter so a crowd of writes does not return in the same instant) and
 * clamped to `maxMs`; without one, exponential back-off with jitter between
 * half and the whole step. `attempts` counts attempts made so far (≥ 1).
 */
export function nextDelay(attempts: number, retryAfterMs: number | undefined, policy: BackoffPolicy, random: number): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(policy.maxMs, Math.round(retryAfterMs * (1 + 0.1 * random)));
  }
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.round(step / 2 + (step / 2) * random);
}
