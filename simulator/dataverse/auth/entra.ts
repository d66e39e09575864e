// An Entra-ID-like authority for the simulated Dataverse: OpenID discovery, JWKS, instance
// discovery (so msal-node needs no internet), the v2.0 token endpoint (client credentials
// with secret or certificate, password/ROPC, authorization code with PKCE, refresh token) and
// a sign-in page listing the seeded users for the authorization-code flow.
import { createHash, randomBytes } from 'node:crypto';
import type { SimState } from '../state.ts';
import { appSubject, authenticateClient, findApp, findUserByName, isConfidential, oauthError, resourceOfScope, userSubject, type App } from './clients.ts';
import type { TokenSubject } from './tokens.ts';
import { htmlError, oauthResponse, redirectAllowed, redirectError, signInPage } from './signin-page.ts';

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  systemuserid: string;
  challenge?: string;
  method?: string;
  nonce?: string;
  scope: string;
  expiresAt: number;
}

interface RefreshGrant {
  clientId: string;
  subject: TokenSubject;
  scope: string;
}

export class EntraAuthority {
  private readonly codes = new Map<string, CodeGrant>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();

  constructor(private readonly state: SimState) {}

  private tenantOk(tenant: string): boolean {
    const d = this.state.directory;
    return tenant.toLowerCase() === d.tenantId || tenant.toLowerCase() === d.tenantDomain.toLowerCase() || tenant === 'organizations';
  }

  private tenantError(tenant: string): Response {
    return oauthResponse(oauthError(400, 'invalid_tenant', 90002, `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`), this.state.directory.tenantId);
  }

  openidConfiguration(origin: string, tenant: string, v2: boolean): Response {
    if (!this.tenantOk(tenant)) return this.tenantError(tenant);
    const t = this.state.directory.tenantId;
    const base = `${origin}/${t}`;
    const ver = v2 ? '/v2.0' : '';
    return Response.json({
      token_endpoint: `${base}/oauth2${ver}/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery${ver}/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}${v2 ? '/v2.0' : '/'}`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${base}/openid/userinfo`,
      authorization_endpoint: `${base}/oauth2${ver}/authorize`,
      device_authorization_endpoint: `${base}/oauth2${ver}/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2${ver}/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'oid'],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: new URL(origin).host,
      cloud_graph_host_name: new URL(origin).host,
      msgraph_host: new URL(origin).host,
    });
  }

  /** Instance discovery as login.microsoftonline.com/common/discovery/instance answers it. */
  instanceDiscovery(origin: string): Response {
    const host = new URL(origin).host;
    return Response.json({
      tenant_discovery_endpoint: `${origin}/${this.state.directory.tenantId}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  jwks(): Response {
    return Response.json(this.state.tokens.signer.jwks());
  }

  async token(request: Request, origin: string, tenant: string, v2: boolean): Promise<Response> {
    if (!this.tenantOk(tenant)) return this.tenantError(tenant);
    const form = await readForm(request);
    const tokenEndpoint = `${origin}/${tenant}/oauth2${v2 ? '/v2.0' : ''}/token`;
    const found = findApp(this.state, form.get('client_id') ?? basicClientId(request));
    if ('error' in found) return oauthResponse(found, this.state.directory.tenantId);
    const app = found;
    if (!form.has('client_secret') && request.headers.get('authorization')?.startsWith('Basic ')) {
      const [, secret] = Buffer.from(request.headers.get('authorization')?.slice(6) ?? '', 'base64').toString('utf8').split(':');
      if (secret !== undefined) form.set('client_secret', decodeURIComponent(secret));
    }
    const grant = form.get('grant_type');
    const scope = v2 ? (form.get('scope') ?? '') : `${form.get('resource') ?? ''}/.default`;
    const resource = resourceOfScope(scope);
    const clientAuth = authenticateClient(app, form, tokenEndpoint, Date.now());
    if (clientAuth && (grant === 'client_credentials' || isConfidential(app))) return oauthResponse(clientAuth, this.state.directory.tenantId);
    switch (grant) {
      case 'client_credentials': {
        const subject = appSubject(app);
        if (!subject) return oauthResponse(oauthError(400, 'unauthorized_client', 700016, `AADSTS700016: Application '${app.clientId}' has no service principal that can use the client credentials grant.`), this.state.directory.tenantId);
        if (!resource) return oauthResponse(oauthError(400, 'invalid_scope', 1002012, `AADSTS1002012: The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`), this.state.directory.tenantId);
        return this.issue(subject, resource, app, scope, origin, false);
      }
      case 'password': {
        const user = findUserByName(this.state, form.get('username'));
        if (!user || user.password !== form.get('password')) {
          return oauthResponse(oauthError(400, 'invalid_grant', 50126, 'AADSTS50126: Error validating credentials due to invalid username or password.'), this.state.directory.tenantId);
        }
        if (!resource) return oauthResponse(oauthError(400, 'invalid_scope', 70011, `AADSTS70011: The provided value for the input parameter 'scope' is not valid.`), this.state.directory.tenantId);
        return this.issue(userSubject(this.state, user, app), resource, app, scope, origin, true);
      }
      case 'authorization_code': {
        const code = this.codes.get(form.get('code') ?? '');
        this.codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier');
        const invalid = oauthError(400, 'invalid_grant', 70008, 'AADSTS70008: The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.');
        if (!code || code.clientId !== app.clientId || code.expiresAt < this.state.clock.now()) return oauthResponse(invalid, this.state.directory.tenantId);
        if (form.get('redirect_uri') !== code.redirectUri) return oauthResponse(oauthError(400, 'invalid_grant', 50148, 'AADSTS50148: The redirect_uri does not match the one used in the authorization request.'), this.state.directory.tenantId);
        if (code.challenge) {
          const computed = code.method === 'plain' ? verifier : createHash('sha256').update(verifier ?? '').digest('base64url');
          if (!verifier || computed !== code.challenge) return oauthResponse(oauthError(400, 'invalid_grant', 501481, 'AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.'), this.state.directory.tenantId);
        }
        const user = this.state.directory.users.find((u) => u.systemuserid === code.systemuserid);
        if (!user) return oauthResponse(invalid, this.state.directory.tenantId);
        const res = resourceOfScope(code.scope) ?? resource;
        if (!res) return oauthResponse(oauthError(400, 'invalid_scope', 70011, "AADSTS70011: The provided value for the input parameter 'scope' is not valid."), this.state.directory.tenantId);
        return this.issue(userSubject(this.state, user, app), res, app, code.scope, origin, true, code.nonce);
      }
      case 'refresh_token': {
        const rt = this.refreshTokens.get(form.get('refresh_token') ?? '');
        if (!rt || rt.clientId !== app.clientId) return oauthResponse(oauthError(400, 'invalid_grant', 9002313, 'AADSTS9002313: Invalid request. Request is malformed or invalid.'), this.state.directory.tenantId);
        const res = resource ?? resourceOfScope(rt.scope);
        if (!res) return oauthResponse(oauthError(400, 'invalid_scope', 70011, "AADSTS70011: The provided value for the input parameter 'scope' is not valid."), this.state.directory.tenantId);
        return this.issue(rt.subject, res, app, scope || rt.scope, origin, true);
      }
      default:
        return oauthResponse(oauthError(400, 'unsupported_grant_type', 70003, `AADSTS70003: The app requested an unsupported grant type '${grant ?? ''}'.`), this.state.directory.tenantId);
    }
  }

  private issue(subject: TokenSubject, resource: string, app: App, scope: string, origin: string, withUserTokens: boolean, nonce?: string): Response {
    const t = this.state.tokens.issue(subject, resource, 'entra');
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: withUserTokens ? `${resource}/user_impersonation` : `${resource}/.default`,
      expires_in: t.expiresIn,
      ext_expires_in: t.expiresIn,
      access_token: t.accessToken,
    };
    if (withUserTokens) {
      const rt = randomBytes(32).toString('base64url');
      this.refreshTokens.set(rt, { clientId: app.clientId, subject, scope });
      body['refresh_token'] = rt;
      const now = Math.floor(this.state.clock.now() / 1000);
      const tid = this.state.directory.tenantId;
      body['id_token'] = this.state.tokens.signer.sign({
        aud: app.clientId, iss: `${origin}/${tid}/v2.0`, iat: now, nbf: now, exp: now + t.expiresIn,
        name: subject.name, oid: subject.oid, preferred_username: subject.upn, sub: subject.oid, tid, ver: '2.0',
        ...(nonce ? { nonce } : {}),
      });
      body['client_info'] = Buffer.from(JSON.stringify({ uid: subject.oid, utid: tid })).toString('base64url');
    }
    return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' } });
  }

  private hintedUser(hint: string | null): SimState['directory']['users'][number] | undefined {
    if (!hint) return undefined;
    const user = this.state.directory.users.find((u) => u.userPrincipalName.toLowerCase() === hint.toLowerCase());
    const rec = user === undefined ? undefined : this.state.store.get('systemuser', user.systemuserid);
    return rec && rec['isdisabled'] !== true && !rec['applicationid'] ? user : undefined;
  }

  /** GET authorize: the sign-in page; POST authorize: the chosen user → redirect with a code. */
  async authorize(request: Request, tenant: string): Promise<Response> {
    if (!this.tenantOk(tenant)) return this.tenantError(tenant);
    const url = new URL(request.url);
    const params = request.method === 'POST' ? await readForm(request) : url.searchParams;
    const found = findApp(this.state, params.get('client_id'));
    if ('error' in found) return htmlError(found.description);
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!redirectAllowed(found, redirectUri)) return htmlError(`AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${found.clientId}'.`);
    if (params.get('response_type') !== 'code') return redirectError(redirectUri, params.get('state'), 'unsupported_response_type', 'AADSTS700054: response_type must be code.');
    // login_hint of a seeded, enabled user signs in at once, as an existing SSO session would (the demo's one-click panel URL).
    const hinted = request.method === 'GET' ? this.hintedUser(params.get('login_hint')) : undefined;
    if (hinted === undefined && (request.method !== 'POST' || !params.get('login_userid'))) return signInPage(this.state, params);
    const user = hinted ?? this.state.directory.users.find((u) => u.systemuserid === params.get('login_userid'));
    if (!user) return signInPage(this.state, params);
    const code = randomBytes(32).toString('base64url');
    this.codes.set(code, {
      clientId: found.clientId, redirectUri, systemuserid: user.systemuserid, scope: params.get('scope') ?? '',
      expiresAt: this.state.clock.now() + 10 * 60_000,
      ...(params.get('code_challenge') ? { challenge: params.get('code_challenge') ?? '', method: params.get('code_challenge_method') ?? 'plain' } : {}),
      ...(params.get('nonce') ? { nonce: params.get('nonce') ?? '' } : {}),
    });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    if (params.get('state') !== null) target.searchParams.set('state', params.get('state') ?? '');
    return new Response(null, { status: 302, headers: { Location: target.toString() } });
  }
}

async function readForm(request: Request): Promise<URLSearchParams> {
  return new URLSearchParams(await request.text());
}

function basicClientId(request: Request): string | null {
  const auth = request.headers.get('authorization');
  if (!auth?.startsWith('Basic ')) return null;
  return decodeURIComponent(Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0] ?? '');
}
