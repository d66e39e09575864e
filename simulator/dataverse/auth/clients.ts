// Client and user credentials checked by the token endpoints: client secrets, certificate
// client assertions (RS256 / PS256 with x5t or x5t#S256, as msal-node signs them), user
// passwords, and the mapping from a directory entry to the token subject.
import type { Directory } from '../directory.ts';
import type { SimState } from '../state.ts';
import type { TokenSubject } from './tokens.ts';
import { decodeJwt, verifyJwt } from './jwt.ts';

export type App = Directory['applications'][number];
export type User = Directory['users'][number];

export interface OAuthError {
  status: number;
  error: string;
  description: string;
  code: number;
}

export const oauthError = (status: number, error: string, code: number, description: string): OAuthError => ({ status, error, code, description });

export function findApp(state: SimState, clientId: string | null): App | OAuthError {
  const app = state.directory.applications.find((a) => a.clientId === (clientId ?? '').toLowerCase());
  if (!app) return oauthError(400, 'unauthorized_client', 700016, `AADSTS700016: Application with identifier '${clientId ?? ''}' was not found in the directory '${state.directory.tenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`);
  return app;
}

export const isConfidential = (app: App): boolean => app.secrets.length > 0 || app.certificates.length > 0;

/** Checks client_secret or client_assertion; undefined when the client authenticated. */
export function authenticateClient(app: App, form: URLSearchParams, tokenEndpoint: string, wallNow: number): OAuthError | undefined {
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  if (secret !== null) {
    if (!app.secrets.includes(secret)) return oauthError(401, 'invalid_client', 7000215, `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
    return undefined;
  }
  if (assertion !== null) {
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      return oauthError(400, 'invalid_request', 90058, "AADSTS90058: The request must contain client_assertion_type 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.");
    }
    const header = decodeJwt(assertion)?.header;
    const cert = app.certificates.find((c) => c.x5t === header?.['x5t'] || c.x5tS256 === header?.['x5t#S256']);
    if (!cert) return oauthError(401, 'invalid_client', 700027, `AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${String(header?.['x5t'] ?? header?.['x5t#S256'] ?? '')}']`);
    const claims = verifyJwt(assertion, () => cert.publicKey, ['RS256', 'PS256']);
    if (!claims) return oauthError(401, 'invalid_client', 700027, 'AADSTS700027: Client assertion failed signature validation.');
    // Client assertions come from outside the simulation: judged on the wall clock.
    if (typeof claims['exp'] !== 'number' || claims['exp'] * 1000 < wallNow) return oauthError(401, 'invalid_client', 700024, 'AADSTS700024: Client assertion is not within its valid time range.');
    if (claims['iss'] !== app.clientId || claims['sub'] !== app.clientId) return oauthError(401, 'invalid_client', 700023, 'AADSTS700023: Client assertion audience claim does not match Realm issuer.');
    const aud = String(claims['aud'] ?? '').replace(/\/+$/, '');
    if (aud.toLowerCase() !== tokenEndpoint.replace(/\/+$/, '').toLowerCase()) return oauthError(401, 'invalid_client', 700021, `AADSTS700021: Client assertion audience claim does not match Realm issuer. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials . Provided value for the 'aud' claim: '${aud}'.`);
    return undefined;
  }
  if (isConfidential(app)) return oauthError(401, 'invalid_client', 7000218, "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  return undefined;
}

export function findUserByName(state: SimState, username: string | null): User | undefined {
  const name = (username ?? '').toLowerCase();
  return state.directory.users.find((u) => u.userPrincipalName.toLowerCase() === name || u.samAccountName.toLowerCase() === name);
}

export function userSubject(state: SimState, user: User, app: App): TokenSubject {
  const record = state.store.get('systemuser', user.systemuserid);
  return {
    kind: 'user',
    systemuserid: user.systemuserid,
    oid: String(record?.['azureactivedirectoryobjectid'] ?? user.systemuserid),
    appid: app.clientId,
    upn: user.userPrincipalName,
    name: String(record?.['fullname'] ?? user.userPrincipalName),
  };
}

export function appSubject(app: App): TokenSubject | undefined {
  if (!app.systemuserid) return undefined;
  return { kind: 'app', systemuserid: app.systemuserid, oid: app.systemuserid, appid: app.clientId };
}

/** The resource of a v2 scope list: `https://org.host/.default openid` → https://org.host */
export function resourceOfScope(scope: string | null): string | undefined {
  for (const s of (scope ?? '').split(/\s+/)) {
    if (/^https?:\/\//i.test(s)) {
      let u: URL;
      try {
        u = new URL(s);
      } catch {
        return undefined;
      }
      const path = u.pathname.replace(/\/(\.default|user_impersonation)$/, '').replace(/\/+$/, '');
      return `${u.origin}${path}`;
    }
  }
  return undefined;
}
