// Converting between the Web API's JSON and the store's records: reading a create/update
// payload (types, lengths, read-only attributes, `@odata.bind` lookups, deep-insert children)
// and writing a record back out (`_x_value` lookups, `@odata.etag`, annotations on request).
import { DV, ODataError } from './errors.ts';
import type { AttributeDefinition, EntityDefinition, Metadata } from './metadata.ts';
import { isLookup, type LookupValue, type RecordStore, type StoredRecord, type StoredValue } from './store.ts';
import { isoSeconds } from './clock.ts';

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (s: string): boolean => GUID_RE.test(s);

export interface ParsedPayload {
  values: StoredRecord;
  /** Deep-insert children per one-to-many navigation property. */
  children: { navigation: string; entity: string; referencingAttribute: string; payloads: Record<string, unknown>[] }[];
}

function bad(message: string, code: string = DV.badRequestSyntax): ODataError {
  return new ODataError(400, code, message);
}

/** `/contacts(00000000-…)` or a full URL ending so → the target entity and id. */
export function parseBindReference(metadata: Metadata, ref: string): { entity: EntityDefinition; id: string } | undefined {
  const m = /(?:^|\/)([A-Za-z_][A-Za-z0-9_]*)\(([0-9a-fA-F-]{36})\)$/.exec(ref.trim());
  if (!m?.[1] || !m[2]) return undefined;
  const entity = metadata.entityBySet(m[1]);
  if (!entity || !isGuid(m[2])) return undefined;
  return { entity, id: m[2].toLowerCase() };
}

export function parsePayload(metadata: Metadata, store: RecordStore, entity: EntityDefinition, body: unknown, opts: { allowReadOnly?: boolean } = {}): ParsedPayload {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw bad('The request body must be a JSON object describing an entity.');
  }
  const type = `Microsoft.Dynamics.CRM.${entity.logicalName}`;
  const nav = metadata.navigationOf(entity);
  const values: StoredRecord = {};
  const children: ParsedPayload['children'] = [];
  for (const [key, raw] of Object.entries(body as Record<string, unknown>)) {
    if (key === '@odata.type' || key === '@odata.etag' || key === '@odata.context') continue;
    if (key.endsWith('@odata.bind')) {
      const navName = key.slice(0, -'@odata.bind'.length);
      const lookupNav = nav.get(navName);
      if (!lookupNav) {
        throw bad(`An undeclared property '${navName}' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values.`);
      }
      // Read-only lookups (createdby, modifiedby, owningbusinessunit, …) are server-set: a bind is
      // ignored like a value, so nobody can forge who created or changed a record.
      if (entity.attributes[lookupNav.attribute]?.readOnly && !opts.allowReadOnly) continue;
      if (raw === null) { values[lookupNav.attribute] = null; continue; }
      if (typeof raw !== 'string') throw bad(`The value of '${key}' must be a string such as "/accounts(00000000-0000-0000-0000-000000000001)".`);
      const ref = parseBindReference(metadata, raw);
      const targets = entity.attributes[lookupNav.attribute]?.targets ?? [];
      if (!ref || (!targets.includes('*') && !targets.includes(ref.entity.logicalName))) {
        throw bad(`The URI '${raw}' in '${key}' is not a valid reference to a ${lookupNav.target} record.`);
      }
      if (lookupNav.target !== '*' && ref.entity.logicalName !== lookupNav.target && navName !== 'ownerid') {
        throw bad(`The URI '${raw}' in '${key}' refers to entity set '${ref.entity.entitySetName}', but navigation property '${navName}' expects '${lookupNav.target}'.`);
      }
      if (!store.get(ref.entity.logicalName, ref.id)) {
        throw new ODataError(404, DV.objectDoesNotExist, `${ref.entity.logicalName} With Id = ${ref.id} Does Not Exist`);
      }
      values[lookupNav.attribute] = { id: ref.id, logicalName: ref.entity.logicalName };
      continue;
    }
    const rel = entity.oneToMany.find((r) => r.navigation === key);
    if (rel) {
      if (!Array.isArray(raw) || raw.some((x) => typeof x !== 'object' || x === null)) throw bad(`The value of navigation property '${key}' must be an array of entities.`);
      children.push({ ...rel, payloads: raw as Record<string, unknown>[] });
      continue;
    }
    if (key.includes('@')) continue; // instance annotations on properties are ignored, as Dataverse does
    const attr = entity.attributes[key];
    if (!attr) {
      if (nav.has(key)) throw bad(`A node of type 'PrimitiveValue' was read from the JSON reader when trying to read the contents of the navigation property '${key}'; however, a 'StartObject' node or 'StartArray' node was expected. Use '${key}@odata.bind' to set a lookup.`);
      throw bad(`The property '${key}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type.`);
    }
    if (attr.type === 'lookup') throw bad(`The property '${key}' is a lookup; set it with '${[...nav].find(([, v]) => v.attribute === key)?.[0] ?? key}@odata.bind'.`);
    if (attr.readOnly && !opts.allowReadOnly) continue; // Dataverse ignores values for read-only columns
    values[key] = convertValue(entity, key, attr, raw);
  }
  return { values, children };
}

export function convertValue(entity: EntityDefinition, key: string, attr: AttributeDefinition, raw: unknown): StoredValue {
  const where = `attribute '${key}' of entity '${entity.logicalName}'`;
  if (raw === null) return null;
  switch (attr.type) {
    case 'string':
    case 'memo': {
      if (typeof raw !== 'string') throw bad(`Cannot convert the literal '${String(raw)}' to the expected type 'Edm.String' (${where}).`);
      const max = attr.maxLength ?? (attr.type === 'memo' ? 1048576 : 4000);
      if (raw.length > max) throw new ODataError(400, '0x80044331', `A validation error occurred.  The length of the '${key}' attribute of the '${entity.logicalName}' entity exceeded the maximum allowed length of '${max}'.`);
      return raw;
    }
    case 'int':
    case 'bigint':
    case 'picklist': {
      if (typeof raw !== 'number' || !Number.isInteger(raw)) throw bad(`Cannot convert the literal '${String(raw)}' to the expected type 'Edm.Int32' (${where}).`);
      if (attr.type === 'picklist' && attr.options && !(String(raw) in attr.options)) {
        throw new ODataError(400, DV.invalidArgument, `A validation error occurred. The value ${raw} of '${key}' on record of type '${entity.logicalName}' is outside the valid range. Accepted Values: ${Object.keys(attr.options).join(',')}`);
      }
      return raw;
    }
    case 'decimal':
    case 'money':
    case 'double':
      if (typeof raw !== 'number' || !Number.isFinite(raw)) throw bad(`Cannot convert the literal '${String(raw)}' to the expected type 'Edm.Decimal' (${where}).`);
      return raw;
    case 'boolean':
      if (typeof raw !== 'boolean') throw bad(`Cannot convert the literal '${String(raw)}' to the expected type 'Edm.Boolean' (${where}).`);
      return raw;
    case 'datetime': {
      const ms = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(raw) ? Date.parse(raw) : Number.NaN;
      if (Number.isNaN(ms)) throw bad(`Cannot convert the literal '${String(raw)}' to the expected type 'Edm.DateTimeOffset' (${where}).`);
      return isoSeconds(ms);
    }
    case 'uniqueidentifier':
      if (typeof raw !== 'string' || !isGuid(raw)) throw bad(`Cannot convert the literal '${String(raw)}' to the expected type 'Edm.Guid' (${where}).`);
      return raw.toLowerCase();
    case 'lookup':
      throw bad(`The property '${key}' is a lookup.`);
  }
}

export interface RepresentationOptions {
  select?: readonly string[] | undefined;
  /** Prefer: odata.include-annotations — which annotations to add ("*" or a list). */
  annotations?: ReadonlySet<string> | '*' | undefined;
  /** 1031 for German labels. */
  language?: number;
  /** The user's time zone (IANA name, from usersettings.timezonecode) for formatted date-times; default UTC. */
  timeZone?: string;
  /** Lookup `x` goes out as `_x_value`. */
}

const FORMATTED = 'OData.Community.Display.V1.FormattedValue';
const LOOKUP_NAME = 'Microsoft.Dynamics.CRM.lookuplogicalname';
const NAV_NAME = 'Microsoft.Dynamics.CRM.associatednavigationproperty';

/** Whether `Prefer: odata.include-annotations` asks for the annotation `name`. */
export function wantsAnnotation(opts: RepresentationOptions, name: string): boolean {
  const a = opts.annotations;
  if (!a) return false;
  if (a === '*') return true;
  for (const pattern of a) {
    if (pattern === name) return true;
    if (pattern.endsWith('*') && name.startsWith(pattern.slice(0, -1))) return true;
  }
  return false;
}

/** The Web API name of an attribute: `_x_value` for lookups. */
export function webApiName(name: string, attr: AttributeDefinition): string {
  return attr.type === 'lookup' ? `_${name}_value` : name;
}

export function etagOf(record: StoredRecord): string {
  return `W/"${String(record['versionnumber'] ?? 0)}"`;
}

const apiNames = new WeakMap<EntityDefinition, Map<string, readonly [string, AttributeDefinition]>>();

/** Web API name → [attribute name, definition], computed once per entity. */
function byApiNameOf(entity: EntityDefinition): Map<string, readonly [string, AttributeDefinition]> {
  let map = apiNames.get(entity);
  if (!map) {
    map = new Map(Object.entries(entity.attributes).map(([n, a]) => [webApiName(n, a), [n, a] as const]));
    apiNames.set(entity, map);
  }
  return map;
}

export function represent(metadata: Metadata, store: RecordStore, entity: EntityDefinition, record: StoredRecord, opts: RepresentationOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { '@odata.etag': etagOf(record) };
  const byApiName = byApiNameOf(entity);
  const names = opts.select ?? [...byApiName.keys()];
  const nav = metadata.navigationOf(entity);
  for (const apiName of names) {
    const found = byApiName.get(apiName);
    if (!found) continue;
    const [name, attr] = found;
    const value = record[name] ?? null;
    if (attr.type === 'lookup') {
      const lookup = isLookup(value) ? value : null;
      if (lookup) {
        if (wantsAnnotation(opts, FORMATTED)) out[`${apiName}@${FORMATTED}`] = displayName(metadata, store, lookup);
        if (wantsAnnotation(opts, NAV_NAME)) out[`${apiName}@${NAV_NAME}`] = [...nav].find(([, v]) => v.attribute === name && (v.target === lookup.logicalName || v.target === '*'))?.[0] ?? name;
        if (wantsAnnotation(opts, LOOKUP_NAME)) out[`${apiName}@${LOOKUP_NAME}`] = lookup.logicalName;
      }
      out[apiName] = lookup ? lookup.id : null;
      continue;
    }
    if (value !== null && wantsAnnotation(opts, FORMATTED)) {
      const formatted = formatValue(attr, value, opts.language ?? 1033, opts.timeZone ?? 'UTC');
      if (formatted !== undefined) out[`${apiName}@${FORMATTED}`] = formatted;
    }
    out[apiName] = value;
  }
  out[entity.primaryIdAttribute] = record[entity.primaryIdAttribute] ?? null;
  return out;
}

function displayName(metadata: Metadata, store: RecordStore, lookup: LookupValue): string | null {
  const target = metadata.entity(lookup.logicalName);
  if (!target?.primaryNameAttribute) return null;
  const value = store.get(lookup.logicalName, lookup.id)?.[target.primaryNameAttribute];
  return typeof value === 'string' ? value : null;
}

function formatValue(attr: AttributeDefinition, value: StoredValue, language: number, timeZone: string): string | undefined {
  switch (attr.type) {
    case 'picklist': {
      const labels = language === 1031 ? (attr.labels1031 ?? attr.options) : attr.options;
      return labels?.[String(value)];
    }
    case 'boolean':
      return language === 1031 ? (value ? 'Ja' : 'Nein') : value ? 'Yes' : 'No';
    case 'datetime': {
      // User-local date-times are shown in the user's time zone, as Dataverse formats them.
      const d = localParts(new Date(String(value)), timeZone);
      return language === 1031
        ? `${pad(d.day)}.${pad(d.month)}.${d.year} ${pad(d.hour)}:${pad(d.minute)}`
        : `${d.month}/${d.day}/${d.year} ${((d.hour + 11) % 12) + 1}:${pad(d.minute)} ${d.hour < 12 ? 'AM' : 'PM'}`;
    }
    case 'int':
    case 'bigint':
    case 'decimal':
    case 'double':
      return typeof value === 'number' ? value.toLocaleString(language === 1031 ? 'de-DE' : 'en-US') : undefined;
    case 'money':
      return typeof value === 'number' ? value.toLocaleString(language === 1031 ? 'de-DE' : 'en-US', { style: 'currency', currency: 'EUR' }) : undefined;
    default:
      return undefined;
  }
}

const pad = (n: number): string => String(n).padStart(2, '0');

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** Calendar fields of an instant in an IANA time zone. */
function localParts(d: Date, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number } {
  let f = zoneFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    zoneFormats.set(timeZone, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(d)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts['year'] ?? 0, month: parts['month'] ?? 0, day: parts['day'] ?? 0, hour: parts['hour'] ?? 0, minute: parts['minute'] ?? 0 };
}
