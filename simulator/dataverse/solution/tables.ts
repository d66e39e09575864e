// From a solution's tables to the simulator's entity definitions: the same
// mapping Dataverse applies when it creates tables from customizations.xml
// (platform columns are the simulator's implicit attributes).
import type { SolutionRelationship, SolutionTable } from '../../../src/dataverse/solution/read.ts';
import type { AttributeDefinition, EntityDefinition } from '../metadata.ts';
import { metadataFileSchema } from '../metadata.ts';

const TYPES: Record<string, AttributeDefinition['type']> = {
  primarykey: 'uniqueidentifier', nvarchar: 'string', ntext: 'memo', int: 'int', bigint: 'bigint', decimal: 'decimal',
  money: 'money', float: 'double', datetime: 'datetime', bit: 'boolean', picklist: 'picklist', lookup: 'lookup',
};

export function entityDefinition(table: SolutionTable, relationships: readonly SolutionRelationship[]): EntityDefinition {
  const attributes: Record<string, AttributeDefinition> = {};
  let primaryId = '';
  let primaryName: string | undefined;
  for (const c of table.columns) {
    if (c.type === 'primarykey') primaryId = c.name;
    if (c.primaryName) primaryName = c.name;
    if (!c.custom && c.type !== 'primarykey') continue;
    const type = TYPES[c.type];
    if (type === undefined) throw new RangeError(`column ${table.name}.${c.name}: type ${c.type} is not supported`);
    const out: Record<string, unknown> = { type };
    if ((type === 'string' || type === 'memo') && c.maxLength !== undefined) out.maxLength = c.maxLength;
    if (c.required === 'required') out.required = true;
    if (type === 'picklist') {
      out.options = Object.fromEntries((c.options ?? []).map((o) => [String(o.value), o.labels['1033'] ?? '']));
      out.labels1031 = Object.fromEntries((c.options ?? []).map((o) => [String(o.value), o.labels['1031'] ?? '']));
    }
    if (type === 'lookup') {
      const targets = relationships.filter((r) => r.referencing === table.name && r.attribute === c.name).map((r) => r.referenced);
      if (targets.length === 0) throw new RangeError(`lookup ${table.name}.${c.name} has no relationship`);
      out.targets = targets;
      out.navigation = Object.fromEntries(targets.map((t) => [t, c.name]));
    }
    attributes[c.name] = out as AttributeDefinition;
  }
  const parsed = metadataFileSchema.parse({ entities: [{
    logicalName: table.name,
    entitySetName: table.entitySet,
    primaryIdAttribute: primaryId,
    ...(primaryName !== undefined ? { primaryNameAttribute: primaryName } : {}),
    ownership: table.ownership === 'UserOwned' ? 'UserOwned' : 'OrganizationOwned',
    changeTracking: table.changeTracking,
    privilegeName: table.name,
    attributes,
    alternateKeys: table.keys,
  }] });
  return parsed.entities[0] as EntityDefinition;
}
