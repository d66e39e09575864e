// Signed JSON Web Tokens for the simulated sign-in (RS256, a key pair made at start-up and
// published as JWKS), and verification of client assertions signed with an application's
// certificate. Expiry is judged on the simulator's clock, not the wall clock.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';

export type Claims = Record<string, unknown>;

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export class TokenSigner {
  readonly kid = randomUUID().replace(/-/g, '').slice(0, 27);
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;

  /** `privateKeyPem`: a fixed key (fast start); absent: a fresh 2048-bit key (slow, up to ~1 s). */
  constructor(privateKeyPem?: string) {
    if (privateKeyPem) {
      this.privateKey = createPrivateKey(privateKeyPem);
      this.publicKey = createPublicKey(this.privateKey);
    } else {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      this.privateKey = pair.privateKey;
      this.publicKey = pair.publicKey;
    }
  }

  sign(claims: Claims): string {
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: this.kid }));
    const payload = b64url(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), this.privateKey).toString('base64url');
    return `${header}.${payload}.${signature}`;
  }

  /** The claims of a token this signer issued, or undefined for anything else. */
  verify(token: string): Claims | undefined {
    return verifyJwt(token, () => this.publicKey, ['RS256']);
  }

  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kty: 'RSA', use: 'sig', kid: this.kid, alg: 'RS256' }] };
  }
}

/** Decodes a JWT without checking it (for reading the header of a client assertion). */
export function decodeJwt(token: string): { header: Claims; payload: Claims } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as unknown;
    if (typeof header !== 'object' || header === null || typeof payload !== 'object' || payload === null) return undefined;
    return { header: header as Claims, payload: payload as Claims };
  } catch {
    return undefined;
  }
}

/** Checks the signature (RS256 or PS256) with the key `keyFor(header)` returns. */
export function verifyJwt(token: string, keyFor: (header: Claims) => KeyObject | undefined, algorithms: readonly string[]): Claims | undefined {
  const decoded = decodeJwt(token);
  if (!decoded) return undefined;
  const alg = decoded.header['alg'];
  if (typeof alg !== 'string' || !algorithms.includes(alg)) return undefined;
  const key = keyFor(decoded.header);
  if (!key) return undefined;
  const [h, p, s] = token.split('.') as [string, string, string];
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const ok = alg === 'PS256'
    ? verify('sha256', data, { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }, signature)
    : verify('sha256', data, key, signature);
  return ok ? decoded.payload : undefined;
}

export function publicKeyFromCertificate(pem: string): KeyObject {
  return createPublicKey(pem);
}
