// IFD / InternalIFD sign-in: OAuth 2.0 resource-owner password grant against
// the AD FS token endpoint (`<authority>/oauth2/token`), the flow Dynamics 365
// on-premises with claims-based authentication supports for services.
import type { Dispatcher } from 'undici';
import { AuthError, DataverseError } from '../web-api/errors.ts';
import { sendWith } from '../web-api/transport.ts';
import type { AccessToken, TokenSource } from './bearer.ts';

export interface AdfsOptions {
  /** AD FS base, e.g. https://adfs.example.de/adfs */
  readonly authority: string;
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  /** The organisation's service URL (the relying party identifier). */
  readonly resource: string;
  readonly dispatcher: Dispatcher;
  readonly now?: () => number;
}

export function adfsTokenUrl(authority: string): string {
  return `${authority.replace(/\/+$/, '')}/oauth2/token`;
}

export function adfsTokenSource(options: AdfsOptions): TokenSource {
  const url = adfsTokenUrl(options.authority);
  const host = new URL(url).host;
  const now = options.now ?? Date.now;
  return {
    async acquire(): Promise<AccessToken> {
      const form = new URLSearchParams({
        grant_type: 'password',
        client_id: options.clientId,
        username: options.username,
        password: options.password,
        resource: options.resource,
      });
      let res;
      try {
        res = await sendWith(options.dispatcher, {
          method: 'POST',
          url,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
          body: form.toString(),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (err) {
        const inner = err instanceof DataverseError ? err : undefined;
        throw new AuthError(inner?.code ?? 'unreachable', `signing in at AD FS ${host} failed: ${inner?.message ?? 'no connection'}`);
      }
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(res.body) as Record<string, unknown>;
      } catch {
        // handled below: no token in the answer
      }
      if (res.status !== 200 || typeof body.access_token !== 'string') {
        const code = typeof body.error === 'string' ? body.error : `HTTP ${res.status}`;
        throw new AuthError(res.status >= 500 ? 'server-error' : 'unauthorized',
          `AD FS ${host} refused the sign-in of ${options.username} (${code}); check CrmUsername, CrmPassword and CrmClientId`, { status: res.status });
      }
      const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3600);
      return { token: body.access_token, expiresOnMs: now() + (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000 };
    },
  };
}
