// A minimal record page at `main.aspx?etn=…&id=…`, so that "Open record" and
// "Open phone call" show the record in the demo and the browser tests instead
// of a 404. Like Dynamics, the page reads the record through the Web API as
// the signed-in user: its script signs in (authorization code + PKCE, the
// simulated Entra's account picker; a session is kept in localStorage as
// Dynamics keeps its cookie) and GETs the record with that token, so the
// caller's privileges apply. The server only adds what the page needs from
// the metadata (entity set, primary name, phone columns), never record data.
// `main.aspx?etn=…&extraqs=…` without an id is the "new record" form: it
// shows the prefilled values it was given.
import type { SimState } from './state.ts';

/** The simulated "Dynamics 365 web client" registration (directory.json): the page signs in as it. */
export const WEB_CLIENT_ID = '00000007-0000-0000-c000-000000000000';

const PHONE_COLUMN = /phone/;
const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string, script = ''): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:0;color:#201f1e;background:#faf9f8}header{background:#0f6cbd;color:#fff;padding:.6em 1em;font-weight:600}main{padding:1em;max-width:40em}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em}dt{color:#605e5c}dd{margin:0}[data-error]{color:#c50f1f}</style>
</head><body><header>Dynamics 365 (simulated)</header><main>${body}</main>${script === '' ? '' : `<script>${script}</script>`}</body></html>`;
  return new Response(html, { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' } });
}

function notFound(message: string): Response {
  const r = page('Record not found', `<h1>Record not found</h1><p data-error data-testid="record-error">${esc(message)}</p>`);
  return new Response(r.body, { status: 404, headers: r.headers });
}

/** GET main.aspx. */
export function recordPage(state: SimState, request: Request): Response {
  const url = new URL(request.url);
  const signIn = { authority: `${url.origin}/${state.directory.tenantId}/oauth2/v2.0`, clientId: WEB_CLIENT_ID };
  // The sign-in's redirect back (main.aspx?code=… or ?error=…): the script redeems the code and returns to the record.
  if (url.searchParams.has('code') || url.searchParams.has('error')) {
    return page('Signing in', '<h1 data-testid="record-name">Signing in…</h1><p data-testid="record-error" data-error></p>', SCRIPT.replace('__CONFIG__', JSON.stringify(signIn)));
  }
  const etn = url.searchParams.get('etn') ?? '';
  const entity = state.metadata.entity(etn);
  if (entity === undefined) return notFound(`There is no table "${etn}".`);
  const rawId = url.searchParams.get('id');
  if (rawId === null) {
    // The new-record form with its prefilled values (extraqs is a query string itself).
    const extra = new URLSearchParams(url.searchParams.get('extraqs') ?? '');
    const rows = [...extra].map(([k, v]) => `<dt>${esc(k)}</dt><dd data-field="${esc(k)}">${esc(v)}</dd>`).join('');
    return page(`New ${etn}`, `<h1 data-testid="record-new">New ${esc(etn)}</h1><dl>${rows}</dl><p>This simulated form is not saved.</p>`);
  }
  const id = GUID.exec(rawId)?.[1]?.toLowerCase();
  if (id === undefined) return notFound(`"${rawId}" is not a record id.`);
  const phones = Object.keys(entity.attributes).filter((a) => PHONE_COLUMN.test(a) && entity.attributes[a]?.type === 'string');
  const config = {
    entity: etn, id, set: entity.entitySetName, name: entity.primaryNameAttribute ?? entity.primaryIdAttribute, phones, ...signIn,
  };
  return page(`${etn} record`, `<h1 data-testid="record-name">…</h1><p>${esc(etn)} <span data-testid="record-id">${esc(id)}</span></p><dl data-testid="record-fields"></dl><p data-testid="record-error" data-error></p>`,
    SCRIPT.replace('__CONFIG__', JSON.stringify(config).replace(/</g, '\\u003c')));
}

// Runs in the browser. Plain ES2020; no bundle.
const SCRIPT = `
const C = __CONFIG__;
const org = location.origin + location.pathname.replace(/\\/main\\.aspx$/i, '');
const redirect = location.origin + '/main.aspx';
const KEY = 'sim-dynamics-session';
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const fail = (text) => { document.querySelector('[data-testid=record-error]').textContent = text; document.querySelector('[data-testid=record-name]').textContent = 'Record'; };
async function signIn() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(KEY + ':verifier', verifier);
  sessionStorage.setItem(KEY + ':back', location.href);
  const q = new URLSearchParams({ client_id: C.clientId, response_type: 'code', redirect_uri: redirect, scope: org + '/user_impersonation openid', code_challenge: challenge, code_challenge_method: 'S256', state: 'record' });
  location.assign(C.authority + '/authorize?' + q);
}
async function finishSignIn(code) {
  const body = new URLSearchParams({ grant_type: 'authorization_code', client_id: C.clientId, code, redirect_uri: redirect, code_verifier: sessionStorage.getItem(KEY + ':verifier') || '' });
  const r = await fetch(C.authority + '/token', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
  const j = await r.json();
  if (!j.access_token) throw new Error(j.error_description || 'sign-in failed');
  localStorage.setItem(KEY, JSON.stringify({ token: j.access_token, until: Date.now() + (j.expires_in - 60) * 1000 }));
}
async function main() {
  const here = new URL(location.href);
  if (here.searchParams.get('error')) return fail(here.searchParams.get('error_description') || here.searchParams.get('error'));
  if (here.searchParams.get('code')) {
    await finishSignIn(here.searchParams.get('code'));
    const back = sessionStorage.getItem(KEY + ':back');
    return back ? location.replace(back) : fail('signed in, but the record to return to is unknown');
  }
  const session = JSON.parse(localStorage.getItem(KEY) || 'null');
  if (!session || session.until < Date.now()) return signIn();
  const select = [C.name, ...C.phones].join(',');
  const r = await fetch(org + '/api/data/v9.2/' + C.set + '(' + C.id + ')?$select=' + select, { headers: { Authorization: 'Bearer ' + session.token, Accept: 'application/json', 'OData-Version': '4.0' } });
  if (r.status === 401) { localStorage.removeItem(KEY); return signIn(); }
  const j = await r.json().catch(() => ({}));
  if (!r.ok) return fail((j.error && j.error.message) || ('HTTP ' + r.status));
  document.title = String(j[C.name] || C.entity);
  document.querySelector('[data-testid=record-name]').textContent = String(j[C.name] || '');
  const dl = document.querySelector('[data-testid=record-fields]');
  for (const p of C.phones) {
    if (j[p] == null || j[p] === '') continue;
    const dt = document.createElement('dt'); dt.textContent = p;
    const dd = document.createElement('dd'); dd.textContent = String(j[p]); dd.dataset.field = p;
    dl.append(dt, dd);
  }
  document.body.dataset.loaded = 'true';
}
main().catch((e) => fail(String(e && e.message || e)));
`;
