// Typed failures of the Dataverse client. The `code` is what callers act on
// (the outbox keeps a row waiting on `unauthorized`, dead-letters it on
// `bad-request`, …); the message is one sentence for an operator and never
// carries a secret, a token or a request body.
import { CrmTapiError } from '../../protocol/errors.ts';

export type DataverseErrorCode =
  /** DNS failure, refused or reset connection: the server cannot be reached. */
  | 'unreachable'
  /** The TLS handshake failed (untrusted or expired certificate, wrong host name, protocol). */
  | 'tls'
  /** No response within the request timeout. */
  | 'timeout'
  /** 401 after one fresh sign-in, or the token endpoint refused the credentials. */
  | 'unauthorized'
  /** 403: the account lacks a privilege (or impersonation is not allowed). */
  | 'forbidden'
  /** 404: no such record, entity set, function — or organisation. */
  | 'not-found'
  /** 409 or a duplicate key. */
  | 'conflict'
  /** 412: If-Match / If-None-Match did not hold (a create-only upsert found the record). */
  | 'precondition-failed'
  /** 429 after the retry budget, with the last Retry-After. */
  | 'throttled'
  /** 5xx after the retry budget. */
  | 'server-error'
  /** 400 and other client errors: the request itself is wrong; retrying will not help. */
  | 'bad-request'
  /** Change tracking: the delta token is too old; do a full read again. */
  | 'delta-expired'
  /** Change tracking is not enabled for the entity. */
  | 'change-tracking-disabled'
  /** Retries stopped because the next wait would exceed the retry budget. */
  | 'retry-budget-exhausted'
  /** The server answered with something that is not the Web API (HTML page, bad JSON, foreign nextLink). */
  | 'bad-response'
  /** The request was cancelled by the caller. */
  | 'aborted';

export interface DataverseErrorDetails {
  /** HTTP status when the server answered. */
  readonly status?: number;
  /** The OData error code from the body, e.g. `0x80040217`. */
  readonly odataCode?: string;
  /** Method and path (no query: filters may contain personal data). */
  readonly request?: string;
  /** Attempts made, including the first. */
  readonly attempts?: number;
  /** Milliseconds the server asked us to wait (last Retry-After), when it did. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

export class DataverseError extends CrmTapiError {
  readonly status: number | undefined;
  readonly odataCode: string | undefined;
  readonly request: string | undefined;
  readonly attempts: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly code: DataverseErrorCode,
    message: string,
    details: DataverseErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.odataCode = details.odataCode;
    this.request = details.request;
    this.attempts = details.attempts;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** True for failures a later attempt may cure (the outbox keeps such writes waiting). */
  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }
}

const TRANSIENT: ReadonlySet<DataverseErrorCode> = new Set([
  'unreachable', 'tls', 'timeout', 'unauthorized', 'throttled', 'server-error', 'retry-budget-exhausted', 'bad-response',
]);

/** Failures of signing in (token endpoint, NTLM handshake); subclasses DataverseError so callers need one catch. */
export class AuthError extends DataverseError {}
