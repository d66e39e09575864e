import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import { ConfidentialClientApplication, PublicClientApplication, type INetworkModule, type NetworkResponse } from '@azure/msal-node';
import { createRequire } from 'node:module';
import { NTLM_PASSWORD_VERIFICATION, TEST_TLS_DIR } from '../../simulator/dataverse/index.ts';
import { api, managerApp, startSim, user } from './support.ts';

// httpntlm ships no types; this is the one call the test makes.
const httpntlm = createRequire(import.meta.url)('httpntlm') as {
  get(opts: Record<string, string>, cb: (err: Error | null, res: { statusCode: number; body: string }) => void): void;
};

let tls: Awaited<ReturnType<typeof startSim>>;
let plain: Awaited<ReturnType<typeof startSim>>;
let agent: Agent;

/** msal-node's network client over the agent that trusts the test CA (msal's default client takes no CA). */
function networkClient(): INetworkModule {
  const send = async <T>(method: string, url: string, options?: { headers?: Record<string, string>; body?: string }): Promise<NetworkResponse<T>> => {
    const res = await undiciFetch(url, { method, headers: options?.headers, body: options?.body, dispatcher: agent });
    return { status: res.status, headers: Object.fromEntries(res.headers), body: (await res.json()) as T };
  };
  return { sendGetRequestAsync: (url, options) => send('GET', url, options), sendPostRequestAsync: (url, options) => send('POST', url, options) };
}

beforeAll(async () => {
  tls = await startSim({ tls: true });
  plain = await startSim({ tokenLifetimeSeconds: 600 });
  agent = new Agent({ connect: { ca: tls.caCertificate } });
});
afterAll(async () => {
  await agent.close();
  await tls.close();
  await plain.close();
});

async function whoAmI(token: string): Promise<{ status: number; userId?: string }> {
  const res = await undiciFetch(`${tls.webApiUrl}WhoAmI`, { headers: { Authorization: `Bearer ${token}` }, dispatcher: agent });
  const body = res.status === 200 ? ((await res.json()) as { UserId: string }) : undefined;
  return { status: res.status, ...(body ? { userId: body.UserId } : {}) };
}

describe('msal-node against the simulated authority (no internet)', () => {
  const msalAuth = () => ({ authority: tls.authorityUrl, knownAuthorities: [new URL(tls.url).host] });

  it('client credentials with a secret', async () => {
    const app = managerApp(tls);
    const cca = new ConfidentialClientApplication({ auth: { clientId: app.clientId, clientSecret: app.secret, ...msalAuth() }, system: { networkClient: networkClient() } });
    const result = await cca.acquireTokenByClientCredential({ scopes: [`${tls.url}/.default`] });
    expect(result?.accessToken).toBeTruthy();
    expect(await whoAmI(result?.accessToken ?? '')).toEqual({ status: 200, userId: app.systemuserid });
    const again = await cca.acquireTokenByClientCredential({ scopes: [`${tls.url}/.default`] });
    expect(again?.fromCache).toBe(true);
    const fresh = await cca.acquireTokenByClientCredential({ scopes: [`${tls.url}/.default`], skipCache: true });
    expect(fresh?.fromCache).toBe(false);
  });

  it('client credentials with a certificate (client assertion)', async () => {
    const app = managerApp(tls);
    const certPem = readFileSync(`${TEST_TLS_DIR}app-cert.pem`, 'utf8');
    const thumbprintSha256 = createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
    const cca = new ConfidentialClientApplication({
      auth: { clientId: app.clientId, clientCertificate: { thumbprintSha256, privateKey: readFileSync(`${TEST_TLS_DIR}app-key.pem`, 'utf8') }, ...msalAuth() },
      system: { networkClient: networkClient() },
    });
    const result = await cca.acquireTokenByClientCredential({ scopes: [`${tls.url}/.default`] });
    expect(await whoAmI(result?.accessToken ?? '')).toEqual({ status: 200, userId: app.systemuserid });
  });

  it('a wrong secret fails with AADSTS7000215', async () => {
    const app = managerApp(tls);
    const cca = new ConfidentialClientApplication({ auth: { clientId: app.clientId, clientSecret: 'wrong-secret-value', ...msalAuth() }, system: { networkClient: networkClient() } });
    await expect(cca.acquireTokenByClientCredential({ scopes: [`${tls.url}/.default`] })).rejects.toThrow(/AADSTS7000215/);
  });

  it('username and password (the manual\'s setup)', async () => {
    const anna = user(tls, 'aschmidt');
    const pca = new PublicClientApplication({ auth: { clientId: '51f81489-12ee-4a9e-aaae-a2591f45987d', ...msalAuth() }, system: { networkClient: networkClient() } });
    const result = await pca.acquireTokenByUsernamePassword({ scopes: [`${tls.url}/user_impersonation`], username: anna.upn, password: anna.password });
    expect(result?.account?.username).toBe(anna.upn);
    expect(await whoAmI(result?.accessToken ?? '')).toEqual({ status: 200, userId: anna.systemuserid });
    await expect(pca.acquireTokenByUsernamePassword({ scopes: [`${tls.url}/user_impersonation`], username: anna.upn, password: 'wrong' })).rejects.toThrow(/AADSTS50126/);
  });

  it('answers online-style URLs https://<org>.crm.localhost:PORT (organisation from the host name)', async () => {
    const app = managerApp(tls);
    const port = new URL(tls.url).port;
    // *.localhost does not resolve by itself: connect to 127.0.0.1, keep the name for TLS and Host.
    const hostAgent = new Agent({ connect: { ca: tls.caCertificate, lookup: (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]) } });
    try {
      const origin = `https://contoso.crm.localhost:${port}`;
      const tokenRes = await undiciFetch(tls.tokenUrl, { method: 'POST', dispatcher: agent, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.secret, scope: `${origin}/.default` }) });
      const token = ((await tokenRes.json()) as { access_token: string }).access_token;
      const who = await undiciFetch(`${origin}/api/data/v9.2/WhoAmI`, { headers: { Authorization: `Bearer ${token}` }, dispatcher: hostAgent });
      expect(who.status).toBe(200);
      expect(((await who.json()) as { '@odata.context': string })['@odata.context']).toBe(`${origin}/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`);
      const other = await undiciFetch(`https://fabrikam.crm.localhost:${port}/api/data/v9.2/WhoAmI`, { headers: { Authorization: `Bearer ${token}` }, dispatcher: hostAgent });
      expect(other.status).toBe(404);
    } finally {
      await hostAgent.close();
    }
  });

  it('a client without the test CA fails the TLS handshake', async () => {
    await expect(fetch(`${tls.webApiUrl}WhoAmI`)).rejects.toThrow();
  });
});

describe('authorization code with PKCE and the sign-in page', () => {
  it('lists the seeded users, redirects with a code, and the code + verifier give a token once', async () => {
    const clientId = plain.directory.applications.find((a) => a.displayName.includes('softphone'))?.clientId ?? '';
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirect = 'http://localhost:5173/callback';
    const params = new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: redirect, scope: `${plain.url}/user_impersonation openid profile`, state: 's1', code_challenge: challenge, code_challenge_method: 'S256', nonce: 'n1' });
    const page = await fetch(`${plain.authorizeUrl}?${params}`);
    const html = await page.text();
    expect(page.status).toBe(200);
    const emily = user(plain, 'ecarter');
    expect(html).toContain('Emily Carter');
    expect(html).not.toContain('Thomas Krause');
    const form = new URLSearchParams(params);
    form.set('login_userid', emily.systemuserid);
    const chosen = await fetch(plain.authorizeUrl, { method: 'POST', body: form, redirect: 'manual' });
    expect(chosen.status).toBe(302);
    const location = new URL(chosen.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(redirect);
    expect(location.searchParams.get('state')).toBe('s1');
    const code = location.searchParams.get('code') ?? '';
    const exchange = (verifierValue: string) => fetch(plain.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: redirect, code_verifier: verifierValue }) });
    const wrong = await exchange('not-the-verifier');
    expect(wrong.status).toBe(400);
    const page2 = await fetch(plain.authorizeUrl, { method: 'POST', body: form, redirect: 'manual' });
    const code2 = new URL(page2.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const ok = await fetch(plain.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code: code2, redirect_uri: redirect, code_verifier: verifier }) });
    const body = (await ok.json()) as { access_token: string; id_token: string; refresh_token: string };
    expect(ok.status).toBe(200);
    const idClaims = JSON.parse(Buffer.from(body.id_token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(idClaims['nonce']).toBe('n1');
    expect(idClaims['preferred_username']).toBe(emily.upn);
    expect((await api(plain, body.access_token)('WhoAmI')).body.UserId).toBe(emily.systemuserid);
    const replay = await fetch(plain.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code: code2, redirect_uri: redirect, code_verifier: verifier }) });
    expect(replay.status).toBe(400);
    const refreshed = await fetch(plain.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: body.refresh_token, scope: `${plain.url}/user_impersonation` }) });
    expect(refreshed.status).toBe(200);
  });

  it('refuses an unregistered redirect URI', async () => {
    const clientId = plain.directory.applications.find((a) => a.displayName.includes('softphone'))?.clientId ?? '';
    const res = await fetch(`${plain.authorizeUrl}?${new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: 'https://evil.example/cb' })}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('AADSTS50011');
  });
});

describe('token lifetime and bad tokens', () => {
  it('a token expires on the simulator clock: 401 with the Bearer challenge', async () => {
    const res = await fetch(plain.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: managerApp(plain).clientId, client_secret: managerApp(plain).secret, scope: `${plain.url}/.default` }) });
    const body = (await res.json()) as { access_token: string; expires_in: number };
    expect(body.expires_in).toBe(600);
    const call = api(plain, body.access_token);
    expect((await call('WhoAmI')).status).toBe(200);
    plain.clock.advance(601_000);
    const expired = await call('WhoAmI');
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('error_description="The access token has expired"');
    plain.clock.advance(-601_000);
  });

  it('no token, a garbage token, a token for another resource: 401', async () => {
    const none = await fetch(`${plain.webApiUrl}WhoAmI`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer authorization_uri=.*, NTLM|^Bearer authorization_uri=/);
    expect((await api(plain, 'abc.def.ghi')('WhoAmI')).status).toBe(401);
    const res = await fetch(plain.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: managerApp(plain).clientId, client_secret: managerApp(plain).secret, scope: 'https://other.crm4.dynamics.com/.default' }) });
    const other = ((await res.json()) as { access_token: string }).access_token;
    expect((await api(plain, other)('WhoAmI')).status).toBe(401);
    const fromTls = await undiciFetch(tls.tokenUrl, { method: 'POST', dispatcher: agent, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: managerApp(tls).clientId, client_secret: managerApp(tls).secret, scope: `${plain.url}/.default` }) });
    const foreign = ((await fromTls.json()) as { access_token: string }).access_token;
    expect((await api(plain, foreign)('WhoAmI')).status, 'a token of another simulator').toBe(401);
  });
});

describe('AD FS', () => {
  it('password grant with DOMAIN\\user gives a token the Web API maps to the user', async () => {
    const svc = user(plain, 'svc-crmtapi');
    const res = await fetch(plain.adfsTokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', client_id: managerApp(plain).clientId, client_secret: managerApp(plain).secret, username: svc.sam, password: svc.password, resource: plain.orgUrl }) });
    const body = (await res.json()) as { access_token: string; token_type: string };
    expect(res.status).toBe(200);
    expect(body.token_type).toBe('bearer');
    expect((await api(plain, body.access_token, plain.orgWebApiUrl)('WhoAmI')).body.UserId).toBe(svc.systemuserid);
    const bad = await fetch(plain.adfsTokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', client_id: managerApp(plain).clientId, username: svc.sam, password: 'nope', resource: plain.orgUrl }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_grant');
  });
});

describe('NTLM (OnPremise)', () => {
  const ntlmGet = (opts: { username: string; password: string; domain: string }): Promise<{ statusCode: number; body: string }> =>
    new Promise((resolve, reject) => {
      httpntlm.get({ url: `${plain.orgWebApiUrl}WhoAmI`, workstation: 'PC-42', ...opts }, (err, res) => (err ? reject(err) : resolve(res)));
    });

  it('completes the Type 1/2/3 handshake on one keep-alive connection and identifies the user', async () => {
    const svc = user(plain, 'svc-crmtapi');
    const res = await ntlmGet({ username: 'svc-crmtapi', password: svc.password, domain: 'CONTOSO' });
    expect(res.statusCode).toBe(200);
    expect((JSON.parse(res.body) as { UserId: string }).UserId).toBe(svc.systemuserid);
  });

  it('verifies the NTLMv2 response: a wrong password or unknown user gets 401', async () => {
    expect(NTLM_PASSWORD_VERIFICATION).toBe(true);
    expect((await ntlmGet({ username: 'svc-crmtapi', password: 'wrong', domain: 'CONTOSO' })).statusCode).toBe(401);
    expect((await ntlmGet({ username: 'nobody', password: 'x', domain: 'CONTOSO' })).statusCode).toBe(401);
  });

  it('the 401 challenge offers Negotiate and NTLM', async () => {
    const res = await fetch(`${plain.orgWebApiUrl}WhoAmI`);
    expect(res.headers.get('www-authenticate')).toContain('NTLM');
    expect(res.headers.get('www-authenticate')).toContain('Negotiate');
  });
});
