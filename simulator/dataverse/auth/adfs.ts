// An AD FS-like token endpoint for IFD / InternalIFD deployments (`/adfs/oauth2/token`):
// password grant with DOMAIN\user or UPN, client credentials, refresh token. Tokens carry
// `upn` and `unique_name`, which the Web API maps to the user's systemuser record.
import { randomBytes } from 'node:crypto';
import type { SimState } from '../state.ts';
import { appSubject, authenticateClient, findApp, findUserByName, userSubject } from './clients.ts';
import type { TokenSubject } from './tokens.ts';

function adfsError(status: number, error: string, description: string): Response {
  return Response.json({ error, error_description: description }, { status });
}

export class AdfsAuthority {
  private readonly refreshTokens = new Map<string, { clientId: string; subject: TokenSubject; resource: string }>();

  constructor(private readonly state: SimState) {}

  openidConfiguration(origin: string): Response {
    return Response.json({
      issuer: `${origin}/adfs`,
      authorization_endpoint: `${origin}/adfs/oauth2/authorize/`,
      token_endpoint: `${origin}/adfs/oauth2/token/`,
      jwks_uri: `${origin}/adfs/discovery/keys`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'private_key_jwt', 'windows_client_authentication'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
      access_token_issuer: `${origin}/adfs/services/trust`,
    });
  }

  async token(request: Request, origin: string): Promise<Response> {
    const form = new URLSearchParams(await request.text());
    const found = findApp(this.state, form.get('client_id'));
    if ('error' in found) return adfsError(400, 'invalid_client', `MSIS9607: The 'client_id' parameter in the request is invalid. No registered client is found with this identifier.`);
    const resource = (form.get('resource') ?? '').replace(/\/+$/, '');
    if (!/^https?:\/\//.test(resource) && form.get('grant_type') !== 'refresh_token') return adfsError(400, 'invalid_resource', "MSIS9602: The received 'resource' parameter is invalid.");
    const grant = form.get('grant_type');
    if (grant === 'client_credentials') {
      const fail = authenticateClient(found, form, `${origin}/adfs/oauth2/token`, Date.now());
      if (fail) return adfsError(401, 'invalid_client', 'MSIS9623: The client credentials are invalid.');
      const subject = appSubject(found);
      if (!subject) return adfsError(400, 'unauthorized_client', 'MSIS9605: The client is not allowed to access the requested resource.');
      return this.issue(subject, resource, found.clientId, false);
    }
    if (grant === 'password') {
      const user = findUserByName(this.state, form.get('username'));
      if (!user || user.password !== form.get('password')) return adfsError(400, 'invalid_grant', "MSIS9659: Invalid 'username' or 'password'.");
      return this.issue(userSubject(this.state, user, found), resource, found.clientId, true);
    }
    if (grant === 'refresh_token') {
      const rt = this.refreshTokens.get(form.get('refresh_token') ?? '');
      if (!rt || rt.clientId !== found.clientId) return adfsError(400, 'invalid_grant', 'MSIS9615: The refresh token received in "refresh_token" parameter is invalid.');
      return this.issue(rt.subject, resource || rt.resource, found.clientId, true);
    }
    return adfsError(400, 'unsupported_grant_type', `MSIS9611: The authorization server does not support the requested 'grant_type' value '${grant ?? ''}'.`);
  }

  private issue(subject: TokenSubject, resource: string, clientId: string, refresh: boolean): Response {
    const user = this.state.directory.users.find((u) => u.systemuserid === subject.systemuserid);
    const t = this.state.tokens.issue(subject, resource, 'adfs', user ? { upn: user.userPrincipalName, unique_name: user.samAccountName } : {});
    const body: Record<string, unknown> = { access_token: t.accessToken, token_type: 'bearer', expires_in: t.expiresIn, resource };
    if (refresh) {
      const rt = randomBytes(32).toString('base64url');
      this.refreshTokens.set(rt, { clientId, subject, resource });
      body['refresh_token'] = rt;
      body['refresh_token_expires_in'] = 28800;
    }
    return Response.json(body);
  }
}
