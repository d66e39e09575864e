// Dataverse online sign-in with @azure/msal-node: client credentials with a
// secret or a certificate (the recommended setup: an application user), or
// username/password (ROPC, the vendor manual's setup). The scope is the
// organisation's `/.default`.
import { createHash, X509Certificate } from 'node:crypto';
import { ConfidentialClientApplication, PublicClientApplication, type AuthenticationResult, type Configuration } from '@azure/msal-node';
import type { Dispatcher } from 'undici';
import { AuthError, DataverseError } from '../web-api/errors.ts';
import type { AccessToken, TokenSource } from './bearer.ts';
import { msalNetworkClient } from './token-http.ts';

export type MsalCredential =
  | { readonly kind: 'secret'; readonly clientSecret: string }
  | { readonly kind: 'certificate'; readonly pem: string }
  | { readonly kind: 'password'; readonly username: string; readonly password: string };

export interface MsalOptions {
  /** e.g. https://login.microsoftonline.com/<tenant> */
  readonly authority: string;
  readonly clientId: string;
  readonly credential: MsalCredential;
  /** The Web API origin, e.g. https://org.crm4.dynamics.com. */
  readonly resource: string;
  readonly dispatcher: Dispatcher;
  /** True when the authority is not a Microsoft cloud (tests, sovereign setups): no instance discovery. */
  readonly customAuthority?: boolean;
}

/** Certificate options for msal: SHA-256 thumbprint of the first certificate, the private key, the chain for x5c. */
export function certificateOptions(pem: string): { thumbprintSha256: string; privateKey: string; x5c: string } {
  const certMatch = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  const keyMatch = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(pem);
  if (certMatch === null || keyMatch === null) {
    throw new AuthError('unauthorized', 'CrmCertificateFile must contain a PEM certificate and its private key');
  }
  const cert = new X509Certificate(certMatch[0]);
  const thumbprintSha256 = createHash('sha256').update(cert.raw).digest('hex');
  return { thumbprintSha256, privateKey: keyMatch[0], x5c: certMatch[0] };
}

export function msalTokenSource(options: MsalOptions): TokenSource {
  const host = new URL(options.authority).host;
  let networkFailure: DataverseError | undefined;
  const base: Configuration = {
    auth: {
      clientId: options.clientId,
      authority: options.authority,
      ...(options.customAuthority === true ? { knownAuthorities: [host] } : {}),
    },
    system: { networkClient: msalNetworkClient(options.dispatcher, (err) => { networkFailure = err; }) },
  };
  const scopes = [`${new URL(options.resource).origin}/.default`];
  const cred = options.credential;
  let acquire: (force: boolean) => Promise<AuthenticationResult | null>;
  if (cred.kind === 'password') {
    const app = new PublicClientApplication(base);
    // ROPC never answers from msal's cache, so a forced renewal needs no flag.
    acquire = () => app.acquireTokenByUsernamePassword({ scopes, username: cred.username, password: cred.password });
  } else {
    const auth = cred.kind === 'secret' ? { clientSecret: cred.clientSecret } : { clientCertificate: certificateOptions(cred.pem) };
    const app = new ConfidentialClientApplication({ ...base, auth: { ...base.auth, ...auth } });
    acquire = (force) => app.acquireTokenByClientCredential({ scopes, skipCache: force });
  }
  return {
    async acquire(force: boolean): Promise<AccessToken> {
      let result: AuthenticationResult | null;
      networkFailure = undefined;
      try {
        result = await acquire(force);
      } catch (err) {
        throw msalFailure(networkFailure ?? err, options.authority);
      }
      if (result === null || result.accessToken === '') throw new AuthError('unauthorized', `no access token from ${host}`);
      const expiresOnMs = result.expiresOn instanceof Date ? result.expiresOn.getTime() : Date.now() + 3_600_000;
      return { token: result.accessToken, expiresOnMs };
    },
  };
}

/** msal's errors carry `errorCode` (e.g. invalid_client, invalid_grant); their messages may quote the request, so only the code is kept. */
function msalFailure(err: unknown, authority: string): DataverseError {
  const host = new URL(authority).host;
  let inner: unknown = err;
  for (let depth = 0; depth < 4 && inner !== null && typeof inner === 'object'; depth += 1) {
    if (inner instanceof DataverseError) return new AuthError(inner.code, `signing in at ${host} failed: ${inner.message}`, { cause: inner });
    inner = (inner as { cause?: unknown }).cause;
  }
  const code = (err as { errorCode?: unknown } | null)?.errorCode;
  const text = typeof code === 'string' && code !== '' ? code : 'unknown_error';
  if (/network|endpoints_resolution|openid_config/i.test(text)) {
    return new AuthError('unreachable', `signing in at ${host} failed: the authority could not be reached or answered unexpectedly (${text})`);
  }
  // No `cause`: msal's error objects may echo parts of the token request.
  return new AuthError('unauthorized', `signing in at ${host} was refused (${text}); check CrmClientId and the client secret, certificate or password`);
}
