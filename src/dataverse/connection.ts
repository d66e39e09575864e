// From validated connection settings to a working client: the Web API URL of
// the CrmType and the matching sign-in (MSAL for CrmOnline, AD FS for IFD
// and InternalIFD, NTLM for OnPremise).
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../config/file.ts';
import { adfsTokenSource } from './auth/adfs.ts';
import { BearerAuth, type TokenSource } from './auth/bearer.ts';
import { msalTokenSource, type MsalCredential } from './auth/msal.ts';
import { NtlmAuth } from './auth/ntlm.ts';
import { resolveSecret } from '../config/secret.ts';
import { serviceUrl, webApiUrl, type ConnectionConfig } from './connection-config.ts';
import { DataverseClient } from './web-api/client.ts';
import { createAgent } from './web-api/transport.ts';
import type { AuthScheme, Clock, DataverseLogger, RetryPolicy } from './web-api/types.ts';

export interface ConnectOptions {
  readonly logger?: DataverseLogger;
  readonly clock?: Clock;
  readonly retry?: Partial<RetryPolicy>;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Tokens from elsewhere instead of this connection's own sign-in (MSAL or AD FS; NTLM ignores it): the outbox's
   * delivery worker asks the main thread's, so the process signs in once and renews once after a 401.
   */
  readonly tokenSource?: TokenSource;
}

export interface Connection {
  readonly client: DataverseClient;
  readonly auth: AuthScheme;
  readonly webApiUrl: string;
  readonly serviceUrl: string;
}

async function readPem(path: string, key: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError('config-invalid', `${key}: cannot read ${path} (${code})`, [`${key}: cannot read ${path} (${code})`]);
  }
}

export async function connect(config: ConnectionConfig, options: ConnectOptions = {}): Promise<Connection> {
  const env = options.env ?? process.env;
  const url = webApiUrl(config);
  const service = config.CrmWebApiUrl !== undefined ? new URL(url).origin : serviceUrl(config);
  const ca = config.CrmCaFile === undefined ? undefined : await readPem(config.CrmCaFile, 'CrmCaFile');
  const username = config.CrmUsername;
  const password = resolveSecret(config.CrmPassword, 'CrmPassword', env);
  const now = options.clock?.now ?? Date.now;
  let auth: AuthScheme;

  if (config.CrmType === 'OnPremise') {
    auth = new NtlmAuth({ origin: new URL(url).origin, username: username ?? '', password: password ?? '', ca });
  } else {
    const dispatcher = createAgent({ ca });
    let source: TokenSource;
    let kind: 'msal' | 'adfs';
    if (options.tokenSource !== undefined) {
      kind = config.CrmType === 'CrmOnline' ? 'msal' : 'adfs';
      source = options.tokenSource;
    } else if (config.CrmType === 'CrmOnline') {
      kind = 'msal';
      const secret = resolveSecret(config.CrmClientSecret, 'CrmClientSecret', env);
      let credential: MsalCredential;
      if (secret !== undefined) credential = { kind: 'secret', clientSecret: secret };
      else if (config.CrmCertificateFile !== undefined) credential = { kind: 'certificate', pem: await readPem(config.CrmCertificateFile, 'CrmCertificateFile') };
      else credential = { kind: 'password', username: username ?? '', password: password ?? '' };
      const authority = config.CrmAuthority ?? `https://login.microsoftonline.com/${config.CrmTenantId ?? 'organizations'}`;
      source = msalTokenSource({
        authority,
        clientId: config.CrmClientId ?? '',
        credential,
        resource: new URL(url).origin,
        dispatcher,
        customAuthority: config.CrmAuthority !== undefined && !/login\.microsoftonline\.com$/i.test(new URL(authority).host),
      });
    } else {
      kind = 'adfs';
      source = adfsTokenSource({
        authority: config.CrmAuthority ?? '',
        clientId: config.CrmClientId ?? '',
        username: username ?? '',
        password: password ?? '',
        resource: `${service}/`,
        dispatcher,
        now,
      });
    }
    auth = new BearerAuth({ kind, source, dispatcher, clock: { now }, logger: options.logger, close: () => dispatcher.close() });
  }

  const client = new DataverseClient({
    webApiUrl: url,
    auth,
    fetchTimeoutMs: config.CrmRequestTimeout * 1000,
    retry: options.retry,
    impersonation: config.CrmType === 'CrmOnline' ? 'CallerObjectId' : 'MSCRMCallerID',
    clock: options.clock,
    logger: options.logger,
  });
  return { client, auth, webApiUrl: url, serviceUrl: service };
}
