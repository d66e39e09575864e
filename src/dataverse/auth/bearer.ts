// Bearer-token auth shared by MSAL (Dataverse online) and AD FS (IFD): the
// token is cached and renewed a few minutes before it expires; a 401 causes
// exactly ONE forced renewal that every request waiting at that moment
// shares, then the request is sent once more. A renewal that fails surfaces
// as AuthError so writes stay queued in the outbox.
import type { Dispatcher } from 'undici';
import { AuthError, DataverseError } from '../web-api/errors.ts';
import { sendWith } from '../web-api/transport.ts';
import type { AuthScheme, Clock, DataverseLogger, HttpRequest, HttpResponse } from '../web-api/types.ts';

export interface AccessToken {
  readonly token: string;
  /** Epoch milliseconds. */
  readonly expiresOnMs: number;
}

/** Where tokens come from. `forceRefresh` must bypass any cache (msal-node: `skipCache`). */
export interface TokenSource {
  acquire(forceRefresh: boolean): Promise<AccessToken>;
}

export interface BearerAuthOptions {
  readonly kind: 'msal' | 'adfs' | 'static';
  readonly source: TokenSource;
  readonly dispatcher: Dispatcher;
  readonly clock: Pick<Clock, 'now'>;
  /** Renew this long before expiry (default 5 minutes). */
  readonly refreshMarginMs?: number;
  readonly logger?: DataverseLogger;
  readonly close?: () => Promise<void>;
}

export class BearerAuth implements AuthScheme {
  readonly kind: 'msal' | 'adfs' | 'static';
  private current: AccessToken | undefined;
  private pending: Promise<AccessToken> | undefined;
  /** Number of times the source was asked (tests observe "one shared refresh"). */
  acquisitions = 0;

  constructor(private readonly options: BearerAuthOptions) {
    this.kind = options.kind;
  }

  /** The current token, renewed when close to expiry; `staleToken` asks for a forced renewal unless one already replaced it. */
  async token(staleToken?: string): Promise<string> {
    return (await this.access(staleToken)).token;
  }

  /** As `token`, with the token's expiry: what another thread's BearerAuth caches (the outbox's delivery worker shares this sign-in). */
  async access(staleToken?: string): Promise<AccessToken> {
    if (this.pending !== undefined) return await this.pending;
    const margin = this.options.refreshMarginMs ?? 300_000;
    const current = this.current;
    if (current !== undefined) {
      if (staleToken !== undefined && current.token !== staleToken) return current;
      if (staleToken === undefined && this.options.clock.now() < current.expiresOnMs - margin) return current;
    }
    const force = staleToken !== undefined;
    this.acquisitions += 1;
    this.pending = this.options.source.acquire(force).then(
      (fresh) => {
        this.current = fresh;
        return fresh;
      },
      (err: unknown) => {
        // No `cause`: a foreign error from a token source may quote the credentials it was given.
        throw err instanceof DataverseError ? err : new AuthError('unauthorized', 'signing in to Dataverse failed');
      },
    );
    try {
      return await this.pending;
    } finally {
      this.pending = undefined;
    }
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const first = await this.token();
    const res = await sendWith(this.options.dispatcher, withBearer(request, first));
    if (res.status !== 401) return res;
    this.options.logger?.info({ request: `${request.method}` }, 'dataverse answered 401: renewing the access token once');
    const second = await this.token(first);
    return sendWith(this.options.dispatcher, withBearer(request, second));
  }

  async close(): Promise<void> {
    await this.options.close?.();
  }
}

function withBearer(request: HttpRequest, token: string): HttpRequest {
  return { ...request, headers: { ...request.headers, Authorization: `Bearer ${token}` } };
}

/** A fixed token (tests, or a token handed in by an operator's own tooling). */
export function staticTokenSource(token: string, lifetimeMs = 3_600_000, now: () => number = Date.now): TokenSource {
  return { acquire: async () => ({ token, expiresOnMs: now() + lifetimeMs }) };
}
