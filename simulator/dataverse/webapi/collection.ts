// Reading an entity set: filter, order, page (Prefer: odata.maxpagesize → @odata.nextLink with
// an opaque $skiptoken), count, and change tracking (Prefer: odata.track-changes →
// @odata.deltaLink; a delta request returns changed rows and $deletedEntity entries).
import { DV, ODataError } from '../errors.ts';
import type { EntityDefinition } from '../metadata.ts';
import { contextSelection, resolveExpand } from '../odata/expand.ts';
import { evaluate } from '../odata/filter.ts';
import type { Preferences, QueryOptions } from '../odata/query.ts';
import { wantsAnnotation, type RepresentationOptions } from '../records.ts';
import type { StoredRecord } from '../store.ts';
import { odataHeaders, type WebApiContext } from './context.ts';
import { addExpansions, demandExpandReads } from './expand.ts';
import { compareValues, propertyValue } from './values.ts';


export const DEFAULT_PAGE_SIZE = 5000;
const COUNT_LIMIT = 5000;

type SortValue = ReturnType<typeof propertyValue>;

interface Cursor {
  keys: SortValue[];
  id: string;
}

function encodeSkipToken(page: number, cursor: Cursor): string {
  const cookie = Buffer.from(JSON.stringify(cursor)).toString('base64url');
  return `<cookie pagenumber="${page}" pagingcookie="${cookie}" istracking="False" />`;
}

function decodeSkipToken(token: string): { page: number; cursor: Cursor } {
  const m = /^<cookie pagenumber="(\d+)" pagingcookie="([A-Za-z0-9_-]+)" istracking="False" \/>$/.exec(token);
  try {
    if (!m?.[1] || !m[2]) throw new Error('shape');
    const cursor = JSON.parse(Buffer.from(m[2], 'base64url').toString('utf8')) as Cursor;
    if (!Array.isArray(cursor.keys) || typeof cursor.id !== 'string') throw new Error('shape');
    return { page: Number(m[1]), cursor };
  } catch {
    throw new ODataError(400, DV.invalidArgument, 'The paging cookie is invalid or was not produced by this server.');
  }
}

export function queryCollection(ctx: WebApiContext, entity: EntityDefinition, query: QueryOptions, prefer: Preferences, requestUrl: URL): Response {
  const delta = query.deltaToken !== undefined;
  if ((prefer.trackChanges || delta) && !entity.changeTracking) {
    throw new ODataError(400, DV.changeTrackingDisabled, `The entity '${entity.logicalName}' is not enabled for change tracking. Enable change tracking on the table to use odata.track-changes or delta links.`);
  }
  if (prefer.trackChanges || delta) {
    // The message Dataverse documents (use-change-tracking-synchronize-data-external-systems).
    const used = query.filter ? 'filter' : query.orderBy.length > 0 ? 'orderby' : query.expand !== undefined ? 'expand' : query.top !== undefined ? 'top' : query.count ? 'count' : undefined;
    if (used) throw new ODataError(400, DV.badRequestSyntax, `The "${used}" query parameter isn't supported when Change Tracking is enabled.`);
  }
  const expand = query.expand === undefined ? [] : resolveExpand(ctx.metadata, entity, query.expand, query.aliases);
  demandExpandReads(ctx, expand);
  const repr: RepresentationOptions = { select: query.select, annotations: prefer.annotations, language: ctx.language, timeZone: ctx.timeZone };
  const contextUrl = `${ctx.baseUrl}$metadata#${entity.entitySetName}${contextSelection(query.select, expand)}`;
  if (delta) return deltaResponse(ctx, entity, query, repr, requestUrl, contextUrl);

  const filtered = matching(ctx, entity, query);
  const order = [...query.orderBy];
  const keyOf = (r: StoredRecord): SortValue[] => order.map((o) => propertyValue(entity, r, o.property));
  const idOf = (r: StoredRecord): string => String(r[entity.primaryIdAttribute]);
  const cmp = (ka: SortValue[], ida: string, kb: SortValue[], idb: string): number => {
    for (let i = 0; i < order.length; i += 1) {
      const c = compareValues(ka[i] ?? null, kb[i] ?? null);
      if (c !== 0) return order[i]?.descending ? -c : c;
    }
    return ida < idb ? -1 : ida > idb ? 1 : 0;
  };
  filtered.sort((a, b) => cmp(keyOf(a), idOf(a), keyOf(b), idOf(b)));

  let start = 0;
  let pageNumber = 1;
  if (query.skipToken !== undefined) {
    const { page, cursor } = decodeSkipToken(query.skipToken);
    pageNumber = page;
    // Keyset paging: the next page starts after the last row served, so rows created or
    // deleted between pages neither repeat nor shift the rest.
    start = filtered.findIndex((r) => cmp(keyOf(r), idOf(r), cursor.keys, cursor.id) > 0);
    if (start < 0) start = filtered.length;
  }
  const limit = query.top !== undefined ? Math.min(query.top, DEFAULT_PAGE_SIZE) : (prefer.maxPageSize ?? DEFAULT_PAGE_SIZE);
  const page = filtered.slice(start, start + limit);
  const body: Record<string, unknown> = { '@odata.context': contextUrl };
  if (query.count) body['@odata.count'] = Math.min(filtered.length, COUNT_LIMIT);
  // count-rows: -1 without $count=true; with it the count up to 5,000 and whether there are more.
  if (wantsAnnotation(repr, 'Microsoft.Dynamics.CRM.totalrecordcount')) body['@Microsoft.Dynamics.CRM.totalrecordcount'] = query.count ? Math.min(filtered.length, COUNT_LIMIT) : -1;
  if (wantsAnnotation(repr, 'Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded')) body['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded'] = query.count && filtered.length > COUNT_LIMIT;
  body['value'] = page.map((r) => {
    const row = ctx.represent(entity, r, repr);
    addExpansions(ctx, entity, r, row, expand, repr);
    return row;
  });
  const more = query.top === undefined && start + limit < filtered.length;
  const last = page[page.length - 1];
  if (more && last) {
    body['@odata.nextLink'] = withQuery(requestUrl, { $skiptoken: encodeSkipToken(pageNumber + 1, { keys: keyOf(last), id: idOf(last) }) });
  } else if (prefer.trackChanges) {
    body['@odata.deltaLink'] = deltaLink(ctx, entity, query, requestUrl);
  }
  const applied: string[] = [];
  if (prefer.maxPageSize !== undefined && query.top === undefined) applied.push(`odata.maxpagesize=${prefer.maxPageSize}`);
  if (prefer.annotations) applied.push(`odata.include-annotations="${prefer.annotations === '*' ? '*' : [...prefer.annotations].join(',')}"`);
  if (prefer.trackChanges) applied.push('odata.track-changes');
  return ctx.json(200, body, applied.length > 0 ? { 'Preference-Applied': applied.join(',') } : {});
}

/** The records of a query's `$filter` (all when there is none), unordered. */
function matching(ctx: WebApiContext, entity: EntityDefinition, query: QueryOptions): StoredRecord[] {
  // Rows the caller may not read are left out, as Dataverse's queries do (no error).
  const readable = ctx.writes.readable(entity, ctx.actor);
  const out: StoredRecord[] = [];
  for (const r of ctx.store.all(entity.logicalName)) {
    if (readable(r) && (!query.filter || evaluate(query.filter, (p) => propertyValue(entity, r, p)))) out.push(r);
  }
  return out;
}

/**
 * `set/$count`: the number as plain text, capped at 5,000 like `$count=true`; with a
 * `$deltatoken` the number of changes since it (count-rows; change tracking docs).
 */
export function countCollection(ctx: WebApiContext, entity: EntityDefinition, query: QueryOptions): Response {
  let n: number;
  if (query.deltaToken !== undefined) {
    if (!entity.changeTracking) throw new ODataError(400, DV.changeTrackingDisabled, `The entity '${entity.logicalName}' is not enabled for change tracking.`);
    n = changesSince(ctx, entity, query.deltaToken).length;
  } else {
    n = Math.min(matching(ctx, entity, query).length, COUNT_LIMIT);
  }
  const headers = odataHeaders({ 'Content-Type': 'text/plain' });
  return new Response(String(n), { status: 200, headers });
}

/** Dataverse's delta token: `<row version>!<MM/dd/yyyy HH:mm:ss>` (UTC). */
export function makeDeltaToken(version: number, ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${version}!${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function parseDeltaToken(token: string): { version: number; issuedAt: number } {
  const m = /^(\d+)!(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(token);
  if (!m) throw new ODataError(400, DV.invalidArgument, `The delta token '${token}' is not valid.`);
  const [, v, mo, d, y, h, mi, s] = m.map(Number) as number[];
  return { version: v ?? 0, issuedAt: Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s) };
}

/**
 * The request URL with some query options replaced, written the way Dataverse writes links:
 * option names keep their `$`, values are percent-encoded.
 */
function withQuery(url: URL, replace: Record<string, string>, keep: (name: string) => boolean = () => true): string {
  const params: [string, string][] = [...url.searchParams].filter(([k]) => !(k in replace) && keep(k));
  params.push(...Object.entries(replace));
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ',').replace(/!/g, '%21')}`).join('&');
  return `${url.origin}${url.pathname}${query ? `?${query}` : ''}`;
}

function deltaLink(ctx: WebApiContext, entity: EntityDefinition, query: QueryOptions, requestUrl: URL): string {
  const base = new URL(`${ctx.baseUrl}${entity.entitySetName}`);
  if (query.select) base.searchParams.set('$select', query.select.join(','));
  void requestUrl;
  return withQuery(base, { $deltatoken: makeDeltaToken(ctx.store.currentVersion(), ctx.now) });
}

/** Changed records (by version) followed by deletion entries since a delta token. */
function changesSince(ctx: WebApiContext, entity: EntityDefinition, token: string): ({ kind: 'changed'; record: StoredRecord } | { kind: 'deleted'; id: string })[] {
  const { version, issuedAt } = parseDeltaToken(token);
  if (ctx.now - issuedAt > ctx.changeTrackingRetentionMs || version > ctx.store.currentVersion()) {
    throw new ODataError(400, DV.invalidDeltaToken, 'Version stamp associated with the client has expired. Please perform a full sync.');
  }
  const changed: StoredRecord[] = [];
  const readable = ctx.writes.readable(entity, ctx.actor);
  for (const r of ctx.store.all(entity.logicalName)) if (Number(r['versionnumber'] ?? 0) > version && readable(r)) changed.push(r);
  changed.sort((a, b) => Number(a['versionnumber']) - Number(b['versionnumber']));
  const out: ({ kind: 'changed'; record: StoredRecord } | { kind: 'deleted'; id: string })[] = changed.map((record) => ({ kind: 'changed' as const, record }));
  const live = new Set(changed.map((r) => String(r[entity.primaryIdAttribute])));
  const seen = new Set<string>();
  for (const t of ctx.store.deletionsSince(entity.logicalName, version)) {
    if (live.has(t.id) || ctx.store.get(entity.logicalName, t.id) || seen.has(t.id)) continue;
    seen.add(t.id);
    out.push({ kind: 'deleted', id: t.id });
  }
  return out;
}

function deltaResponse(ctx: WebApiContext, entity: EntityDefinition, query: QueryOptions, repr: RepresentationOptions, requestUrl: URL, contextUrl: string): Response {
  const value = changesSince(ctx, entity, query.deltaToken ?? '').map((c) => (c.kind === 'changed'
    ? ctx.represent(entity, c.record, repr)
    : { '@odata.context': `${ctx.baseUrl}$metadata#${entity.entitySetName}/$deletedEntity`, id: c.id, reason: 'deleted' }));
  return ctx.json(200, {
    '@odata.context': `${contextUrl}/$delta`,
    value,
    '@odata.deltaLink': deltaLink(ctx, entity, query, requestUrl),
  });
}
