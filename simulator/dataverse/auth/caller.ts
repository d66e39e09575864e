// Who is calling the Web API: a bearer token (Entra ID or AD FS flavour) or the NTLM identity
// bound to the keep-alive connection; then impersonation (CallerObjectId / MSCRMCallerID),
// allowed only with prvActOnBehalfOfAnotherUser. Failures answer like Dataverse: 401 with the
// challenge headers, 403 with an OData error body.
import { randomBytes } from 'node:crypto';
import { CONNECTION_HEADER } from '../connections.ts';
import { DV, ODataError } from '../errors.ts';
import type { SimState } from '../state.ts';
import type { StoredRecord } from '../store.ts';
import type { Actor } from '../writes.ts';
import { buildType2, messageType, NTLM_PASSWORD_VERIFICATION, parseType3, verifyNtlmV2 } from './ntlm.ts';
import { odataHeaders } from '../webapi/context.ts';

export type CallerResult = { ok: true; actor: Actor } | { ok: false; response: Response };

const GUID = /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$/;

export function challenge(state: SimState, origin: string, error?: string): Response {
  const headers = odataHeaders();
  if (state.settings.authSchemes.includes('Bearer')) {
    const authority = `${origin}/${state.directory.tenantId}/oauth2/authorize`;
    headers.append('WWW-Authenticate', `Bearer ${error ? `error="invalid_token", error_description="${error}", ` : ''}authorization_uri=${authority}, resource_id=${origin}/`);
  }
  const windows = windowsSchemes(state);
  if (windows.negotiate) headers.append('WWW-Authenticate', 'Negotiate');
  if (windows.ntlm) headers.append('WWW-Authenticate', 'NTLM');
  return new Response(null, { status: 401, headers });
}

/** Which Windows sign-in schemes are offered, and under which NTLM tokens are accepted. */
function windowsSchemes(state: SimState): { negotiate: boolean; ntlm: boolean; ntlmTokensUnder: ReadonlySet<string> } {
  const s = state.settings.authSchemes;
  const ntlm = s.includes('NTLM');
  const negotiate = ntlm || s.includes('Negotiate') || s.includes('Kerberos');
  const under = new Set<string>();
  if (ntlm) under.add('ntlm');
  if (ntlm || s.includes('Negotiate')) under.add('negotiate');
  return { negotiate, ntlm, ntlmTokensUnder: under };
}

function findUser(state: SimState, pred: (u: StoredRecord) => boolean): StoredRecord | undefined {
  for (const u of state.store.all('systemuser')) if (pred(u)) return u;
  return undefined;
}

function notMember(): ODataError {
  return new ODataError(403, '0x80072560', 'The user is not a member of the organization.');
}

function checkEnabled(user: StoredRecord): void {
  if (user['isdisabled'] === true) {
    throw new ODataError(403, DV.userDisabled, `The user with SystemUserId=${String(user['systemuserid'])} is disabled. Disabled users cannot log on.`);
  }
}

/** Resolves the caller; `origin` is scheme://host[:port] the client used. */
export function resolveCaller(state: SimState, request: Request, origin: string, acceptAudience: (aud: string) => boolean): CallerResult {
  const auth = request.headers.get('authorization') ?? '';
  const connection = state.connections.get(request.headers.get(CONNECTION_HEADER));
  let userId: string | undefined;
  const scheme = auth.split(' ', 1)[0]?.toLowerCase() ?? '';
  if (scheme === 'bearer' && state.settings.authSchemes.includes('Bearer')) {
    const check = state.tokens.check(auth.slice(7).trim(), acceptAudience);
    if (!check.ok) {
      const why = check.reason === 'expired' || check.reason === 'revoked' ? 'The access token has expired' : check.reason === 'audience' ? 'The access token was issued for another resource' : 'The access token is invalid';
      return { ok: false, response: challenge(state, origin, why) };
    }
    const c = check.claims;
    const user = c['idtyp'] === 'app'
      ? findUser(state, (u) => u['applicationid'] === String(c['appid']).toLowerCase())
      : typeof c['oid'] === 'string' && c['iss'] !== state.tokens.issuerFor('adfs')
        ? findUser(state, (u) => u['azureactivedirectoryobjectid'] === String(c['oid']).toLowerCase())
        : findByWindowsName(state, String(c['upn'] ?? c['unique_name'] ?? ''));
    if (!user) throw notMember();
    checkEnabled(user);
    userId = String(user['systemuserid']);
  } else if (windowsSchemes(state).ntlmTokensUnder.has(scheme)) {
    if (!connection) return { ok: false, response: challenge(state, origin) };
    const buf = Buffer.from(auth.slice(scheme.length).trim(), 'base64');
    const type = messageType(buf);
    if (type === 1) {
      const serverChallenge = randomBytes(8);
      connection.ntlmChallenge = serverChallenge;
      connection.ntlmUserId = undefined;
      const headers = odataHeaders();
      // IIS answers under the scheme the client used.
      headers.set('WWW-Authenticate', `${scheme === 'negotiate' ? 'Negotiate' : 'NTLM'} ${buildType2(serverChallenge, state.directory.windowsDomain, 'CRMSERVER').toString('base64')}`);
      return { ok: false, response: new Response(null, { status: 401, headers }) };
    }
    const msg = type === 3 ? parseType3(buf) : undefined;
    const serverChallenge = connection.ntlmChallenge;
    connection.ntlmChallenge = undefined;
    if (!msg || !serverChallenge) return { ok: false, response: challenge(state, origin) };
    const entry = state.directory.users.find((u) => sameWindowsUser(u.samAccountName, u.userPrincipalName, msg.domain, msg.user));
    const passwordOk = entry !== undefined && (!NTLM_PASSWORD_VERIFICATION || verifyNtlmV2(msg, serverChallenge, entry.password));
    if (!entry || !passwordOk) return { ok: false, response: challenge(state, origin) };
    const user = state.store.get('systemuser', entry.systemuserid);
    if (!user) throw notMember();
    checkEnabled(user);
    connection.ntlmUserId = entry.systemuserid;
    userId = entry.systemuserid;
  } else if (!auth && connection?.ntlmUserId) {
    userId = connection.ntlmUserId;
  } else {
    return { ok: false, response: challenge(state, origin) };
  }
  return { ok: true, actor: impersonate(state, request, userId) };
}

function sameWindowsUser(sam: string, upn: string, domain: string, user: string): boolean {
  const [d, u] = sam.includes('\\') ? sam.split('\\') as [string, string] : ['', sam];
  if (user.includes('@')) return user.toLowerCase() === upn.toLowerCase();
  return u.toLowerCase() === user.toLowerCase() && (domain === '' || d.toLowerCase() === domain.toLowerCase() || domain.toLowerCase() === `${d.toLowerCase()}.local`);
}

function findByWindowsName(state: SimState, name: string): StoredRecord | undefined {
  const [domain, user] = name.includes('\\') ? name.split('\\') as [string, string] : ['', name];
  const entry = state.directory.users.find((u) => sameWindowsUser(u.samAccountName, u.userPrincipalName, domain, user));
  return entry ? state.store.get('systemuser', entry.systemuserid) : undefined;
}

function impersonate(state: SimState, request: Request, callerId: string): Actor {
  const now = state.clock.now();
  const objectId = request.headers.get('callerobjectid');
  const callerHeader = request.headers.get('mscrmcallerid');
  if (objectId === null && callerHeader === null) return { callerId, userId: callerId, now };
  const raw = (objectId ?? callerHeader ?? '').trim();
  const m = GUID.exec(raw);
  if (!m?.[1]) throw new ODataError(400, DV.invalidArgument, `The value '${raw}' of header '${objectId !== null ? 'CallerObjectId' : 'MSCRMCallerID'}' is not a valid GUID.`);
  const id = m[1].toLowerCase();
  const target = objectId !== null
    ? findUser(state, (u) => u['azureactivedirectoryobjectid'] === id)
    : state.store.get('systemuser', id);
  // Naming the caller itself is no impersonation: createdonbehalfby stays empty
  // (https://github.com/MicrosoftDocs/powerapps-docs/issues/2088).
  if (target && String(target['systemuserid']) === callerId) return { callerId, userId: callerId, now };
  if (state.settings.enforcePrivileges) {
    state.privileges.demand('prvActOnBehalfOfAnotherUser', [callerId], 'systemuser', 8);
  }
  if (!target) throw new ODataError(404, DV.objectDoesNotExist, `systemuser With ${objectId !== null ? 'azureactivedirectoryobjectid' : 'Id'} = ${id} Does Not Exist`);
  checkEnabled(target);
  return { callerId, userId: String(target['systemuserid']), now };
}
