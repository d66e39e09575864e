// Access tokens of the simulated sign-in: JWTs shaped like Entra ID v1 access tokens for
// Dataverse (aud = the organisation URL, oid/appid/tid/upn), or like AD FS tokens
// (upn/unique_name). Expiry follows the simulator clock; `expireAll()` invalidates every token
// issued so far (the "token expired now" fault), while later tokens work again.
import { randomUUID } from 'node:crypto';
import type { SimClock } from '../clock.ts';
import { TokenSigner, type Claims } from './jwt.ts';

export interface TokenSubject {
  kind: 'user' | 'app';
  systemuserid: string;
  /** Entra object id (users) or service principal id (apps). */
  oid: string;
  appid: string;
  upn?: string;
  name?: string;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  claims: Claims;
}

export type TokenCheck =
  | { ok: true; claims: Claims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'revoked' | 'audience' };

export class TokenService {
  readonly signer: TokenSigner;
  private readonly revoked = new Set<string>();
  private readonly issued = new Set<string>();

  constructor(
    private readonly clock: SimClock,
    private readonly lifetimeSeconds: () => number,
    private readonly tenant: string,
    signingKeyPem?: string,
  ) {
    this.signer = new TokenSigner(signingKeyPem);
  }

  issue(subject: TokenSubject, audience: string, flavour: 'entra' | 'adfs', extra: Claims = {}): IssuedToken {
    const now = Math.floor(this.clock.now() / 1000);
    const lifetime = this.lifetimeSeconds();
    const jti = randomUUID();
    const claims: Claims = {
      aud: audience,
      iss: this.issuerFor(flavour),
      iat: now,
      nbf: now,
      exp: now + lifetime,
      jti,
      ...(flavour === 'entra'
        ? { tid: this.tenant, oid: subject.oid, appid: subject.appid, idtyp: subject.kind, ver: '1.0', sub: subject.oid }
        : { appid: subject.appid, sub: subject.oid }),
      ...(subject.upn ? { upn: subject.upn, unique_name: subject.upn } : {}),
      ...(subject.name ? { name: subject.name } : {}),
      ...extra,
    };
    this.issued.add(jti);
    return { accessToken: this.signer.sign(claims), expiresIn: lifetime, claims };
  }

  /** Origin of the simulator (set once it listens); part of every issuer. */
  origin = '';

  issuerFor(kind: 'entra' | 'adfs'): string {
    return kind === 'entra' ? `${this.origin}/${this.tenant}/` : `${this.origin}/adfs/services/trust`;
  }

  check(token: string, acceptAudience: (aud: string) => boolean): TokenCheck {
    if (token.split('.').length !== 3) return { ok: false, reason: 'malformed' };
    const claims = this.signer.verify(token);
    if (!claims) return { ok: false, reason: 'signature' };
    // Another simulator (same test key, other port) issued it: not ours.
    if (claims['iss'] !== this.issuerFor('entra') && claims['iss'] !== this.issuerFor('adfs')) return { ok: false, reason: 'signature' };
    if (typeof claims['jti'] === 'string' && this.revoked.has(claims['jti'])) return { ok: false, reason: 'revoked' };
    if (typeof claims['exp'] !== 'number' || claims['exp'] * 1000 <= this.clock.now()) return { ok: false, reason: 'expired' };
    if (typeof claims['aud'] !== 'string' || !acceptAudience(claims['aud'])) return { ok: false, reason: 'audience' };
    return { ok: true, claims };
  }

  /** Every token issued until now stops working (the "expire tokens now" fault). */
  expireAll(): number {
    for (const jti of this.issued) this.revoked.add(jti);
    const n = this.issued.size;
    this.issued.clear();
    return n;
  }
}
