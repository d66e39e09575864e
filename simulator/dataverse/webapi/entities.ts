// Requests on one entity set or one record: GET (query or retrieve), POST (create), PATCH
// (update or upsert, by id or alternate key), DELETE.
import { DV, ODataError } from '../errors.ts';
import type { EntityDefinition } from '../metadata.ts';
import { contextSelection, resolveExpand } from '../odata/expand.ts';
import { aliasesOf } from '../odata/filter.ts';
import { parsePrefer, parseQuery, unknownProperty, type Preferences } from '../odata/query.ts';
import { convertValue, etagOf, isGuid } from '../records.ts';
import type { StoredRecord, StoredValue } from '../store.ts';
import { notFound } from '../writes.ts';
import { countCollection, queryCollection } from './collection.ts';
import { odataHeaders, type WebApiContext } from './context.ts';
import { addExpansions, demandExpandReads } from './expand.ts';

export type KeySpec = { id: string } | { alternate: Record<string, StoredValue> };

/** Parses the text inside `set(…)`: a GUID, or `name='v',other=1` for an alternate key. */
export function parseKey(entity: EntityDefinition, text: string): KeySpec {
  const t = text.trim();
  if (isGuid(t)) return { id: t.toLowerCase() };
  const values: Record<string, StoredValue> = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('(?:[^']|'')*'|[^,]+)\s*(,|$)/y;
  let pos = 0;
  while (pos < t.length) {
    re.lastIndex = pos;
    const m = re.exec(t);
    if (!m?.[1] || m[2] === undefined) throw new ODataError(400, DV.badRequestSyntax, `Bad Request - Error in query syntax: invalid key '${t}'.`);
    const name = m[1];
    const raw = m[2].trim();
    const lookup = /^_(.+)_value$/.exec(name);
    const attrName = lookup?.[1] ?? name;
    const attr = entity.attributes[attrName];
    if (!attr) throw unknownProperty(entity, name);
    if (raw.startsWith("'")) values[attrName] = raw.slice(1, -1).replace(/''/g, "'");
    else if (isGuid(raw)) values[attrName] = raw.toLowerCase();
    else if (/^-?\d+(\.\d+)?$/.test(raw)) values[attrName] = Number(raw);
    else throw new ODataError(400, DV.badRequestSyntax, `Bad Request - Error in query syntax: invalid key value '${raw}'.`);
    if (attr.type !== 'lookup' && typeof values[attrName] === 'string' && attr.type === 'uniqueidentifier') values[attrName] = convertValue(entity, attrName, attr, values[attrName]);
    pos = re.lastIndex;
  }
  const names = Object.keys(values).sort();
  if (names.length === 1 && names[0] === entity.primaryIdAttribute) return { id: String(values[entity.primaryIdAttribute]) };
  const key = entity.alternateKeys.find((k) => [...k.attributes].sort().join(',') === names.join(','));
  if (!key) {
    throw new ODataError(400, DV.badRequestSyntax, `The key '${t}' does not match any alternate key defined for entity '${entity.logicalName}'. Defined keys: ${entity.alternateKeys.map((k) => k.attributes.join('+')).join('; ') || 'none'}.`);
  }
  return { alternate: values };
}

/** `Preference-Applied` for the annotations a read honoured (retrieve-entity-using-web-api). */
function annotationsApplied(prefer: Preferences): Record<string, string> {
  if (!prefer.annotations) return {};
  return { 'Preference-Applied': `odata.include-annotations="${prefer.annotations === '*' ? '*' : [...prefer.annotations].join(',')}"` };
}

/** `GET set/$count[?$filter=…|$deltatoken=…]`: the number as plain text. */
export function handleCount(ctx: WebApiContext, url: URL, entity: EntityDefinition): Response {
  ctx.writes.demand('Read', entity, ctx.actor);
  return countCollection(ctx, entity, parseQuery(entity, url.searchParams, aliasesOf(url.searchParams)));
}

function entityIdUrl(ctx: WebApiContext, entity: EntityDefinition, id: string): string {
  return `${ctx.baseUrl}${entity.entitySetName}(${id})`;
}

async function readBody(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ODataError(400, DV.badRequestSyntax, 'The request body is not valid JSON.');
  }
}

function resolveId(ctx: WebApiContext, entity: EntityDefinition, key: KeySpec): { id: string; record: StoredRecord | undefined } {
  if ('id' in key) return { id: key.id, record: ctx.store.get(entity.logicalName, key.id) };
  const record = ctx.writes.findByKey(entity, key.alternate);
  return { id: record ? String(record[entity.primaryIdAttribute]) : '', record };
}

function written(ctx: WebApiContext, entity: EntityDefinition, record: StoredRecord, created: boolean, representation: boolean, select: string[] | undefined): Response {
  const id = String(record[entity.primaryIdAttribute]);
  const headers: Record<string, string> = { 'OData-EntityId': entityIdUrl(ctx, entity, id) };
  if (representation) {
    const body = { '@odata.context': `${ctx.baseUrl}$metadata#${entity.entitySetName}/$entity`, ...ctx.represent(entity, record, { select }) };
    return ctx.json(created ? 201 : 200, body, { ...headers, 'Preference-Applied': 'return=representation', ETag: etagOf(record) });
  }
  return new Response(null, { status: 204, headers: odataHeaders(headers) });
}

export async function handleEntitySet(ctx: WebApiContext, request: Request, url: URL, entity: EntityDefinition, keyText: string | undefined): Promise<Response> {
  const method = request.method.toUpperCase();
  const prefer = parsePrefer(request.headers.get('prefer'));
  if (keyText === undefined) {
    if (method === 'GET') {
      ctx.writes.demand('Read', entity, ctx.actor);
      return queryCollection(ctx, entity, parseQuery(entity, url.searchParams, aliasesOf(url.searchParams)), prefer, url);
    }
    if (method === 'POST') {
      const select = parseQuery(entity, url.searchParams).select;
      const body = await readBody(request);
      const record = ctx.writes.create(entity, body, ctx.actor);
      return written(ctx, entity, record, true, prefer.returnRepresentation, select);
    }
    throw new ODataError(405, DV.badRequestSyntax, `The HTTP method '${method}' is not allowed on entity set '${entity.entitySetName}'.`);
  }
  const key = parseKey(entity, keyText);
  if (method === 'GET') {
    ctx.writes.demand('Read', entity, ctx.actor);
    const query = parseQuery(entity, url.searchParams, aliasesOf(url.searchParams));
    const expand = query.expand === undefined ? [] : resolveExpand(ctx.metadata, entity, query.expand, query.aliases);
    demandExpandReads(ctx, expand);
    const { id, record } = resolveId(ctx, entity, key);
    if (!record) throw 'id' in key ? notFound(entity, id) : new ODataError(404, DV.objectDoesNotExist, `A record with the specified key values does not exist in ${entity.logicalName} entity`);
    ctx.writes.demandRecord('Read', entity, record, ctx.actor);
    const ifNoneMatch = request.headers.get('if-none-match');
    if (ifNoneMatch && ifNoneMatch === etagOf(record)) return new Response(null, { status: 304, headers: odataHeaders({ ETag: etagOf(record) }) });
    const repr = { select: query.select, annotations: prefer.annotations, language: ctx.language, timeZone: ctx.timeZone };
    const row = ctx.represent(entity, record, repr);
    addExpansions(ctx, entity, record, row, expand, repr);
    const body = { '@odata.context': `${ctx.baseUrl}$metadata#${entity.entitySetName}${contextSelection(query.select, expand)}/$entity`, ...row };
    return ctx.json(200, body, { ETag: etagOf(record), ...annotationsApplied(prefer) });
  }
  if (method === 'PATCH') {
    const select = parseQuery(entity, url.searchParams).select;
    const body = await readBody(request);
    const { id, record } = resolveId(ctx, entity, key);
    const headers = { ifMatch: request.headers.get('if-match') ?? undefined, ifNoneMatch: request.headers.get('if-none-match') ?? undefined };
    if (record) {
      const result = ctx.writes.upsert(entity, id, body, ctx.actor, headers);
      return written(ctx, entity, result.record, false, prefer.returnRepresentation, select);
    }
    if ('alternate' in key) {
      // Upsert by alternate key: the key values become attributes of the new record.
      if (headers.ifMatch !== undefined) throw new ODataError(404, DV.objectDoesNotExist, `A record with the specified key values does not exist in ${entity.logicalName} entity`);
      const merged: Record<string, unknown> = { ...(body as Record<string, unknown>) };
      for (const [k, v] of Object.entries(key.alternate)) merged[k] = v;
      const created = ctx.writes.create(entity, merged, ctx.actor);
      return written(ctx, entity, created, true, prefer.returnRepresentation, select);
    }
    const result = ctx.writes.upsert(entity, id, body, ctx.actor, headers);
    return written(ctx, entity, result.record, result.created, prefer.returnRepresentation, select);
  }
  if (method === 'DELETE') {
    const { id, record } = resolveId(ctx, entity, key);
    if (!record) throw 'id' in key ? notFound(entity, id) : new ODataError(404, DV.objectDoesNotExist, `A record with the specified key values does not exist in ${entity.logicalName} entity`);
    ctx.writes.delete(entity, id, ctx.actor, request.headers.get('if-match') ?? undefined);
    return new Response(null, { status: 204, headers: odataHeaders() });
  }
  throw new ODataError(405, DV.badRequestSyntax, `The HTTP method '${method}' is not allowed on a single record.`);
}
