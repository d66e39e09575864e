// The pages and error bodies of the simulated Entra sign-in: the account picker of the
// authorization-code flow, its error page and redirects, Entra's JSON error shape, and the
// redirect-URI rule (registered URIs; loopback ports ignored).
import { randomBytes } from 'node:crypto';
import type { SimState } from '../state.ts';
import type { App, OAuthError } from './clients.ts';

export function redirectAllowed(app: App, uri: string): boolean {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  return app.redirectUris.some((r) => {
    const reg = new URL(r);
    // Entra ignores the port of loopback redirect URIs (RFC 8252 section 7.3).
    if ((reg.hostname === 'localhost' || reg.hostname === '127.0.0.1') && reg.hostname === u.hostname) return reg.protocol === u.protocol && reg.pathname === u.pathname;
    return reg.toString() === u.toString();
  });
}

export function oauthResponse(e: OAuthError, tenantId: string): Response {
  return Response.json({
    error: e.error,
    error_description: `${e.description}\r\nTrace ID: ${randomBytes(16).toString('hex')}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [e.code],
    timestamp: new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    trace_id: randomBytes(16).toString('hex'),
    correlation_id: randomBytes(16).toString('hex'),
    error_uri: `https://login.microsoftonline.com/error?code=${e.code}`,
    tenant: tenantId,
  }, { status: e.status });
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function htmlError(message: string): Response {
  return new Response(`<!doctype html><html><head><meta charset="utf-8"><title>Sign in - error</title></head><body><h1>Sorry, but we're having trouble signing you in.</h1><p>${esc(message)}</p></body></html>`, { status: 400, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

export function redirectError(uri: string, state: string | null, error: string, description: string): Response {
  const target = new URL(uri);
  target.searchParams.set('error', error);
  target.searchParams.set('error_description', description);
  if (state !== null) target.searchParams.set('state', state);
  return new Response(null, { status: 302, headers: { Location: target.toString() } });
}

export function signInPage(state: SimState, params: URLSearchParams): Response {
  const hidden = [...params].filter(([k]) => k !== 'login_userid').map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
  const rows = state.directory.users.map((u) => {
    const rec = state.store.get('systemuser', u.systemuserid);
    if (!rec || rec['isdisabled'] === true || rec['applicationid']) return '';
    return `<li><button type="submit" name="login_userid" value="${esc(u.systemuserid)}" data-upn="${esc(u.userPrincipalName)}">${esc(String(rec['fullname'] ?? u.userPrincipalName))}</button> <span>${esc(u.userPrincipalName)}</span></li>`;
  }).join('');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in to your account (simulated)</title>
<style>body{font-family:sans-serif;max-width:36em;margin:3em auto}li{margin:.4em 0;list-style:none}button{min-width:14em;padding:.4em}</style></head>
<body><h1>Pick an account</h1><p>Simulated sign-in of ${esc(state.directory.tenantDomain)} — test only.</p>
<form method="post">${hidden}<ul>${rows}</ul></form></body></html>`;
  return new Response(html, { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}
