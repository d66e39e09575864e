// Attribute definitions as the Web API shows them
// (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api):
// `EntityDefinitions(…)/Attributes`, `…/Attributes(LogicalName='x')` or `…/Attributes(<MetadataId>)`,
// each optionally cast to its type (`/Microsoft.Dynamics.CRM.PicklistAttributeMetadata`), which
// is what makes the type's own properties (MaxLength, Targets, Precision …) selectable and a
// picklist's `OptionSet` expandable; `…/OptionSet` alone. A query without a cast sees only the
// properties every attribute has, as in Dataverse.
import type { AttributeDefinition, EntityDefinition } from '../metadata.ts';
import { DV, ODataError } from '../errors.ts';
import { aliasesOf, evaluate, filterProperties, parseFilter } from '../odata/filter.ts';
import { nameGuid } from '../seed.ts';
import { odataHeaders, type WebApiContext } from './context.ts';

const TYPE: Record<AttributeDefinition['type'], [code: string, metadataType: string]> = {
  string: ['String', 'StringAttributeMetadata'], memo: ['Memo', 'MemoAttributeMetadata'], int: ['Integer', 'IntegerAttributeMetadata'],
  bigint: ['BigInt', 'BigIntAttributeMetadata'], decimal: ['Decimal', 'DecimalAttributeMetadata'], money: ['Money', 'MoneyAttributeMetadata'],
  double: ['Double', 'DoubleAttributeMetadata'], datetime: ['DateTime', 'DateTimeAttributeMetadata'], boolean: ['Boolean', 'BooleanAttributeMetadata'],
  picklist: ['Picklist', 'PicklistAttributeMetadata'], lookup: ['Lookup', 'LookupAttributeMetadata'], uniqueidentifier: ['Uniqueidentifier', 'UniqueIdentifierAttributeMetadata'],
};

const NS = 'Microsoft.Dynamics.CRM.';

const isCustomName = (entity: EntityDefinition, name: string): boolean => /^[a-z0-9]+_/.test(entity.logicalName) && name.includes('_') && !name.startsWith('_');

function metadataType(name: string, a: AttributeDefinition): string {
  return name === 'ownerid' ? 'LookupAttributeMetadata' : TYPE[a.type][1];
}

function label(text: string, language: number, id: string): Record<string, unknown> {
  const l = { Label: text, LanguageCode: language, IsManaged: true, MetadataId: id, HasChanged: null };
  return { LocalizedLabels: [l], UserLocalizedLabel: l };
}

/** The properties every AttributeMetadata has (what `$expand=Attributes` and an uncast query show). */
export function attributeBase(entity: EntityDefinition, name: string, a: AttributeDefinition): Record<string, unknown> {
  return {
    '@odata.type': `#${NS}${metadataType(name, a)}`,
    MetadataId: nameGuid(`attribute:${entity.logicalName}.${name}`),
    LogicalName: name, SchemaName: name, EntityLogicalName: entity.logicalName,
    AttributeType: name === 'ownerid' ? 'Owner' : TYPE[a.type][0],
    AttributeTypeName: { Value: `${name === 'ownerid' ? 'Owner' : TYPE[a.type][0]}Type` },
    IsCustomAttribute: isCustomName(entity, name),
    IsPrimaryId: name === entity.primaryIdAttribute, IsPrimaryName: name === entity.primaryNameAttribute,
    IsValidForCreate: a.readOnly !== true, IsValidForUpdate: a.readOnly !== true, IsValidForRead: true,
    RequiredLevel: { Value: a.required === true ? 'ApplicationRequired' : a.type === 'uniqueidentifier' && name === entity.primaryIdAttribute ? 'SystemRequired' : 'None', CanBeChanged: true, ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings' },
  };
}

/** The properties of the attribute's own type, visible after a cast. */
function typedProperties(a: AttributeDefinition): Record<string, unknown> {
  switch (a.type) {
    case 'string': return { MaxLength: a.maxLength ?? 4000, Format: 'Text', FormatName: { Value: 'Text' } };
    case 'memo': return { MaxLength: a.maxLength ?? 1048576, Format: 'TextArea' };
    case 'int': return { MinValue: -2147483648, MaxValue: 2147483647, Format: 'None' };
    case 'bigint': return { MinValue: Number.MIN_SAFE_INTEGER, MaxValue: Number.MAX_SAFE_INTEGER };
    case 'decimal': case 'money': return { Precision: 2, MinValue: -100000000000, MaxValue: 100000000000 };
    case 'double': return { Precision: 5, MinValue: -100000000000, MaxValue: 100000000000 };
    case 'datetime': return { Format: 'DateAndTime', DateTimeBehavior: { Value: 'UserLocal' } };
    case 'boolean': return { DefaultValue: a.default === true };
    case 'picklist': return { DefaultFormValue: typeof a.default === 'number' ? a.default : -1 };
    case 'lookup': return { Targets: a.targets ?? [], Format: 'None' };
    case 'uniqueidentifier': return {};
  }
}

/** A picklist's local option set (labels in English, and German where the schema has them). */
export function optionSetJson(entity: EntityDefinition, name: string, a: AttributeDefinition, language: number): Record<string, unknown> {
  const options = Object.entries(a.options ?? {}).map(([value, en]) => {
    const de = a.labels1031?.[value];
    const id = nameGuid(`option:${entity.logicalName}.${name}.${value}`);
    const labels = [{ Label: en, LanguageCode: 1033, IsManaged: true, MetadataId: id, HasChanged: null }];
    if (de !== undefined) labels.push({ Label: de, LanguageCode: 1031, IsManaged: true, MetadataId: id, HasChanged: null });
    const user = labels.find((l) => l.LanguageCode === language) ?? labels[0];
    return { Value: Number(value), Label: { LocalizedLabels: labels, UserLocalizedLabel: user }, Description: { LocalizedLabels: [], UserLocalizedLabel: null }, Color: null, IsManaged: true, MetadataId: null, HasChanged: null };
  });
  return {
    MetadataId: nameGuid(`optionset:${entity.logicalName}.${name}`), Name: `${entity.logicalName}_${name}`,
    OptionSetType: 'Picklist', IsGlobal: false, IsCustomOptionSet: isCustomName(entity, name), IsManaged: true,
    DisplayName: label(name, 1033, nameGuid(`optionset-label:${entity.logicalName}.${name}`)), Options: options,
  };
}

/** Carries an attribute row's definition through filtering to the OptionSet expansion (not serialised). */
const OPTION_KEY = Symbol('attribute');

function notFound(what: string): ODataError {
  return new ODataError(404, DV.resourceNotFound, what);
}

/** `$select` over a metadata row: MetadataId always comes along; an unknown name is a 400 naming the type. */
export function selectRow(row: Record<string, unknown>, select: string | null, type: string): Record<string, unknown> {
  if (select === null || select.trim() === '') return row;
  const out: Record<string, unknown> = row['@odata.type'] === undefined ? {} : { '@odata.type': row['@odata.type'] };
  out['MetadataId'] = row['MetadataId'];
  for (const s of select.split(',').map((x) => x.trim())) {
    if (!(s in row)) throw new ODataError(400, DV.queryBuilderNoAttribute, `Could not find a property named '${s}' on type '${NS}${type}'.`);
    out[s] = row[s];
  }
  return out;
}

/** `$filter` over metadata rows (enum literals, complex paths such as `RequiredLevel/Value`, aliases). */
export function filterRows<T extends Record<string, unknown>>(rows: T[], text: string | null, params: URLSearchParams, type: string): T[] {
  if (text === null || text.trim() === '') return rows;
  const node = parseFilter(text, aliasesOf(params));
  const sample = rows[0] ?? {};
  for (const p of filterProperties(node)) {
    const head = p.split('/')[0] ?? p;
    if (rows.length > 0 && !(head in sample)) throw new ODataError(400, DV.queryBuilderNoAttribute, `Could not find a property named '${head}' on type '${NS}${type}'.`);
  }
  const get = (row: Record<string, unknown>, path: string): string | number | boolean | null => {
    let v: unknown = row;
    for (const part of path.split('/')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[part] : undefined;
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
  };
  return rows.filter((r) => evaluate(node, (p) => get(r, p)));
}

function parseCast(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  if (!segment.startsWith(NS) || !Object.values(TYPE).some(([, t]) => t === segment.slice(NS.length)) && segment !== `${NS}LookupAttributeMetadata`) {
    throw notFound(`Resource not found for the segment '${segment}'.`);
  }
  return segment.slice(NS.length);
}

/** `EntityDefinitions(key)/<tail>`: the Attributes collection, one attribute, a cast, an OptionSet. */
export function attributePath(ctx: WebApiContext, url: URL, entity: EntityDefinition, tail: string): Response {
  const m = /^Attributes(?:\(([^)]*)\))?(?:\/([A-Za-z.]+))?(?:\/(OptionSet|GlobalOptionSet))?$/.exec(tail);
  if (!m) throw notFound(`Resource not found for the segment '${tail.split('/')[0] ?? tail}'.`);
  const [, key, castSegment, optionSet] = m;
  const cast = parseCast(castSegment);
  const entityRef = `${ctx.baseUrl}$metadata#EntityDefinitions(${nameGuid(`entity:${entity.logicalName}`)})`;
  const all = Object.entries(entity.attributes);
  const row = (name: string, a: AttributeDefinition): Record<string, unknown> => (cast === undefined ? attributeBase(entity, name, a) : { ...attributeBase(entity, name, a), ...typedProperties(a) });
  if (key === undefined) {
    if (optionSet !== undefined) throw notFound(`Resource not found for the segment '${optionSet}'.`);
    const typed = cast === undefined ? all : all.filter(([n, a]) => metadataType(n, a) === cast);
    const rows = typed.map(([n, a]) => Object.assign(row(n, a), { [OPTION_KEY]: { n, a } }));
    const value = filterRows(rows, url.searchParams.get('$filter'), url.searchParams, cast ?? 'AttributeMetadata').map((r) => withOptionSet(ctx, entity, r, url, cast));
    return ctx.json(200, { '@odata.context': `${entityRef}/Attributes${cast ? `/${NS}${cast}` : ''}`, value });
  }
  const k = /^LogicalName='([^']*)'$/.exec(key)?.[1] ?? key.toLowerCase();
  const found = all.find(([n]) => n === k || nameGuid(`attribute:${entity.logicalName}.${n}`) === k);
  if (!found) throw notFound(`Could not find attribute with ${key} on entity '${entity.logicalName}'.`);
  const [name, a] = found;
  if (cast !== undefined && metadataType(name, a) !== cast) throw notFound(`The attribute '${name}' is not of type '${NS}${cast}'.`);
  if (optionSet !== undefined) {
    if (cast !== 'PicklistAttributeMetadata') throw notFound(`Resource not found for the segment '${optionSet}'; cast the attribute to ${NS}PicklistAttributeMetadata first.`);
    // A local option set has no global one: the navigation property is empty.
    if (optionSet === 'GlobalOptionSet') return new Response(null, { status: 204, headers: odataHeaders() });
    const os = selectRow(optionSetJson(entity, name, a, ctx.language), url.searchParams.get('$select'), 'OptionSetMetadata');
    return ctx.json(200, { '@odata.context': `${entityRef}/Attributes(${String(attributeBase(entity, name, a)['MetadataId'])})/${NS}${cast}/OptionSet/$entity`, ...os });
  }
  const r = Object.assign(row(name, a), { [OPTION_KEY]: { n: name, a } });
  return ctx.json(200, { '@odata.context': `${entityRef}/Attributes${cast ? `/${NS}${cast}` : ''}/$entity`, ...withOptionSet(ctx, entity, r, url, cast) });
}


/** Applies `$select` and `$expand=OptionSet,GlobalOptionSet` (only after a picklist cast) to one attribute row. */
function withOptionSet(ctx: WebApiContext, entity: EntityDefinition, row: Record<string | symbol, unknown>, url: URL, cast: string | undefined): Record<string, unknown> {
  const src = row[OPTION_KEY] as { n: string; a: AttributeDefinition };
  const out = selectRow(row as Record<string, unknown>, url.searchParams.get('$select'), cast ?? 'AttributeMetadata');
  const expand = url.searchParams.get('$expand');
  if (expand === null || expand.trim() === '') return out;
  for (const item of expand.split(',').map((s) => s.trim())) {
    const m = /^(OptionSet|GlobalOptionSet)(?:\(\$select=([^)]*)\))?$/.exec(item);
    if (!m || cast !== 'PicklistAttributeMetadata') {
      throw new ODataError(400, DV.queryBuilderNoAttribute, `Could not find a property named '${item.split('(')[0] ?? item}' on type '${NS}${cast ?? 'AttributeMetadata'}'.`);
    }
    out[m[1] as string] = m[1] === 'GlobalOptionSet' ? null : selectRow(optionSetJson(entity, src.n, src.a, ctx.language), m[2] ?? null, 'OptionSetMetadata');
  }
  return out;
}
