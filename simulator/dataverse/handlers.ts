// The msw request handlers of the simulated Dataverse. They run in-process under msw's
// setupServer or, as in every test here, behind a real HTTP server (server.ts) — msw's
// interceptor misses clients that import `http` as an ESM namespace, a real port does not.
import { http, type RequestHandler } from 'msw';
import { AdfsAuthority } from './auth/adfs.ts';
import { EntraAuthority } from './auth/entra.ts';
import { dropConnection } from './connections.ts';
import { handleControl } from './control.ts';
import { recordPage } from './record-page.ts';
import { THROTTLE_ERRORS } from './faults.ts';
import type { SimState } from './state.ts';
import { handleWebApi } from './webapi/routes.ts';

const TENANT = '([^/]+)';

function tenantOf(url: string, re: RegExp): string {
  return re.exec(new URL(url).pathname)?.[1] ?? '';
}

/** Faults aimed at the sign-in endpoints (target "token" or "any"). */
async function tokenFault(state: SimState, request: Request): Promise<Response | undefined> {
  const url = new URL(request.url);
  const req = { target: 'token' as const, method: request.method, path: `${url.pathname}${url.search}` };
  for (const rule of state.faults.take(req, ['latency'])) await new Promise((r) => setTimeout(r, rule.latencyMs ?? 0));
  if (state.faults.take(req, ['reset', 'lose-response'])[0]) return dropConnection(state.connections, request);
  if (state.faults.take(req, ['unauthorized'])[0]) {
    // What each authority answers when the client's credentials no longer work.
    return url.pathname.startsWith('/adfs/')
      ? Response.json({ error: 'invalid_grant', error_description: "MSIS9659: Invalid 'username' or 'password'." }, { status: 400 })
      : Response.json({ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] }, { status: 401 });
  }
  const rule = state.faults.take(req, ['throttle', 'unavailable'])[0];
  if (!rule) return undefined;
  const headers: Record<string, string> = rule.retryAfter !== undefined ? { 'Retry-After': rule.retryAfter } : {};
  if (rule.kind === 'throttle') return Response.json({ error: 'temporarily_unavailable', error_description: THROTTLE_ERRORS.requests.message }, { status: 429, headers });
  return new Response('Service Unavailable', { status: 503, headers });
}

export function createHandlers(state: SimState): RequestHandler[] {
  const entra = new EntraAuthority(state);
  const adfs = new AdfsAuthority(state);
  const origin = (request: Request): string => new URL(request.url).origin;
  const v2Config = new RegExp(`^/${TENANT}/v2\\.0/\\.well-known/openid-configuration$`);
  const v1Config = new RegExp(`^/${TENANT}/\\.well-known/openid-configuration$`);
  const keys = new RegExp(`^/${TENANT}/discovery(?:/v2\\.0)?/keys$`);
  const instance = new RegExp(`^/${TENANT}/discovery/instance$`);
  const token = new RegExp(`^/${TENANT}/oauth2(/v2\\.0)?/token$`);
  const authorize = new RegExp(`^/${TENANT}/oauth2(?:/v2\\.0)?/authorize$`);
  const path = (re: RegExp): RegExp => new RegExp(`^https?://[^/]+${re.source.slice(1)}`);
  return [
    http.all(/^https?:\/\/[^/]+\/_sim\//, ({ request }) => handleControl(state, request)),
    http.all(/^https?:\/\/[^/]+(?:\/[^/]+)?\/api\/data\/v9\.[012](?:\/|$)/i, ({ request }) => handleWebApi(state, request)),
    http.get(/^https?:\/\/[^/]+(?:\/[^/]+)?\/main\.aspx(?:\?|$)/i, ({ request }) => recordPage(state, request)),
    http.get(/^https?:\/\/[^/]+\/adfs\/\.well-known\/openid-configuration$/, ({ request }) => adfs.openidConfiguration(origin(request))),
    http.post(/^https?:\/\/[^/]+\/adfs\/oauth2\/token\/?$/, async ({ request }) => (await tokenFault(state, request)) ?? adfs.token(request, origin(request))),
    http.get(/^https?:\/\/[^/]+\/adfs\/discovery\/keys$/, () => entra.jwks()),
    http.get(path(v2Config), ({ request }) => entra.openidConfiguration(origin(request), tenantOf(request.url, v2Config), true)),
    http.get(path(v1Config), ({ request }) => entra.openidConfiguration(origin(request), tenantOf(request.url, v1Config), false)),
    http.get(path(keys), () => entra.jwks()),
    http.get(path(instance), ({ request }) => entra.instanceDiscovery(origin(request))),
    http.post(path(token), async ({ request }) => {
      const m = token.exec(new URL(request.url).pathname);
      return (await tokenFault(state, request)) ?? entra.token(request, origin(request), m?.[1] ?? '', m?.[2] !== undefined);
    }),
    http.all(path(authorize), ({ request }) => entra.authorize(request, tenantOf(request.url, authorize))),
  ];
}
