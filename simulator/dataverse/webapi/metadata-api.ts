// The metadata endpoints, answered from the same entity definitions the
// entity sets use (so a solution import shows up at once):
// `EntityDefinitions[?$filter=…]`, `EntityDefinitions(LogicalName='…')` with $select and
// $expand=Attributes[($select=…;$filter=…)], the attribute paths (attribute-metadata.ts) and the
// CSDL document `$metadata`.
import type { AttributeDefinition, EntityDefinition } from '../metadata.ts';
import { DV, ODataError } from '../errors.ts';
import { nameGuid } from '../seed.ts';
import type { WebApiContext } from './context.ts';
import { odataHeaders } from './context.ts';
import { attributeBase, attributePath, filterRows, selectRow } from './attribute-metadata.ts';

const EDM: Record<AttributeDefinition['type'], string> = {
  string: 'Edm.String', memo: 'Edm.String', int: 'Edm.Int32', bigint: 'Edm.Int64', decimal: 'Edm.Decimal', money: 'Edm.Decimal',
  double: 'Edm.Double', datetime: 'Edm.DateTimeOffset', boolean: 'Edm.Boolean', picklist: 'Edm.Int32', lookup: 'Edm.Guid', uniqueidentifier: 'Edm.Guid',
};

function isCustom(e: EntityDefinition): boolean {
  return /^[a-z0-9]+_/.test(e.logicalName);
}

export function entityJson(e: EntityDefinition): Record<string, unknown> {
  return {
    MetadataId: nameGuid(`entity:${e.logicalName}`),
    LogicalName: e.logicalName, SchemaName: e.logicalName, EntitySetName: e.entitySetName, LogicalCollectionName: e.entitySetName,
    PrimaryIdAttribute: e.primaryIdAttribute, PrimaryNameAttribute: e.primaryNameAttribute ?? null,
    ObjectTypeCode: e.objectTypeCode ?? null, OwnershipType: e.ownership === 'OrganizationOwned' ? 'OrganizationOwned' : e.ownership === 'UserOwned' ? 'UserOwned' : e.ownership === 'BusinessOwned' ? 'BusinessOwned' : 'None',
    ChangeTrackingEnabled: e.changeTracking, IsCustomEntity: isCustom(e), IsActivity: e.privilegeName === 'Activity',
    Keys: e.alternateKeys.map((k) => ({ LogicalName: k.name, KeyAttributes: k.attributes })),
    CanCreateAttributes: managed(isCustom(e), 'cancreateattributes'),
    CanChangeTrackingBeEnabled: managed(true, 'canchangetrackingbeenabled'),
    IsCustomizable: managed(true, 'iscustomizable'),
  };
}

/** A BooleanManagedProperty, filterable as `Name/Value eq true` (query-metadata-web-api). */
function managed(value: boolean, logicalName: string): Record<string, unknown> {
  return { Value: value, CanBeChanged: true, ManagedPropertyLogicalName: logicalName };
}

/** `$expand=Attributes` with its nested `$select` and `$filter` (`;`-separated, as in the docs' example). */
function expandAttributes(expand: string | null): URLSearchParams | undefined {
  if (expand === null || expand === '') return undefined;
  const m = /^Attributes(?:\((.*)\))?$/s.exec(expand.trim());
  if (!m) throw new ODataError(400, DV.badRequestSyntax, `The simulated Dataverse expands only Attributes on EntityDefinitions (got '${expand}').`);
  const params = new URLSearchParams();
  for (const opt of (m[1] ?? '').split(';').map((o) => o.trim()).filter((o) => o !== '')) {
    const eq = opt.indexOf('=');
    const name = eq < 0 ? opt : opt.slice(0, eq);
    if (name !== '$select' && name !== '$filter') throw new ODataError(400, DV.badRequestSyntax, `The query option '${name}' is not supported inside $expand=Attributes.`);
    params.set(name, opt.slice(eq + 1));
  }
  return params;
}

function definitionRow(e: EntityDefinition, url: URL): Record<string, unknown> {
  const row = selectRow(entityJson(e), url.searchParams.get('$select'), 'EntityMetadata');
  const nested = expandAttributes(url.searchParams.get('$expand'));
  if (nested) {
    for (const [k, v] of url.searchParams) if (k.startsWith('@')) nested.set(k, v);
    const attributes = Object.entries(e.attributes).map(([n, a]) => attributeBase(e, n, a));
    row['Attributes'] = filterRows(attributes, nested.get('$filter'), nested, 'AttributeMetadata').map((a) => selectRow(a, nested.get('$select'), 'AttributeMetadata'));
  }
  return row;
}

function findEntity(ctx: WebApiContext, key: string): EntityDefinition {
  const m = /^LogicalName='([^']*)'$/.exec(key) ?? /^([0-9a-fA-F-]{36})$/.exec(key);
  const name = m?.[1];
  const entity = name === undefined ? undefined
    : ctx.metadata.entity(name) ?? ctx.metadata.entities().find((e) => nameGuid(`entity:${e.logicalName}`) === name.toLowerCase());
  // The error RetrieveEntity gives for a name the metadata cache does not know.
  if (!entity) throw new ODataError(404, DV.entityNotInMetadata, `Could not find entity with ${key}. The entity with a name = '${name ?? key}' with namemapping = 'Logical' was not found in the MetadataCache.`);
  return entity;
}

/** `EntityDefinitions(key)/Attributes…` */
export function entityDefinitionPath(ctx: WebApiContext, url: URL, key: string, tail: string): Response {
  return attributePath(ctx, url, findEntity(ctx, key), tail);
}

/** `EntityDefinitions…`; `key` is the text inside the parentheses, if any. */
export function entityDefinitions(ctx: WebApiContext, url: URL, key: string | undefined): Response {
  const base = `${ctx.baseUrl}$metadata#EntityDefinitions`;
  if (key !== undefined) return ctx.json(200, { '@odata.context': `${base}/$entity`, ...definitionRow(findEntity(ctx, key), url) });
  // Any primitive, enum or managed-property (`X/Value`) column can be filtered; no paging.
  const entities = filterRows(ctx.metadata.entities().map((e) => Object.assign(entityJson(e), { [ENTITY]: e })), url.searchParams.get('$filter'), url.searchParams, 'EntityMetadata')
    .map((row) => (row as Record<symbol, EntityDefinition>)[ENTITY] as EntityDefinition);
  return ctx.json(200, { '@odata.context': base, value: entities.map((e) => definitionRow(e, url)) });
}

/** Carries the definition through filtering (not serialised). */
const ENTITY = Symbol('entity');

const escXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** The CSDL document: one EntityType per entity (key, properties, lookups as navigation properties) and the container. */
export function metadataDocument(ctx: WebApiContext): Response {
  const types = ctx.metadata.entities().map((e) => {
    const props: string[] = [];
    const navs: string[] = [];
    for (const [name, a] of Object.entries(e.attributes)) {
      if (a.type === 'lookup') {
        props.push(`<Property Name="_${escXml(name)}_value" Type="Edm.Guid" />`);
        for (const [nav, target] of ctx.metadata.navigationOf(e)) if (target.attribute === name) navs.push(`<NavigationProperty Name="${escXml(nav)}" Type="mscrm.${escXml(target.target)}" />`);
      } else {
        props.push(`<Property Name="${escXml(name)}" Type="${EDM[a.type]}"${a.maxLength !== undefined && a.type === 'string' ? ` MaxLength="${a.maxLength}"` : ''} />`);
      }
    }
    // Collection-valued navigation properties: the one-to-many relationships $expand knows.
    for (const rel of e.oneToMany) navs.push(`<NavigationProperty Name="${escXml(rel.navigation)}" Type="Collection(mscrm.${escXml(rel.entity)})" />`);
    return `<EntityType Name="${escXml(e.logicalName)}"><Key><PropertyRef Name="${escXml(e.primaryIdAttribute)}" /></Key>${props.join('')}${navs.join('')}</EntityType>`;
  });
  const sets = ctx.metadata.entities().map((e) => `<EntitySet Name="${escXml(e.entitySetName)}" EntityType="Microsoft.Dynamics.CRM.${escXml(e.logicalName)}" />`);
  // Tables with change tracking carry the annotation Microsoft documents for them
  // (use-change-tracking-synchronize-data-external-systems); written out of line, which CSDL
  // treats the same as inside the EntitySet.
  const tracking = ctx.metadata.entities().filter((e) => e.changeTracking).map((e) => `<Annotations Target="Microsoft.Dynamics.CRM.System/${escXml(e.entitySetName)}">`
    + '<Annotation Term="Org.OData.Capabilities.V1.ChangeTracking"><Record><PropertyValue Property="Supported" Bool="true" /></Record></Annotation></Annotations>');
  const xml = '<?xml version="1.0" encoding="utf-8"?>\n<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>'
    + `<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">${types.join('')}`
    + `<EntityContainer Name="System">${sets.join('')}</EntityContainer>${tracking.join('')}</Schema></edmx:DataServices></edmx:Edmx>\n`;
  const headers = odataHeaders();
  headers.set('Content-Type', 'application/xml');
  return new Response(xml, { status: 200, headers });
}
