// The one request loop every Web API call goes through: a timeout per
// attempt, retries for throttling (429/503, any method) and — only for
// requests that may safely be repeated — gateway errors and lost
// connections, waits taken from Retry-After or exponential back-off, and a
// total budget after which the request gives up.
import { publishAttempt } from './diagnostics.ts';
import { DataverseError } from './errors.ts';
import { describeRequest } from './odata.ts';
import { isAmbiguousStatus, isThrottleStatus, parseRetryAfter, retryDelay } from './retry.ts';
import { statusError } from './status.ts';
import { NotSentError, networkError } from './transport.ts';
import type { AuthScheme, Clock, DataverseLogger, HttpRequest, HttpResponse, RetryPolicy } from './types.ts';

export interface LoopContext {
  readonly auth: AuthScheme;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: DataverseLogger;
}

export interface SendOptions {
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** The request may be repeated after it possibly reached the server. */
  readonly idempotent: boolean;
  readonly signal?: AbortSignal;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Sends a request with retries; resolves only with a 2xx/3xx response. */
export async function sendWithRetries(ctx: LoopContext, method: HttpRequest['method'], url: string, options: SendOptions): Promise<HttpResponse> {
  const what = describeRequest(method, url);
  const started = ctx.clock.now();
  const headers = options.headers ?? {};
  for (let attempt = 1; ; attempt += 1) {
    const timeout = AbortSignal.timeout(ctx.timeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
    let res: HttpResponse | undefined;
    let failure: DataverseError | undefined;
    try {
      res = await ctx.auth.send({ method, url, headers, body: options.body, signal });
    } catch (err) {
      if (options.signal?.aborted === true) throw new DataverseError('aborted', `${what}: cancelled`, { request: what, cause: err });
      failure = networkError(err, { method, url, signal });
    }
    let retryAfterMs: number | undefined;
    if (res !== undefined) {
      if (res.status < 400) {
        publishAttempt({ method, status: res.status, retry: false });
        return res;
      }
      const retryable = isThrottleStatus(res.status) || (options.idempotent && isAmbiguousStatus(res.status));
      failure = statusError(res, what, attempt);
      if (!retryable) {
        publishAttempt({ method, status: res.status, retry: false, code: failure.code });
        throw failure;
      }
      retryAfterMs = parseRetryAfter(res.headers['retry-after'], ctx.clock.now());
    } else if (failure !== undefined) {
      const mayRepeat = options.idempotent || failure instanceof NotSentError;
      const transient = failure.code === 'unreachable' || failure.code === 'timeout';
      if (!mayRepeat || !transient) {
        publishAttempt({ method, status: 0, retry: false, code: failure.code });
        throw withAttempts(failure, attempt);
      }
    }
    if (failure === undefined) throw new DataverseError('bad-response', `${what}: no response`);
    const last = attempt >= ctx.retry.maxAttempts;
    publishAttempt({ method, status: res?.status ?? 0, retry: !last, code: failure.code });
    if (last) throw withAttempts(failure, attempt);
    const wait = retryDelay(attempt, retryAfterMs, ctx.retry, ctx.random());
    const elapsed = ctx.clock.now() - started;
    if (elapsed + wait > ctx.retry.budgetMs) {
      throw new DataverseError('retry-budget-exhausted',
        `${what}: gave up after ${attempt} attempt(s) in ${Math.round(elapsed / 1000)} s (last: ${failure.message})`,
        { status: failure.status, odataCode: failure.odataCode, request: what, attempts: attempt, retryAfterMs, cause: failure });
    }
    ctx.log.warn({ request: what, status: failure.status, code: failure.code, attempt, waitMs: wait }, 'dataverse request will be retried');
    try {
      await ctx.clock.sleep(wait, options.signal);
    } catch (err) {
      throw new DataverseError('aborted', `${what}: cancelled while waiting to retry`, { request: what, cause: err });
    }
  }
}

function withAttempts(error: DataverseError, attempts: number): DataverseError {
  if (error.attempts === attempts) return error;
  const copy = new (error.constructor as typeof DataverseError)(error.code, error.message, {
    status: error.status, odataCode: error.odataCode, request: error.request, attempts, retryAfterMs: error.retryAfterMs, cause: error.cause,
  });
  return copy;
}
