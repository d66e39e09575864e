// The metadata endpoints, answered from the same entity definitions the
// entity sets use (so a solution import shows up at once):
// `EntityDefinitions`, `EntityDefinitions(LogicalName='…')` with $select and
// $expand=Attributes[($select=…)], and the CSDL document `$metadata`.
import type { AttributeDefinition, EntityDefinition } from '../metadata.ts';
import { DV, ODataError } from '../errors.ts';
import { nameGuid } from '../seed.ts';
import type { WebApiContext } from './context.ts';
import { odataHeaders } from './context.ts';

const ATTRIBUTE_TYPE: Record<AttributeDefinition['type'], [string, string]> = {
  string: ['String', 'StringAttributeMetadata'], memo: ['Memo', 'MemoAttributeMetadata'], int: ['Integer', 'IntegerAttributeMetadata'],
  bigint: ['BigInt', 'BigIntAttributeMetadata'], decimal: ['Decimal', 'DecimalAttributeMetadata'], money: ['Money', 'MoneyAttributeMetadata'],
  double: ['Double', 'DoubleAttributeMetadata'], datetime: ['DateTime', 'DateTimeAttributeMetadata'], boolean: ['Boolean', 'BooleanAttributeMetadata'],
  picklist: ['Picklist', 'PicklistAttributeMetadata'], lookup: ['Lookup', 'LookupAttributeMetadata'], uniqueidentifier: ['Uniqueidentifier', 'AttributeMetadata'],
};

const EDM: Record<AttributeDefinition['type'], string> = {
  string: 'Edm.String', memo: 'Edm.String', int: 'Edm.Int32', bigint: 'Edm.Int64', decimal: 'Edm.Decimal', money: 'Edm.Decimal',
  double: 'Edm.Double', datetime: 'Edm.DateTimeOffset', boolean: 'Edm.Boolean', picklist: 'Edm.Int32', lookup: 'Edm.Guid', uniqueidentifier: 'Edm.Guid',
};

function isCustom(e: EntityDefinition): boolean {
  return /^[a-z0-9]+_/.test(e.logicalName);
}

function attributeJson(entity: EntityDefinition, name: string, a: AttributeDefinition): Record<string, unknown> {
  const [type, odataType] = ATTRIBUTE_TYPE[a.type];
  const owner = name === 'ownerid';
  return {
    '@odata.type': `#Microsoft.Dynamics.CRM.${owner ? 'LookupAttributeMetadata' : odataType}`,
    MetadataId: nameGuid(`attribute:${entity.logicalName}.${name}`),
    LogicalName: name, SchemaName: name, EntityLogicalName: entity.logicalName,
    AttributeType: owner ? 'Owner' : type,
    IsCustomAttribute: isCustom(entity) && name.includes('_') && !name.startsWith('_'),
    IsPrimaryId: name === entity.primaryIdAttribute, IsPrimaryName: name === entity.primaryNameAttribute,
    IsValidForCreate: a.readOnly !== true, IsValidForUpdate: a.readOnly !== true,
    RequiredLevel: { Value: a.required === true ? 'ApplicationRequired' : 'None' },
    ...(a.maxLength !== undefined ? { MaxLength: a.maxLength } : {}),
    ...(a.targets !== undefined ? { Targets: a.targets } : {}),
  };
}

export function entityJson(e: EntityDefinition): Record<string, unknown> {
  return {
    MetadataId: nameGuid(`entity:${e.logicalName}`),
    LogicalName: e.logicalName, SchemaName: e.logicalName, EntitySetName: e.entitySetName, LogicalCollectionName: e.entitySetName,
    PrimaryIdAttribute: e.primaryIdAttribute, PrimaryNameAttribute: e.primaryNameAttribute ?? null,
    ObjectTypeCode: e.objectTypeCode ?? null, OwnershipType: e.ownership === 'OrganizationOwned' ? 'OrganizationOwned' : e.ownership === 'UserOwned' ? 'UserOwned' : e.ownership === 'BusinessOwned' ? 'BusinessOwned' : 'None',
    ChangeTrackingEnabled: e.changeTracking, IsCustomEntity: isCustom(e), IsActivity: e.privilegeName === 'Activity',
    Keys: e.alternateKeys.map((k) => ({ LogicalName: k.name, KeyAttributes: k.attributes })),
  };
}

function pick(row: Record<string, unknown>, select: string[] | undefined): Record<string, unknown> {
  if (select === undefined) return row;
  const out: Record<string, unknown> = { MetadataId: row.MetadataId };
  for (const s of select) {
    if (!(s in row)) throw new ODataError(400, DV.queryBuilderNoAttribute, `Could not find a property named '${s}' on type 'Microsoft.Dynamics.CRM.EntityMetadata'.`);
    out[s] = row[s];
  }
  return out;
}

const selectOf = (value: string | null | undefined): string[] | undefined => (value === null || value === undefined || value === '' ? undefined : value.split(',').map((s) => s.trim()));

function expandAttributes(expand: string | null): { select?: string[] } | undefined {
  if (expand === null || expand === '') return undefined;
  const m = /^Attributes(?:\(\$select=([^)]*)\))?$/.exec(expand.trim());
  if (!m) throw new ODataError(400, DV.badRequestSyntax, `The simulated Dataverse expands only Attributes on EntityDefinitions (got '${expand}').`);
  return { select: selectOf(m[1]) };
}

function definitionRow(e: EntityDefinition, url: URL): Record<string, unknown> {
  const row = pick(entityJson(e), selectOf(url.searchParams.get('$select')));
  const expand = expandAttributes(url.searchParams.get('$expand'));
  if (expand) {
    row.Attributes = Object.entries(e.attributes).map(([n, a]) => {
      const full = attributeJson(e, n, a);
      return expand.select === undefined ? full : { '@odata.type': full['@odata.type'], ...pick(full, expand.select) };
    });
  }
  return row;
}

/** `EntityDefinitions…`; `key` is the text inside the parentheses, if any. */
export function entityDefinitions(ctx: WebApiContext, url: URL, key: string | undefined): Response {
  const base = `${ctx.baseUrl}$metadata#EntityDefinitions`;
  if (key !== undefined) {
    const m = /^LogicalName='([^']*)'$/.exec(key) ?? /^([0-9a-fA-F-]{36})$/.exec(key);
    const name = m?.[1];
    const entity = name === undefined ? undefined
      : ctx.metadata.entity(name) ?? ctx.metadata.entities().find((e) => nameGuid(`entity:${e.logicalName}`) === name.toLowerCase());
    if (!entity) throw new ODataError(404, DV.objectDoesNotExist, `Could not find entity with ${key}.`);
    return ctx.json(200, { '@odata.context': `${base}/$entity`, ...definitionRow(entity, url) });
  }
  const filter = url.searchParams.get('$filter');
  let entities = ctx.metadata.entities();
  if (filter !== null && filter !== '') {
    const byName = /^LogicalName eq '([^']*)'$/.exec(filter.trim());
    const custom = /^IsCustomEntity eq (true|false)$/.exec(filter.trim());
    if (byName) entities = entities.filter((e) => e.logicalName === byName[1]);
    else if (custom) entities = entities.filter((e) => isCustom(e) === (custom[1] === 'true'));
    else throw new ODataError(400, DV.badRequestSyntax, `The simulated Dataverse filters EntityDefinitions only by "LogicalName eq '…'" or "IsCustomEntity eq true|false" (got '${filter}').`);
  }
  return ctx.json(200, { '@odata.context': base, value: entities.map((e) => definitionRow(e, url)) });
}

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
    return `<EntityType Name="${escXml(e.logicalName)}"><Key><PropertyRef Name="${escXml(e.primaryIdAttribute)}" /></Key>${props.join('')}${navs.join('')}</EntityType>`;
  });
  const sets = ctx.metadata.entities().map((e) => `<EntitySet Name="${escXml(e.entitySetName)}" EntityType="Microsoft.Dynamics.CRM.${escXml(e.logicalName)}" />`);
  const xml = '<?xml version="1.0" encoding="utf-8"?>\n<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>'
    + `<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">${types.join('')}`
    + `<EntityContainer Name="System">${sets.join('')}</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>\n`;
  const headers = odataHeaders();
  headers.set('Content-Type', 'application/xml');
  return new Response(xml, { status: 200, headers });
}
