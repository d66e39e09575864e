// OData v4 text helpers: query strings, record keys, literals, error bodies
// and the entity id header. Pure functions.
import type { Query, RecordKey } from './types.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** Lower-case GUID without braces, or undefined when the text is not one. */
export function normalizeGuid(value: string): string | undefined {
  const bare = value.trim().replace(/^\{(.*)\}$/, '$1');
  return isGuid(bare) ? bare.toLowerCase() : undefined;
}

/** An OData string literal: single quotes doubled. */
export function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A GUID literal for $filter (unquoted in OData v4); rejects anything that is not a GUID. */
export function odataGuid(value: string): string {
  const guid = normalizeGuid(value);
  if (guid === undefined) throw new TypeError(`not a GUID: ${JSON.stringify(value).slice(0, 60)}`);
  return guid;
}

/** `(id)` or `(key1='v',key2=3)` after an entity set name. */
export function formatKey(key: RecordKey): string {
  if (typeof key === 'string') return `(${odataGuid(key)})`;
  const parts = Object.entries(key).map(([name, value]) =>
    `${name}=${typeof value === 'number' ? String(value) : encodeURIComponent(odataString(value))}`);
  if (parts.length === 0) throw new TypeError('an alternate key needs at least one value');
  return `(${parts.join(',')})`;
}

/** `?$select=…&$filter=…` (empty when no option is set). Values are percent-encoded. */
export function formatQuery(query: Query | undefined): string {
  if (query === undefined) return '';
  const parts: string[] = [];
  if (query.select !== undefined && query.select.length > 0) parts.push(`$select=${query.select.map(encodeURIComponent).join(',')}`);
  if (query.filter !== undefined && query.filter !== '') parts.push(`$filter=${encodeURIComponent(query.filter)}`);
  if (query.orderby !== undefined && query.orderby !== '') parts.push(`$orderby=${encodeURIComponent(query.orderby)}`);
  if (query.top !== undefined) parts.push(`$top=${Math.max(0, Math.floor(query.top))}`);
  if (query.expand !== undefined && query.expand !== '') parts.push(`$expand=${encodeURIComponent(query.expand)}`);
  if (query.count === true) parts.push('$count=true');
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

export interface ODataErrorBody {
  readonly code?: string;
  readonly message?: string;
}

/** The `{"error":{"code","message"}}` body of a failed request, if the body is one. */
export function parseODataError(body: string): ODataErrorBody {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
      const error = (parsed as { error: unknown }).error;
      if (typeof error === 'object' && error !== null) {
        const { code, message } = error as { code?: unknown; message?: unknown };
        return {
          code: typeof code === 'string' ? code : undefined,
          message: typeof message === 'string' ? message : undefined,
        };
      }
    }
  } catch {
    // not JSON: an HTML error page from a proxy, IIS or a load balancer
  }
  return {};
}

/** The id in `OData-EntityId: https://…/contacts(00000000-…)`. */
export function entityIdFromHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /\(([0-9a-fA-F-]{36})\)\s*$/.exec(header);
  return match?.[1] === undefined ? undefined : match[1].toLowerCase();
}

/** Keeps personal data (filter values) out of errors and logs: method and path only. */
export function describeRequest(method: string, url: string): string {
  try {
    const parsed = new URL(url);
    return `${method} ${parsed.pathname}`;
  } catch {
    return method;
  }
}
