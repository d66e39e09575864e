// The simulator's definition of our tables is generated from the schema
// module; this test fails when either side changes without the other.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderMetadata } from '../../src/dataverse/schema-metadata.ts';
import { createSchema, LINE_CONFIG_KIND, SchemaError, validatePublisherPrefix } from '../../src/dataverse/schema.ts';
import { metadataFileSchema } from '../../simulator/dataverse/metadata.ts';

describe('schema metadata', () => {
  it('fixtures/crm/metadata-ctapi.json equals what schema.ts generates', () => {
    const committed = readFileSync(new URL('../../fixtures/crm/metadata-ctapi.json', import.meta.url), 'utf8');
    expect(committed).toBe(renderMetadata());
  });

  it('is valid in the simulator\'s metadata format', () => {
    const parsed = metadataFileSchema.safeParse(JSON.parse(renderMetadata()));
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
  });

  it('names every custom entity with the configured publisher prefix', () => {
    const schema = createSchema('acme');
    expect(schema.lineConfig.logicalName).toBe('acme_lineconfig');
    expect(schema.lineConfig.entitySet).toBe('acme_lineconfigs');
    expect(schema.lineConfig.fields.webSocketUrl).toBe('acme_websocketurl');
    expect(schema.callLog.fields.missed).toBe('acme_missed');
    const names = JSON.stringify(JSON.parse(renderMetadata('acme')));
    expect(names).not.toContain('ctapi_');
  });

  it('keeps option values in the publisher range the manual shows (946410000…)', () => {
    expect(LINE_CONFIG_KIND).toEqual({ default: 946410000, site: 946410001, userLine: 946410002 });
    expect(createSchema().lineConfig.attributes.openPhoneCall.options?.incoming).toBe(946410001);
  });

  it.each(['', 'a', 'Ctapi', '1abc', 'toolongprefix', 'mscrmx', 'ct-api'])('rejects the publisher prefix %j', (prefix) => {
    expect(() => validatePublisherPrefix(prefix)).toThrow(SchemaError);
  });
});
