// Fidelity: the metadata endpoints as clients query them
// (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api),
// answered from the same schema as the entity sets. The product reads
// `EntityDefinitions(LogicalName='…')?$select=…` for IncallPhoneFields on other tables; its
// success and not-found cases run against this same endpoint in
// test/dataverse/solution/import.test.ts ("before" / "after") and again here through the
// product's own client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { connect } from '../../../src/dataverse/connection.ts';
import { onPremise } from '../../dataverse/support/sim.ts';
import { failure, startFidelity, type Fidelity } from './client.ts';

let f: Fidelity;
const DOC = 'https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api';
const NS = 'Microsoft.Dynamics.CRM.';

beforeAll(async () => {
  f = await startFidelity();
});
afterAll(async () => {
  await f.dv.close();
});

describe('EntityDefinitions', () => {
  it(`one definition by LogicalName with $select; MetadataId always comes along (${DOC})`, async () => {
    const def = await f.client.retrieveEntity<Record<string, unknown>>({ key: "LogicalName='contact'", select: ['EntitySetName', 'PrimaryIdAttribute', 'PrimaryNameAttribute'] });
    expect(def).toMatchObject({ EntitySetName: 'contacts', PrimaryIdAttribute: 'contactid', PrimaryNameAttribute: 'fullname' });
    expect(typeof def['MetadataId']).toBe('string');
    const byId = await f.raw(`EntityDefinitions(${String(def['MetadataId'])})?$select=LogicalName`);
    expect(byId.body.LogicalName).toBe('contact');
  });

  it(`$filter with enum literals and managed properties (X/Value) (${DOC}#use-enum-types-in-filter-operations)`, async () => {
    const userOwned = await f.raw(`EntityDefinitions?$select=LogicalName&$filter=OwnershipType eq ${NS}OwnershipTypes'UserOwned'`);
    const names = userOwned.body.value.map((e: { LogicalName: string }) => e.LogicalName);
    expect(names).toEqual(expect.arrayContaining(['account', 'contact', 'phonecall']));
    expect(names).not.toContain('systemuser');
    const custom = await f.raw('EntityDefinitions?$select=LogicalName&$filter=CanCreateAttributes/Value eq true and IsCustomEntity eq true');
    expect(custom.body.value.length).toBeGreaterThan(0);
    for (const e of custom.body.value as { LogicalName: string }[]) expect(e.LogicalName).toMatch(/^ctapi_/);
    const viaClient = await f.client.retrieveEntities<Record<string, unknown>>({ select: ['LogicalName'], filter: "LogicalName eq 'lead'" });
    expect(viaClient.value.map((e) => e['LogicalName'])).toEqual(['lead']);
  });

  it(`an unknown table is a 404 with RetrieveEntity's code; an unknown property a 400 (${DOC})`, async () => {
    const missing = await failure(f.client.retrieveEntity({ key: "LogicalName='new_nosuchtable'" }));
    expect(missing.status).toBe(404);
    expect(missing.code).toBe('0x80041102');
    const badSelect = await f.raw("EntityDefinitions(LogicalName='contact')?$select=NoSuchProperty");
    expect(badSelect.status).toBe(400);
    expect(badSelect.body.error.message).toContain(`'${NS}EntityMetadata'`);
  });

  it('the product client reads definitions through the same endpoint: found, and null when the table is unknown', async () => {
    const conn = await connect(parseConnectionConfig(onPremise(f.dv), 'test'));
    try {
      const found = await conn.client.retrieve<Record<string, unknown>>('EntityDefinitions', { LogicalName: 'lead' }, ['EntitySetName', 'PrimaryIdAttribute', 'PrimaryNameAttribute']);
      expect(found).toMatchObject({ EntitySetName: 'leads', PrimaryIdAttribute: 'leadid', PrimaryNameAttribute: 'fullname' });
      expect(await conn.client.retrieve('EntityDefinitions', { LogicalName: 'new_nosuchtable' }, ['EntitySetName'])).toBeNull();
    } finally {
      await conn.client.close();
    }
  });
});

describe('$metadata', () => {
  it('declares collection-valued navigation properties and marks change-tracked sets (https://learn.microsoft.com/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems)', async () => {
    const res = await fetch(`${f.dv.webApiUrl}$metadata`, { headers: { Authorization: `Bearer ${f.token}` } });
    const xml = await res.text();
    expect(xml).toContain('<NavigationProperty Name="phonecall_activity_parties" Type="Collection(mscrm.activityparty)" />');
    const annotated = (set: string): boolean => xml.includes(`<Annotations Target="Microsoft.Dynamics.CRM.System/${set}"><Annotation Term="Org.OData.Capabilities.V1.ChangeTracking"><Record><PropertyValue Property="Supported" Bool="true" /></Record></Annotation></Annotations>`);
    expect(annotated('contacts')).toBe(true);
    const untracked = f.dv.metadata.entities().find((e) => !e.changeTracking);
    expect(annotated(untracked?.entitySetName ?? 'none')).toBe(false);
  });
});

describe('Attributes', () => {
  it(`$expand=Attributes with nested $select and $filter shows only the common properties (${DOC}#querying-entitymetadata-attributes)`, async () => {
    const res = await f.raw(`EntityDefinitions(LogicalName='account')?$select=LogicalName&$expand=Attributes($select=LogicalName;$filter=AttributeType eq ${NS}AttributeTypeCode'Picklist')`);
    expect(res.body.Attributes.map((a: { LogicalName: string }) => a.LogicalName).sort()).toEqual(['industrycode', 'statecode', 'statuscode']);
    const uncast = await f.raw("EntityDefinitions(LogicalName='account')/Attributes?$select=LogicalName,MaxLength");
    expect(uncast.status).toBe(400);
    expect(uncast.body.error.message).toContain(`'MaxLength' on type '${NS}AttributeMetadata'`);
  });

  it(`a cast selects the type's attributes and makes its own properties readable (${DOC}#querying-entitymetadata-attributes)`, async () => {
    const strings = await f.client.retrieveAttributes<Record<string, unknown>>({ entityKey: "LogicalName='contact'", castType: `${NS}StringAttributeMetadata`, select: ['LogicalName', 'MaxLength'] });
    const telephone = strings.value.find((a) => a['LogicalName'] === 'telephone1');
    expect(telephone?.['MaxLength']).toBe(50);
    for (const a of strings.value) expect(a['@odata.type']).toBe(`#${NS}StringAttributeMetadata`);
    const lookups = await f.raw(`EntityDefinitions(LogicalName='contact')/Attributes/${NS}LookupAttributeMetadata?$select=LogicalName,Targets&$filter=LogicalName eq 'parentcustomerid'`);
    expect(lookups.body.value).toEqual([expect.objectContaining({ LogicalName: 'parentcustomerid', Targets: ['account', 'contact'] })]);
  });

  it(`RequiredLevel/Value filters with an enum literal (${DOC}#filtering-by-required-level)`, async () => {
    const res = await f.raw(`EntityDefinitions(LogicalName='account')/Attributes?$select=LogicalName&$filter=RequiredLevel/Value eq ${NS}AttributeRequiredLevel'ApplicationRequired'`);
    expect(res.body.value.map((a: { LogicalName: string }) => a.LogicalName)).toEqual(['name']);
  });

  it(`one attribute by LogicalName or MetadataId, cast to a picklist, with its OptionSet expanded or alone (${DOC}#retrieving-attributes)`, async () => {
    const attr = await f.client.retrieveAttribute<Record<string, unknown>>({ entityKey: "LogicalName='account'", attributeKey: "LogicalName='industrycode'", castType: `${NS}PicklistAttributeMetadata`, select: ['LogicalName'], expand: [{ property: 'OptionSet', select: ['Options'] }] });
    const options = (attr['OptionSet'] as { Options: { Value: number; Label: { LocalizedLabels: { Label: string; LanguageCode: number }[] } }[] }).Options;
    expect(options.length).toBeGreaterThan(0);
    expect(options[0]?.Label.LocalizedLabels.map((l) => l.LanguageCode)).toContain(1033);
    // Petra Hoffmann's UI language is German (usersettings.uilanguageid 1031).
    expect((attr['OptionSet'] as { Options: { Label: { UserLocalizedLabel: { LanguageCode: number; Label: string } } }[] }).Options.find((o) => o.Label.UserLocalizedLabel.Label === 'Buchhaltung')?.Label.UserLocalizedLabel.LanguageCode).toBe(1031);
    const both = await f.raw(`EntityDefinitions(LogicalName='account')/Attributes(LogicalName='industrycode')/${NS}PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Name),GlobalOptionSet`);
    expect(both.body.OptionSet.Name).toBe('account_industrycode');
    expect(both.body.GlobalOptionSet).toBeNull();
    const id = String(attr['MetadataId']);
    const alone = await f.raw(`EntityDefinitions(LogicalName='account')/Attributes(${id})/${NS}PicklistAttributeMetadata/OptionSet?$select=Options`);
    expect(alone.status).toBe(200);
    expect(alone.body.Options).toHaveLength(options.length);
    const wrongCast = await f.raw(`EntityDefinitions(LogicalName='account')/Attributes(LogicalName='name')/${NS}PicklistAttributeMetadata`);
    expect(wrongCast.status).toBe(404);
    const noCast = await f.raw("EntityDefinitions(LogicalName='account')/Attributes(LogicalName='industrycode')?$expand=OptionSet");
    expect(noCast.status).toBe(400);
    const unknown = await f.raw("EntityDefinitions(LogicalName='account')/Attributes(LogicalName='nosuchcolumn')");
    expect(unknown.status).toBe(404);
  });
});
