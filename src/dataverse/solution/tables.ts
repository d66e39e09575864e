// customizations.xml: our tables with their columns (ours and the platform
// columns a user- or organisation-owned table carries, as Microsoft's exports
// list them), option sets with English and German labels, alternate keys, and
// the relationships of every lookup.
import type { AttributeSpec, EntitySpec } from '../schema.ts';
import { ATTRIBUTE_LABELS, optionLabels, type Label } from './labels.ts';
import { el, text, type XmlElement } from './xml.ts';

const STANDARD_SCHEMA_NAMES: Record<string, string> = {
  systemuser: 'SystemUser', team: 'Team', businessunit: 'BusinessUnit', organization: 'Organization', phonecall: 'PhoneCall',
};

export function schemaNameOf(logicalName: string): string {
  return STANDARD_SCHEMA_NAMES[logicalName] ?? logicalName;
}

const DATA_TYPE: Record<AttributeSpec['type'], string> = {
  string: 'nvarchar', memo: 'ntext', int: 'int', decimal: 'decimal', datetime: 'datetime', boolean: 'bit',
  picklist: 'picklist', lookup: 'lookup', uniqueidentifier: 'primarykey',
};

export function labelsOf(tag: string, label: Label): XmlElement[] {
  return [el(tag, { description: label[0], languagecode: 1033 }), el(tag, { description: label[1], languagecode: 1031 })];
}

interface Column {
  readonly name: string;
  readonly type: string;
  readonly label: Label;
  readonly description?: string;
  readonly required: 'none' | 'required' | 'systemrequired';
  readonly custom: boolean;
  readonly primaryName?: boolean;
  readonly extra: XmlElement[];
}

function booleanOptionSet(name: string): XmlElement {
  return el('optionset', { Name: name },
    text('OptionSetType', 'bit'), text('IsGlobal', 0), text('IsCustomizable', 1),
    el('options',
      {}, el('option', { value: 0 }, el('labels', {}, labelsOf('label', ['No', 'Nein']))),
      el('option', { value: 1 }, el('labels', {}, labelsOf('label', ['Yes', 'Ja'])))));
}

function columnOf(spec: EntitySpec, key: string, attr: AttributeSpec, version: string): Column {
  const label = ATTRIBUTE_LABELS[key] ?? [key, key];
  const extra: XmlElement[] = [];
  if (attr.type === 'string') extra.push(text('Format', 'text'), text('MaxLength', attr.maxLength ?? 100), text('Length', 2 * (attr.maxLength ?? 100)));
  if (attr.type === 'memo') extra.push(text('Format', 'text'), text('MaxLength', attr.maxLength ?? 2000));
  if (attr.type === 'int') extra.push(text('Format', 'none'), text('MinValue', -2147483648), text('MaxValue', 2147483647));
  if (attr.type === 'datetime') extra.push(text('Format', 'datetime'), text('Behavior', 1), text('CanChangeDateTimeBehavior', 1));
  if (attr.type === 'boolean') extra.push(text('AppDefaultValue', 0), booleanOptionSet(attr.name));
  if (attr.type === 'lookup') extra.push(text('LookupStyle', 'single'), el('LookupTypes'));
  if (attr.type === 'picklist') {
    extra.push(text('OptionSetName', attr.name), el('optionset', { Name: attr.name },
      text('OptionSetType', 'picklist'), text('IsGlobal', 0), text('IntroducedVersion', version), text('IsCustomizable', 1),
      el('displaynames', {}, labelsOf('displayname', label)),
      el('options', {}, optionLabels(attr.name, attr.options ?? {}).map(({ value, label: l }) => el('option', { value }, el('labels', {}, labelsOf('label', l)))))));
  }
  const isId = attr.type === 'uniqueidentifier';
  return {
    name: attr.name, type: DATA_TYPE[attr.type], label: isId ? (ATTRIBUTE_LABELS.id ?? label) : label, description: attr.description,
    required: isId ? 'systemrequired' : attr.required === true ? 'required' : 'none', custom: !isId,
    primaryName: attr.name === spec.primaryName, extra,
  };
}

/** The platform columns Dataverse adds to a custom table of this ownership. */
function platformColumns(spec: EntitySpec): Column[] {
  const sys = (name: string, type: string, label: Label, extra: XmlElement[] = []): Column => ({ name, type, label, required: 'none', custom: false, extra });
  const lookup = [text('LookupStyle', 'single'), el('LookupTypes')];
  const cols: Column[] = [
    sys('createdby', 'lookup', ['Created By', 'Erstellt von'], lookup),
    sys('createdon', 'datetime', ['Created On', 'Erstellt am'], [text('Format', 'datetime'), text('Behavior', 1)]),
    sys('createdonbehalfby', 'lookup', ['Created By (Delegate)', 'Erstellt von (Delegat)'], lookup),
    sys('modifiedby', 'lookup', ['Modified By', 'Geändert von'], lookup),
    sys('modifiedon', 'datetime', ['Modified On', 'Geändert am'], [text('Format', 'datetime'), text('Behavior', 1)]),
    sys('modifiedonbehalfby', 'lookup', ['Modified By (Delegate)', 'Geändert von (Delegat)'], lookup),
    sys('importsequencenumber', 'int', ['Import Sequence Number', 'Importsequenznummer'], [text('MinValue', -2147483648), text('MaxValue', 2147483647)]),
    sys('overriddencreatedon', 'datetime', ['Record Created On', 'Datensatz erstellt am'], [text('Format', 'date'), text('Behavior', 1)]),
    sys('timezoneruleversionnumber', 'int', ['Time Zone Rule Version Number', 'Versionsnummer der Zeitzonenregel'], [text('MinValue', -1), text('MaxValue', 2147483647)]),
    sys('utcconversiontimezonecode', 'int', ['UTC Conversion Time Zone Code', 'UTC-Umrechnungszeitzonencode'], [text('MinValue', -1), text('MaxValue', 2147483647)]),
    sys('versionnumber', 'bigint', ['Version Number', 'Versionsnummer']),
    sys('statecode', 'state', ['Status', 'Status'], [el('optionset', { Name: `${spec.logicalName}_statecode` }, text('OptionSetType', 'state'), el('states', {},
      el('state', { value: 0, defaultstatus: 1, invariantname: 'Active' }, el('labels', {}, labelsOf('label', ['Active', 'Aktiv']))),
      el('state', { value: 1, defaultstatus: 2, invariantname: 'Inactive' }, el('labels', {}, labelsOf('label', ['Inactive', 'Inaktiv'])))))]),
    sys('statuscode', 'status', ['Status Reason', 'Statusgrund'], [el('optionset', { Name: `${spec.logicalName}_statuscode` }, text('OptionSetType', 'status'), el('statuses', {},
      el('status', { value: 1, state: 0 }, el('labels', {}, labelsOf('label', ['Active', 'Aktiv']))),
      el('status', { value: 2, state: 1 }, el('labels', {}, labelsOf('label', ['Inactive', 'Inaktiv'])))))]),
  ];
  if (spec.ownership === 'UserOwned') {
    cols.push(
      sys('ownerid', 'owner', ['Owner', 'Besitzer'], lookup),
      sys('owningbusinessunit', 'lookup', ['Owning Business Unit', 'Besitzende Unternehmenseinheit'], lookup),
      sys('owningteam', 'lookup', ['Owning Team', 'Besitzendes Team'], lookup),
      sys('owninguser', 'lookup', ['Owning User', 'Besitzender Benutzer'], lookup),
    );
  } else {
    cols.push(sys('organizationid', 'lookup', ['Organization Id', 'Organisations-ID'], lookup));
  }
  return cols;
}

function attributeXml(c: Column, version: string): XmlElement {
  const mask = c.primaryName ? 'PrimaryName|ValidForAdvancedFind|ValidForForm|ValidForGrid|RequiredForForm' : c.type === 'primarykey' ? 'ValidForAdvancedFind|RequiredForGrid' : 'ValidForAdvancedFind|ValidForForm|ValidForGrid';
  const writable = c.custom;
  return el('attribute', { PhysicalName: c.name },
    text('Type', c.type), text('Name', c.name), text('LogicalName', c.name), text('RequiredLevel', c.required), text('DisplayMask', mask),
    text('ImeMode', 'auto'), writable && text('ValidForUpdateApi', 1), text('ValidForReadApi', 1), (writable || c.type === 'primarykey') && text('ValidForCreateApi', 1),
    text('IsCustomField', c.custom ? 1 : 0), text('IsAuditEnabled', c.custom ? 1 : 0), text('IsSecured', 0), text('IntroducedVersion', version),
    text('IsCustomizable', 1), text('IsRenameable', 1), text('CanModifySearchSettings', 1), text('CanModifyRequirementLevelSettings', c.type === 'primarykey' ? 0 : 1),
    text('CanModifyAdditionalSettings', 1), text('SourceType', 0), ...c.extra,
    el('displaynames', {}, labelsOf('displayname', c.label)),
    el('Descriptions', {}, labelsOf('Description', [c.description ?? '', c.description ?? ''])));
}

/** The `<Entity>` element of one of our tables (forms, views and ribbon are added by the caller). */
export function entityXml(spec: EntitySpec, labels: { one: Label; many: Label }, version: string, ui: XmlElement[]): XmlElement {
  const own = Object.entries(spec.attributes).map(([key, attr]) => columnOf(spec, key, attr, version));
  const all = [...own, ...platformColumns(spec)].sort((a, b) => a.name.localeCompare(b.name));
  const keys = Object.entries(spec.alternateKeys ?? {});
  return el('Entity', {},
    text('Name', spec.logicalName, { LocalizedName: labels.one[0], OriginalName: labels.one[0] }),
    el('EntityInfo', {}, el('entity', { Name: spec.logicalName },
      el('LocalizedNames', {}, labelsOf('LocalizedName', labels.one)),
      el('LocalizedCollectionNames', {}, labelsOf('LocalizedCollectionName', labels.many)),
      el('Descriptions', {}, labelsOf('Description', [spec.description ?? '', spec.description ?? ''])),
      el('attributes', {}, all.map((c) => attributeXml(c, version))),
      text('EntitySetName', spec.entitySet),
      text('HasRelatedNotes', 'False'), text('HasRelatedActivities', 'False'),
      text('OwnershipTypeMask', spec.ownership === 'UserOwned' ? 'UserOwned' : 'OrgOwned'),
      text('IsAuditEnabled', 1), text('IsActivity', 0), text('IsCustomizable', 1), text('IsRenameable', 1),
      text('IsQuickCreateEnabled', 0), text('IntroducedVersion', version), text('ChangeTrackingEnabled', spec.changeTracking ? 1 : 0),
      keys.length > 0 && el('EntityKeys', {}, keys.map(([name, attrs]) => el('EntityKey', {},
        text('Name', name), text('LogicalName', name), text('IntroducedVersion', version),
        el('displaynames', {}, labelsOf('displayname', [name, name])),
        el('EntityKeyAttributes', {}, attrs.map((a) => text('AttributeName', a)))))))),
    ...ui);
}

export interface Relationship {
  readonly name: string;
  readonly referencing: string;
  readonly referenced: string;
  readonly attribute: string;
  readonly hierarchical: boolean;
  readonly custom: boolean;
}

/** One-to-many relationships: one per custom lookup, plus the platform ones. */
export function relationships(spec: EntitySpec): Relationship[] {
  const out: Relationship[] = [];
  for (const attr of Object.values(spec.attributes)) {
    if (attr.type !== 'lookup') continue;
    for (const target of attr.targets ?? []) {
      out.push({ name: `${spec.logicalName}_${attr.name}_${target}`.slice(0, 100), referencing: spec.logicalName, referenced: target, attribute: attr.name, hierarchical: target === spec.logicalName, custom: true });
    }
  }
  const e = spec.logicalName;
  const platform = (name: string, referenced: string, attribute: string): Relationship => ({ name, referencing: e, referenced, attribute, hierarchical: false, custom: false });
  out.push(platform(`lk_${e}_createdby`, 'systemuser', 'createdby'), platform(`lk_${e}_createdonbehalfby`, 'systemuser', 'createdonbehalfby'),
    platform(`lk_${e}_modifiedby`, 'systemuser', 'modifiedby'), platform(`lk_${e}_modifiedonbehalfby`, 'systemuser', 'modifiedonbehalfby'));
  if (spec.ownership === 'UserOwned') {
    out.push(platform(`business_unit_${e}`, 'businessunit', 'owningbusinessunit'), platform(`owner_${e}`, 'owner', 'ownerid'),
      platform(`team_${e}`, 'team', 'owningteam'), platform(`user_${e}`, 'systemuser', 'owninguser'));
  } else {
    out.push(platform(`organization_${e}`, 'organization', 'organizationid'));
  }
  return out;
}

export function relationshipXml(r: Relationship, version: string): XmlElement {
  const cascade = 'NoCascade';
  return el('EntityRelationship', { Name: r.name },
    text('EntityRelationshipType', 'OneToMany'), text('IsCustomizable', r.custom ? 1 : 0), text('IntroducedVersion', version),
    text('IsHierarchical', r.hierarchical ? 1 : 0), text('ReferencingEntityName', r.referencing), text('ReferencedEntityName', schemaNameOf(r.referenced)),
    text('CascadeAssign', cascade), text('CascadeDelete', r.custom ? 'RemoveLink' : 'NoCascade'), text('CascadeReparent', cascade),
    text('CascadeShare', cascade), text('CascadeUnshare', cascade), text('IsValidForAdvancedFind', 1), text('ReferencingAttributeName', r.attribute),
    el('RelationshipDescription', {}, el('Descriptions', {}, labelsOf('Description', ['', '']))),
    el('EntityRelationshipRoles', {},
      el('EntityRelationshipRole', {}, text('NavPaneDisplayOption', 'UseCollectionName'), text('NavPaneArea', 'Details'), text('NavPaneOrder', 10000),
        text('NavigationPropertyName', r.attribute), text('RelationshipRoleType', 1)),
      el('EntityRelationshipRole', {}, text('NavigationPropertyName', r.name), text('RelationshipRoleType', 0))));
}
