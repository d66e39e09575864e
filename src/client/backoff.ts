// Reconnect delays: exponential with "equal jitter" (half fixed, half random),
// so a manager restart is not met by every tab at the same instant. Pure:
// the random source is an argument.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/** Delay before reconnect attempt `attempt` (0 = the first retry); `random` returns [0, 1). */
export function reconnectDelay(attempt: number, random: () => number, o: BackoffOptions = DEFAULT_BACKOFF): number {
  const exp = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(30, Math.max(0, attempt)));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(exp / 2 + (exp / 2) * r);
}
