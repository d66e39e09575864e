// One Web API request from start to end: organisation from the URL, faults, caller, routing
// to entity sets / functions / $batch, OData error bodies, and the "write committed but the
// response lost" faults applied after the work is done.
import { dropConnection } from '../connections.ts';
import { DV, ODataError } from '../errors.ts';
import { THROTTLE_ERRORS, type FaultRule } from '../faults.ts';
import type { SimState } from '../state.ts';
import { logRequest } from '../state.ts';
import { challenge, resolveCaller } from '../auth/caller.ts';
import type { Actor } from '../writes.ts';
import { ianaZone } from '../timezones.ts';
import { aliasesOf } from '../odata/filter.ts';
import { handleAssociation, isAssociation } from './associate.ts';
import { handleBatch } from './batch.ts';
import { jsonResponse, makeRepresent, type WebApiContext } from './context.ts';
import { handleCount, handleEntitySet } from './entities.ts';
import { importSolutionAction, publishAction } from './customization.ts';
import { entityDefinitionPath, entityDefinitions, metadataDocument } from './metadata-api.ts';
import { retrieveCurrentOrganization, retrieveUserPrivileges, retrieveVersion, whoAmI } from './functions.ts';
import { grantAccess, modifyAccess, revokeAccess } from './sharing.ts';

const API = /^(.*?)\/api\/data\/(v9\.[012])(\/.*)?$/i;

export interface OrgMatch {
  /** '' for the bare root or host-named organisation, '/<org>' for the path style. */
  orgPath: string;
  version: string;
  /** Path after /api/data/v9.x/ (still percent-encoded). */
  rest: string;
}

export function matchOrg(state: SimState, url: URL): OrgMatch | 'unknown-org' | undefined {
  const m = API.exec(url.pathname);
  if (!m) return undefined;
  const prefix = m[1] ?? '';
  const rest = (m[3] ?? '/').slice(1);
  if (prefix !== '') {
    if (prefix.slice(1).toLowerCase() !== state.orgName.toLowerCase() || prefix.lastIndexOf('/') !== 0) return 'unknown-org';
    return { orgPath: prefix, version: m[2] ?? 'v9.2', rest };
  }
  // Online / IFD style: the organisation is the first label of the host name
  // (contoso.localhost); a bare IP or plain "localhost" means the default organisation.
  const host = url.hostname;
  const labels = host.split('.');
  const isIp = /^[\d.]+$/.test(host) || host.includes(':') || host.startsWith('[');
  if (!isIp && labels.length >= 2 && labels[0]?.toLowerCase() !== state.orgName.toLowerCase()) return 'unknown-org';
  return { orgPath: '', version: m[2] ?? 'v9.2', rest };
}

function errorResponse(err: ODataError): Response {
  return jsonResponse(err.status, err.body(), err.headers);
}

function faultResponse(rule: FaultRule): Response {
  const headers: Record<string, string> = {};
  if (rule.retryAfter !== undefined) headers['Retry-After'] = rule.retryAfter;
  if (rule.kind === 'throttle') {
    const e = THROTTLE_ERRORS[rule.limit];
    return jsonResponse(429, { error: { code: e.code, message: e.message } }, headers);
  }
  return new Response('Service Unavailable', { status: 503, headers: { 'Content-Type': 'text/plain', ...headers } });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function lostResponse(state: SimState, request: Request, rule: FaultRule): Response {
  if (rule.mode === '504') return new Response('Gateway Timeout', { status: 504, headers: { 'Content-Type': 'text/plain' } });
  return dropConnection(state.connections, request);
}

export async function handleWebApi(state: SimState, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const method = request.method.toUpperCase();
  const match = matchOrg(state, url);
  const started = state.clock.now();
  const pathAndQuery = `${url.pathname}${url.search}`;
  if (match === undefined) return jsonResponse(404, { error: { code: DV.resourceNotFound, message: `Resource not found for the segment '${url.pathname}'.` } });
  if (match === 'unknown-org') {
    return jsonResponse(404, { error: { code: DV.unknownOrganization, message: `The organization '${url.pathname.split('/')[1] || url.hostname.split('.')[0]}' does not exist.` } });
  }
  const fault = { target: 'webapi' as const, method, path: pathAndQuery };
  for (const rule of state.faults.take(fault, ['latency'])) await sleep(rule.latencyMs ?? 0);
  const reset = state.faults.take(fault, ['reset'])[0];
  if (reset) return lostResponse(state, request, { ...reset, mode: 'reset' });
  const failing = state.faults.take(fault, ['throttle', 'unavailable'])[0];
  if (failing) {
    logRequest(state, { at: started, method, path: pathAndQuery, status: failing.kind === 'throttle' ? 429 : 503 });
    return faultResponse(failing);
  }
  if (state.faults.take(fault, ['unauthorized'])[0]) {
    // The credential presented is refused, as Dataverse refuses a revoked or expired token.
    logRequest(state, { at: started, method, path: pathAndQuery, status: 401 });
    return challenge(state, url.origin, 'The access token is invalid');
  }
  const origin = url.origin;
  let actor: Actor | undefined;
  let response: Response;
  try {
    const caller = resolveCaller(state, request, origin, (aud) => acceptAudience(aud, origin, match.orgPath));
    if (!caller.ok) {
      response = caller.response;
    } else {
      actor = caller.actor;
      const ctx = makeContext(state, actor, `${origin}${match.orgPath}/api/data/${match.version}/`, match.version);
      response = method === 'GET'
        ? await route(ctx, state, request, url, match, origin)
        : await state.writeLock.run(() => route(ctx, state, request, url, match, origin));
    }
  } catch (err) {
    if (err instanceof ODataError) response = errorResponse(err);
    else response = jsonResponse(500, { error: { code: DV.unexpected, message: `An unexpected error occurred: ${(err as Error).message}` } });
  }
  if (method !== 'GET' && response.status < 400) {
    const lose = state.faults.take(fault, ['lose-response'])[0];
    if (lose) response = lostResponse(state, request, lose);
  }
  logRequest(state, { at: started, method, path: pathAndQuery, status: response.status, ...(actor ? { callerId: actor.callerId, userId: actor.userId } : {}) });
  return response;
}

function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ODataError(400, DV.badRequestSyntax, `The request URI is not valid: malformed percent-encoding in '${text}'.`);
  }
}

function acceptAudience(aud: string, origin: string, orgPath: string): boolean {
  const a = aud.replace(/\/+$/, '').toLowerCase();
  return a === origin.toLowerCase() || a === `${origin}${orgPath}`.toLowerCase();
}

export function makeContext(state: SimState, actor: Actor, baseUrl: string, version: string): WebApiContext {
  const settings = state.store.get('usersettings', actor.userId);
  const language = typeof settings?.['uilanguageid'] === 'number' ? settings['uilanguageid'] : 1033;
  return {
    metadata: state.metadata,
    store: state.store,
    writes: state.writes,
    privileges: state.privileges,
    directory: state.directory,
    actor,
    now: actor.now,
    baseUrl,
    version,
    language,
    timeZone: ianaZone(settings?.['timezonecode']),
    changeTrackingRetentionMs: state.settings.changeTrackingRetentionSeconds * 1000,
    represent: makeRepresent(state.metadata, state.store),
    json: jsonResponse,
  };
}

async function route(ctx: WebApiContext, state: SimState, request: Request, url: URL, match: OrgMatch, origin: string): Promise<Response> {
  const method = request.method.toUpperCase();
  const rest = decodeSegment(match.rest);
  if (rest === '' && method === 'GET') {
    return ctx.json(200, { '@odata.context': `${ctx.baseUrl}$metadata`, value: state.metadata.entities().map((e) => ({ name: e.entitySetName, kind: 'EntitySet', url: e.entitySetName })) });
  }
  if (rest === '$batch') {
    if (method !== 'POST') throw new ODataError(405, DV.badRequestSyntax, '$batch accepts only POST.');
    return handleBatch(ctx, state, request, (inner) => routeInner(ctx, state, inner, origin, match));
  }
  return routeInner(ctx, state, request, origin, match, url, rest);
}

/** Everything except $batch (also used for the parts of a batch). */
export async function routeInner(ctx: WebApiContext, state: SimState, request: Request, origin: string, match: OrgMatch, urlIn?: URL, restIn?: string): Promise<Response> {
  const url = urlIn ?? new URL(request.url);
  const rest = restIn ?? decodeSegment(url.pathname.replace(API, '$3').slice(1));
  const method = request.method.toUpperCase();
  const fn = /^([A-Za-z]+)(?:\((.*)\))?$/.exec(rest);
  if (fn?.[1] === 'WhoAmI' && method === 'GET') return whoAmI(ctx);
  if (fn?.[1] === 'RetrieveVersion' && method === 'GET') return retrieveVersion(ctx);
  if (fn?.[1] === 'RetrieveCurrentOrganization' && method === 'GET') return retrieveCurrentOrganization(ctx, origin, match.orgPath, fn[2], aliasesOf(url.searchParams));
  if ((fn?.[1] === 'GrantAccess' || fn?.[1] === 'ModifyAccess' || fn?.[1] === 'RevokeAccess') && method === 'POST') {
    const text = await request.text();
    let body: unknown;
    try { body = JSON.parse(text || '{}'); } catch { throw new ODataError(400, DV.badRequestSyntax, 'The request body is not valid JSON.'); }
    return fn[1] === 'GrantAccess' ? grantAccess(ctx, body) : fn[1] === 'ModifyAccess' ? modifyAccess(ctx, body) : revokeAccess(ctx, body);
  }
  if (rest === '$metadata' && method === 'GET') return metadataDocument(ctx);
  // Before the plain form: `EntityDefinitions(…)/Attributes(…)` also ends with ')'.
  const definitionPath = /^EntityDefinitions\(([^)]*)\)\/(.+)$/.exec(rest);
  if (definitionPath?.[1] !== undefined && definitionPath[2] !== undefined && method === 'GET') return entityDefinitionPath(ctx, url, definitionPath[1], definitionPath[2]);
  if (fn?.[1] === 'EntityDefinitions' && method === 'GET') return entityDefinitions(ctx, url, fn[2]);
  if (fn?.[1] === 'ImportSolution' && fn[2] === undefined && method === 'POST') return importSolutionAction(ctx, state, request);
  if ((fn?.[1] === 'PublishAllXml' || fn?.[1] === 'PublishXml') && fn[2] === undefined && method === 'POST') return publishAction(ctx, request, fn[1] === 'PublishAllXml');
  const privileges = /^systemusers\(([0-9a-fA-F-]{36})\)\/Microsoft\.Dynamics\.CRM\.RetrieveUserPrivileges(?:\(\))?$/.exec(rest);
  if (privileges?.[1] && method === 'GET') return retrieveUserPrivileges(ctx, privileges[1]);
  const count = /^([A-Za-z_][A-Za-z0-9_]*)\/\$count$/.exec(rest);
  const counted = count?.[1] ? state.metadata.entityBySet(count[1]) : undefined;
  if (counted && method === 'GET') return handleCount(ctx, url, counted);
  if (isAssociation(rest)) return handleAssociation(ctx, request, url, rest);
  const set = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$/.exec(rest);
  const entity = set?.[1] ? state.metadata.entityBySet(set[1]) : undefined;
  if (!entity || !set) {
    throw new ODataError(404, DV.resourceNotFound, `Resource not found for the segment '${rest.split('/')[0] ?? rest}'.`);
  }
  return handleEntitySet(ctx, request, url, entity, set[2]);
}

