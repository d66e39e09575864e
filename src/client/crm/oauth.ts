// Browser sign-in for the stand-alone panel: OAuth 2.0 authorization code
// with PKCE (RFC 7636, S256) as a public client, tokens kept in
// sessionStorage (this tab only), renewal with the refresh token. Works
// against Entra ID and the simulated Dataverse's sign-in page alike.
import { ClientError } from '../errors.ts';

export interface OAuthSettings {
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  /** e.g. `https://org.crm4.dynamics.com/user_impersonation offline_access openid`. */
  scope: string;
  redirectUri: string;
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

interface Tokens {
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms. */
  expiresAt: number;
}

const PENDING = 'crm-tapi.oauth.pending';
const TOKENS = 'crm-tapi.oauth.tokens';

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function randomString(bytes: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export class BrowserSignIn {
  constructor(
    private readonly o: OAuthSettings,
    private readonly storage: StorageLike,
    private readonly now: () => number,
  ) {}

  /** The URL of the sign-in page; remembers verifier and state for the way back. */
  async authorizeUrl(loginHint?: string): Promise<string> {
    const verifier = randomString(48);
    const state = randomString(16);
    this.storage.setItem(PENDING, JSON.stringify({ verifier, state }));
    const u = new URL(this.o.authorizeUrl);
    u.searchParams.set('client_id', this.o.clientId);
    u.searchParams.set('response_type', 'code');
    u.searchParams.set('redirect_uri', this.o.redirectUri);
    u.searchParams.set('scope', this.o.scope);
    u.searchParams.set('state', state);
    u.searchParams.set('code_challenge', await pkceChallenge(verifier));
    u.searchParams.set('code_challenge_method', 'S256');
    if (loginHint) u.searchParams.set('login_hint', loginHint);
    return u.toString();
  }

  /** Completes a sign-in when `url` carries `code` and `state`; true when signed in now. */
  async complete(url: URL): Promise<boolean> {
    const error = url.searchParams.get('error');
    if (error !== null) throw new ClientError('sign-in-failed', `sign-in refused: ${error} ${url.searchParams.get('error_description') ?? ''}`.trim());
    const code = url.searchParams.get('code');
    if (code === null) return false;
    const pending = this.storage.getItem(PENDING);
    this.storage.removeItem(PENDING);
    let saved: { verifier?: unknown; state?: unknown } = {};
    try {
      saved = JSON.parse(pending ?? '{}') as typeof saved;
    } catch {
      // treated as missing below
    }
    if (typeof saved.verifier !== 'string' || saved.state !== url.searchParams.get('state')) {
      throw new ClientError('sign-in-failed', 'the sign-in answer does not belong to a sign-in started here (state mismatch)');
    }
    await this.token({ grant_type: 'authorization_code', code, redirect_uri: this.o.redirectUri, code_verifier: saved.verifier });
    return true;
  }

  signedIn(): boolean {
    return this.read() !== undefined;
  }

  /** A valid access token, renewed with the refresh token when it is about to expire. */
  async accessToken(): Promise<string> {
    const t = this.read();
    if (t === undefined) throw new ClientError('sign-in-failed', 'not signed in');
    if (t.expiresAt - 60_000 > this.now()) return t.accessToken;
    if (t.refreshToken === undefined) throw new ClientError('sign-in-failed', 'the sign-in has expired; sign in again');
    await this.token({ grant_type: 'refresh_token', refresh_token: t.refreshToken, scope: this.o.scope });
    return (this.read() as Tokens).accessToken;
  }

  signOut(): void {
    this.storage.removeItem(TOKENS);
  }

  private read(): Tokens | undefined {
    try {
      const t = JSON.parse(this.storage.getItem(TOKENS) ?? 'null') as Tokens | null;
      return t !== null && typeof t.accessToken === 'string' && typeof t.expiresAt === 'number' ? t : undefined;
    } catch {
      return undefined;
    }
  }

  private async token(form: Record<string, string>): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.o.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: this.o.clientId, ...form }).toString(),
      });
    } catch (err) {
      throw new ClientError('sign-in-failed', `the token endpoint ${this.o.tokenUrl} could not be reached`, { cause: err });
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok || typeof body.access_token !== 'string') {
      throw new ClientError('sign-in-failed', `the token endpoint refused: ${typeof body.error === 'string' ? body.error : res.status}`);
    }
    const tokens: Tokens = {
      accessToken: body.access_token,
      expiresAt: this.now() + (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000,
      ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    };
    this.storage.setItem(TOKENS, JSON.stringify(tokens));
  }
}
