// Renders our solution's entities (schema.ts) in the simulated Dataverse's
// metadata format (docs/simulated-dataverse.md#metadata-format), so the
// simulator serves exactly the tables the client code names.
//   npx tsx src/dataverse/schema-metadata.ts > fixtures/crm/metadata-ctapi.json
// test/dataverse/schema-metadata.test.ts fails when the committed file drifts.
import { createSchema, type EntitySpec } from './schema.ts';
import { optionLabels } from './solution/labels.ts';

function labelsFor(attributeName: string, options: Readonly<Record<string, number>>): { options: Record<string, string>; labels1031: Record<string, string> } {
  const en: Record<string, string> = {};
  const de: Record<string, string> = {};
  for (const { value, label } of optionLabels(attributeName, options)) {
    en[String(value)] = label[0];
    de[String(value)] = label[1];
  }
  return { options: en, labels1031: de };
}

export function entityMetadata(spec: EntitySpec): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const attr of Object.values(spec.attributes)) {
    const out: Record<string, unknown> = { type: attr.type };
    if (attr.maxLength !== undefined) out.maxLength = attr.maxLength;
    if (attr.required === true) out.required = true;
    if (attr.options !== undefined) Object.assign(out, labelsFor(attr.name, attr.options));
    if (attr.targets !== undefined) {
      out.targets = [...attr.targets];
      if (attr.navigation !== undefined) out.navigation = Object.fromEntries(attr.targets.map((t) => [t, attr.navigation]));
    }
    attributes[attr.name] = out;
  }
  return {
    logicalName: spec.logicalName,
    entitySetName: spec.entitySet,
    primaryIdAttribute: spec.primaryId,
    primaryNameAttribute: spec.primaryName,
    ownership: spec.ownership,
    changeTracking: spec.changeTracking,
    privilegeName: spec.logicalName,
    attributes,
    alternateKeys: Object.entries(spec.alternateKeys ?? {}).map(([name, attrs]) => ({ name, attributes: [...attrs] })),
  };
}

export function metadataDocument(prefix?: string): Record<string, unknown> {
  const schema = createSchema(prefix);
  return {
    $comment: 'Our solution\'s tables in the simulated Dataverse\'s metadata format. GENERATED from src/dataverse/schema.ts: npx tsx src/dataverse/schema-metadata.ts > fixtures/crm/metadata-ctapi.json',
    entities: [schema.lineConfig, schema.setting, schema.eventLog, schema.callLog, schema.clientSession].map((e) => entityMetadata(e)),
  };
}

export function renderMetadata(prefix?: string): string {
  return `${JSON.stringify(metadataDocument(prefix), null, 1)}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.stdout.write(renderMetadata(process.argv[2]));
}
