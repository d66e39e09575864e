// The messages between the outbox's delivery worker (delivery-worker-entry.ts)
// and the main thread (delivery-worker.ts), and how an error crosses between
// them. Every message is structured-cloneable: no functions, no class instances.
import type { ConnectionConfig } from '../connection-config.ts';
import type { DataverseAttempt } from '../web-api/diagnostics.ts';
import { AuthError, DataverseError, type DataverseErrorCode } from '../web-api/errors.ts';
import type { RetryPolicy } from '../web-api/types.ts';
import type { OutboxWrite } from './store.ts';

/**
 * How the worker signs in: from the manager's connection settings (production), or with a fixed bearer token
 * against a Web API URL (benches and tests, whose stand-ins have no sign-in service).
 */
export type DeliveryConnection =
  | { readonly kind: 'settings'; readonly config: ConnectionConfig }
  | { readonly kind: 'static-token'; readonly webApiUrl: string; readonly token: string; readonly ca?: string };

export interface DeliveryWorkerData {
  readonly connection: DeliveryConnection;
  readonly retry?: Partial<RetryPolicy>;
  /** Where `env:NAME` secrets are read; default the worker's copy of the process environment. */
  readonly env?: Record<string, string | undefined>;
  /** The worker's module (a file URL) and, in a source checkout, tsx's loader to register first. */
  readonly entry: string;
  readonly tsx?: string;
  /** With a bearer sign-in: ask the main thread for tokens (one sign-in per process) instead of signing in here. */
  readonly sharedTokens?: boolean;
}

/** Main thread → worker. */
export type DeliveryRequest =
  | { readonly type: 'deliver'; readonly id: number; readonly write: OutboxWrite }
  | { readonly type: 'token'; readonly id: number; readonly token: string; readonly expiresOnMs: number }
  | { readonly type: 'token-failed'; readonly id: number; readonly error: SentError }
  | { readonly type: 'close' }
  /** Several requests in one message (a burst of writes: one message event, not one per write). */
  | { readonly type: 'batch'; readonly requests: readonly DeliveryRequest[] };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A failed delivery's error: a DataverseError's fields (rebuilt on the main thread), or another error's message. */
export type SentError =
  | {
      readonly dataverse: true;
      /** An AuthError (a refused sign-in), not an answer to a request. */
      readonly auth: boolean;
      readonly code: DataverseErrorCode;
      readonly message: string;
      readonly status?: number;
      readonly odataCode?: string;
      readonly request?: string;
      readonly attempts?: number;
      readonly retryAfterMs?: number;
    }
  | { readonly dataverse: false; readonly message: string };

/** Worker → main thread. A `token` request asks for the main thread's token (`stale`: renew unless already renewed). */
export type DeliveryReply =
  | { readonly type: 'ready' }
  | { readonly type: 'token'; readonly id: number; readonly stale?: string }
  | { readonly type: 'fatal'; readonly message: string }
  | { readonly type: 'delivered'; readonly id: number; readonly outcome: 'created' | 'exists' }
  | { readonly type: 'failed'; readonly id: number; readonly error: SentError }
  | { readonly type: 'log'; readonly level: LogLevel; readonly obj: Record<string, unknown>; readonly msg: string }
  | { readonly type: 'attempt'; readonly attempt: DataverseAttempt }
  /**
   * A worker turn's replies in one message, in order: each record's outcome and its attempt would otherwise be a
   * message event each on the main thread, the loop that serves popups (issue 18).
   */
  | { readonly type: 'batch'; readonly replies: readonly DeliveryReply[] };

/** An error as it crosses the boundary: a DataverseError's fields (never its `cause`, which may quote a credential). */
export function toSent(err: unknown): SentError {
  if (err instanceof DataverseError) {
    return {
      dataverse: true, auth: err instanceof AuthError, code: err.code, message: err.message,
      ...(err.status === undefined ? {} : { status: err.status }),
      ...(err.odataCode === undefined ? {} : { odataCode: err.odataCode }),
      ...(err.request === undefined ? {} : { request: err.request }),
      ...(err.attempts === undefined ? {} : { attempts: err.attempts }),
      ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
    };
  }
  return { dataverse: false, message: err instanceof Error ? err.message : String(err) };
}

/** The error again on the other side: a DataverseError (or AuthError) with the same code, status and Retry-After. */
export function fromSent(e: SentError): Error {
  if (!e.dataverse) return new Error(e.message);
  const details = {
    ...(e.status === undefined ? {} : { status: e.status }),
    ...(e.odataCode === undefined ? {} : { odataCode: e.odataCode }),
    ...(e.request === undefined ? {} : { request: e.request }),
    ...(e.attempts === undefined ? {} : { attempts: e.attempts }),
    ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
  };
  return e.auth ? new AuthError(e.code, e.message, details) : new DataverseError(e.code, e.message, details);
}
