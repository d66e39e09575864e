// The system query options of a collection or record request, checked against the entity's
// attributes the way Dataverse checks them (an unknown property is a 400, not ignored).
import { DV, ODataError } from '../errors.ts';
import type { EntityDefinition } from '../metadata.ts';
import { webApiName } from '../records.ts';
import { aliasValue, filterProperties, parseFilter, type Aliases, type FilterNode } from './filter.ts';

export interface OrderBy {
  property: string;
  descending: boolean;
}

export interface QueryOptions {
  select?: string[];
  filter?: FilterNode;
  top?: number;
  orderBy: OrderBy[];
  count: boolean;
  skipToken?: string;
  deltaToken?: string;
  /** The raw `$expand`; resolved against the metadata by resolveExpand (odata/expand.ts). */
  expand?: string;
  /** The request's parameter aliases, for the options parsed later (`$expand`). */
  aliases: Aliases;
}

const KNOWN = new Set(['$select', '$filter', '$top', '$orderby', '$count', '$skiptoken', '$deltatoken', '$expand', '$apply', '$skip', '$search']);

export function unknownProperty(entity: EntityDefinition, name: string): ODataError {
  return new ODataError(400, DV.badRequestSyntax, `Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${entity.logicalName}'.`);
}

/** Web API property names of an entity (lookups as `_x_value`). */
export function apiProperties(entity: EntityDefinition): Set<string> {
  return new Set(Object.entries(entity.attributes).map(([n, a]) => webApiName(n, a)));
}

/**
 * Parses the query options; `aliases` are the request's parameter aliases (`@p1=…`), which
 * Dataverse accepts in `$filter` and `$orderby`
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/overview#parameter-aliases).
 */
export function parseQuery(entity: EntityDefinition, params: URLSearchParams, aliases: Aliases = new Map()): QueryOptions {
  const props = apiProperties(entity);
  for (const key of params.keys()) {
    if (key.startsWith('$') && !KNOWN.has(key)) {
      throw new ODataError(400, DV.badRequestSyntax, `The query parameter '${key}' is not supported.`);
    }
  }
  for (const unsupported of ['$apply', '$skip', '$search']) {
    if (params.has(unsupported)) {
      // $skip is refused by real Dataverse too; $apply/$search are outside what the bridge uses.
      throw new ODataError(400, DV.badRequestSyntax, unsupported === '$skip'
        ? "The query parameter $skip is not supported"
        : `The query parameter ${unsupported} is not supported by the simulated Dataverse.`);
    }
  }
  const out: QueryOptions = { orderBy: [], count: false, aliases };
  const select = params.get('$select');
  if (select !== null) {
    out.select = select.split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const s of out.select) if (!props.has(s)) throw unknownProperty(entity, s);
  }
  const filter = params.get('$filter');
  if (filter !== null) {
    out.filter = parseFilter(filter, aliases);
    for (const p of filterProperties(out.filter)) if (!props.has(p)) throw unknownProperty(entity, p);
  }
  const top = params.get('$top');
  if (top !== null) {
    if (!/^\d+$/.test(top) || Number(top) > 2147483647) throw new ODataError(400, DV.badRequestSyntax, `Invalid value '${top}' for $top query option found. The $top query option requires a non-negative integer value.`);
    out.top = Number(top);
  }
  const orderBy = params.get('$orderby');
  if (orderBy !== null) {
    for (const part of orderBy.split(',')) {
      const m = /^\s*(@?[A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/.exec(part);
      if (!m?.[1]) throw new ODataError(400, DV.badRequestSyntax, `Syntax error in $orderby '${orderBy}'.`);
      if (m[1].startsWith('@')) m[1] = aliasValue(aliases, m[1].slice(1)).trim();
      if (!props.has(m[1])) throw unknownProperty(entity, m[1]);
      out.orderBy.push({ property: m[1], descending: m[2] === 'desc' });
    }
  }
  const count = params.get('$count');
  if (count !== null) {
    if (count !== 'true' && count !== 'false') throw new ODataError(400, DV.badRequestSyntax, `'${count}' is not a valid count option.`);
    out.count = count === 'true';
  }
  const skipToken = params.get('$skiptoken');
  if (skipToken !== null) out.skipToken = skipToken;
  const deltaToken = params.get('$deltatoken');
  if (deltaToken !== null) out.deltaToken = deltaToken;
  const expand = params.get('$expand');
  if (expand !== null && expand.trim() !== '') out.expand = expand;
  return out;
}

export interface Preferences {
  returnRepresentation: boolean;
  maxPageSize?: number;
  annotations?: Set<string> | '*';
  trackChanges: boolean;
}

/** Parses `Prefer` (one or several headers joined by commas). */
export function parsePrefer(header: string | null): Preferences {
  const out: Preferences = { returnRepresentation: false, trackChanges: false };
  if (!header) return out;
  // Values may be quoted lists with commas: odata.include-annotations="a,b".
  for (const raw of header.match(/(?:[^,"]+|"[^"]*")+/g) ?? []) {
    const part = raw.trim();
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq).trim();
    const value = eq < 0 ? undefined : part.slice(eq + 1).trim();
    switch (name.toLowerCase()) {
      case 'return':
        out.returnRepresentation = value === 'representation';
        break;
      case 'odata.maxpagesize': {
        const n = Number(value);
        if (Number.isInteger(n) && n > 0) out.maxPageSize = n;
        break;
      }
      case 'odata.include-annotations': {
        const v = (value ?? '').replace(/^"|"$/g, '');
        if (v === '*') out.annotations = '*';
        else if (v !== '') out.annotations = new Set(v.split(/\s*,\s*/));
        break;
      }
      case 'odata.track-changes':
        out.trackChanges = true;
        break;
      default:
        break;
    }
  }
  return out;
}
