// On-premises sign-in with NTLM (IIS "Windows authentication"). NTLM
// authenticates a TCP connection, not a request: the Type 1 / Type 2 /
// Type 3 handshake must run on one kept-alive connection, after which that
// connection carries requests without further headers. So each connection
// is its own undici Client (exactly one socket); a client whose socket
// closed must do the handshake again. The NTLM messages come from httpntlm's
// message functions (NTLMv2 when the server offers target information).
// Servers that only offer Negotiate accept the same NTLM tokens under the
// Negotiate scheme (SPNEGO falls back to NTLM), so that is tried second; the
// scheme that worked is tried first on the next connection. A site set to
// Kerberos only refuses NTLM under Negotiate too: that gets its own message,
// because Kerberos (a domain-joined ticket) is out of reach of this process.
import { createRequire } from 'node:module';
import { Client } from 'undici';
import { AuthError } from '../web-api/errors.ts';
import { sendWith } from '../web-api/transport.ts';
import type { AuthScheme, HttpRequest, HttpResponse } from '../web-api/types.ts';

interface NtlmMessages {
  createType1Message(options: NtlmIdentity): string;
  parseType2Message(raw: string, callback: (err: Error) => void): unknown;
  createType3Message(type2: unknown, options: NtlmIdentity): string;
}

interface NtlmIdentity {
  username: string;
  password: string;
  domain: string;
  workstation: string;
}

const ntlm = (createRequire(import.meta.url)('httpntlm') as { ntlm: NtlmMessages }).ntlm;

/** `DOMAIN\user` → domain + user; `user@domain` stays whole (NTLM accepts a UPN with an empty domain). */
export function splitAccount(account: string): { domain: string; username: string } {
  const slash = account.indexOf('\\');
  if (slash > 0) return { domain: account.slice(0, slash), username: account.slice(slash + 1) };
  return { domain: '', username: account };
}

export interface NtlmOptions {
  readonly origin: string;
  readonly username: string;
  readonly password: string;
  readonly workstation?: string;
  readonly ca?: string;
  /** Parallel connections (each needs its own handshake; default 4). */
  readonly connections?: number;
}

interface Connection {
  readonly client: Client;
  authenticated: boolean;
  busy: boolean;
}

export class NtlmAuth implements AuthScheme {
  readonly kind = 'ntlm' as const;
  private readonly pool: Connection[] = [];
  private readonly waiting: Array<(c: Connection) => void> = [];
  private readonly identity: NtlmIdentity;
  /** Handshakes run (tests check that a kept-alive connection is reused). */
  handshakes = 0;
  /** Round trips with a Type 1 message (tests check the working scheme is remembered). */
  type1Sent = 0;
  private scheme: 'NTLM' | 'Negotiate' = 'NTLM';

  constructor(private readonly options: NtlmOptions) {
    const { domain, username } = splitAccount(options.username);
    this.identity = { username, domain, password: options.password, workstation: options.workstation ?? '' };
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const conn = await this.acquire();
    try {
      if (conn.authenticated) {
        const res = await sendWith(conn.client, request);
        if (res.status !== 401 || !offersNtlm(res)) return res;
        conn.authenticated = false; // the server forgot this connection: sign in again below
      }
      return await this.handshake(conn, request);
    } finally {
      this.release(conn);
    }
  }

  private async handshake(conn: Connection, request: HttpRequest): Promise<HttpResponse> {
    this.handshakes += 1;
    let negotiateOffered = false;
    const order = this.scheme === 'NTLM' ? (['NTLM', 'Negotiate'] as const) : (['Negotiate', 'NTLM'] as const);
    for (const scheme of order) {
      const type1 = ntlm.createType1Message({ ...this.identity }).replace(/^NTLM /, `${scheme} `);
      this.type1Sent += 1;
      const challengeRes = await sendWith(conn.client, { ...request, headers: { ...request.headers, Authorization: type1, Connection: 'keep-alive' } });
      if (challengeRes.status !== 401) {
        // The server did not ask for credentials (anonymous access): nothing to prove.
        conn.authenticated = true;
        return challengeRes;
      }
      if (/\bNegotiate\b/i.test(challengeRes.headers['www-authenticate'] ?? '')) negotiateOffered = true;
      const challenge = challengeHeader(challengeRes, scheme);
      if (challenge === undefined) continue;
      let type2: unknown;
      try {
        let parseError: Error | undefined;
        type2 = ntlm.parseType2Message(challenge.replace(/^Negotiate /, 'NTLM '), (err) => {
          parseError = err;
        });
        if (parseError !== undefined || type2 === null) throw parseError ?? new Error('no type 2');
      } catch {
        throw new AuthError('bad-response', `${new URL(request.url).host} sent an unreadable NTLM challenge`);
      }
      const type3 = ntlm.createType3Message(type2, { ...this.identity }).replace(/^NTLM /, `${scheme} `);
      const res = await sendWith(conn.client, { ...request, headers: { ...request.headers, Authorization: type3, Connection: 'keep-alive' } });
      conn.authenticated = res.status !== 401;
      if (conn.authenticated) this.scheme = scheme;
      return res;
    }
    const host = new URL(request.url).host;
    if (negotiateOffered) {
      throw new AuthError('unauthorized', `${host} offers Negotiate sign-in but accepts no NTLM inside it: the CRM web site is probably set to Kerberos only, which crm-tapi cannot use. Enable the NTLM provider (or Negotiate with NTLM fallback) for the CRM web site in IIS, or use CrmType IFD`, { status: 401 });
    }
    throw new AuthError('unauthorized', `${host} does not offer NTLM or Negotiate sign-in (check CrmType)`, { status: 401 });
  }

  private async acquire(): Promise<Connection> {
    const idle = this.pool.find((c) => !c.busy && c.authenticated) ?? this.pool.find((c) => !c.busy);
    if (idle !== undefined) {
      idle.busy = true;
      return idle;
    }
    if (this.pool.length < (this.options.connections ?? 4)) {
      const client = new Client(this.options.origin, {
        pipelining: 1,
        keepAliveTimeout: 60_000,
        connect: this.options.ca === undefined ? {} : { ca: this.options.ca },
      });
      const conn: Connection = { client, authenticated: false, busy: true };
      // A new socket is a new, unauthenticated NTLM session.
      client.on('disconnect', () => {
        conn.authenticated = false;
      });
      this.pool.push(conn);
      return conn;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(conn: Connection): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(conn);
    else conn.busy = false;
  }

  async close(): Promise<void> {
    await Promise.all(this.pool.map((c) => c.client.close().catch(() => undefined)));
    this.pool.length = 0;
  }
}

function offersNtlm(res: HttpResponse): boolean {
  return /\b(NTLM|Negotiate)\b/i.test(res.headers['www-authenticate'] ?? '');
}

/** The `<scheme> <base64>` challenge in WWW-Authenticate (several challenges arrive comma-joined). */
function challengeHeader(res: HttpResponse, scheme: 'NTLM' | 'Negotiate'): string | undefined {
  const header = res.headers['www-authenticate'] ?? '';
  const match = new RegExp(`\\b${scheme} ([A-Za-z0-9+/=]{20,})`, 'i').exec(header);
  return match?.[1] === undefined ? undefined : `${scheme} ${match[1]}`;
}
