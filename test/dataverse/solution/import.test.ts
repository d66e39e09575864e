// `crm-tapi solution import|status|customize-forms` and `crm-tapi check`
// against a simulated Dataverse that starts WITHOUT the solution: before the
// import nothing of ours exists (EntityDefinitions 404, check and status say so
// in one sentence), a non-admin is refused, the import creates tables, roles
// and web resources from the zip at run time, EntityDefinitions and $metadata
// answer from the same store, and a lower version is refused.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { connect } from '../../../src/dataverse/connection.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { DataverseDirectorySource } from '../../../src/dataverse/directory/dataverse-source.ts';
import { DirectoryError } from '../../../src/dataverse/directory/errors.ts';
import { buildSolution } from '../../../src/dataverse/solution/build.ts';
import { importSolution } from '../../../src/dataverse/solution/import.ts';
import { validateXsd } from '../../../src/dataverse/solution/xsd.ts';
import { WebApiUser } from '../../e2e/support/webapi.ts';
import { seedImportedOrg } from '../../support/admin-setup.ts';
import { onPremise, tempDir, AGENT } from '../support/sim.ts';
import { builtSolution, runCli, XSD_DIR, XSD_PRESENT, type Built } from './support.ts';

const PETRA = { sam: 'CONTOSO\\phoffmann', password: 'Test-only-phoffmann-1!' };
let dv: SimulatedDataverse;
let built: Built;
let dir: string;
let zipPath: string;
const cfg = (name: string, values: Record<string, unknown>): string => {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(values));
  return path;
};

async function directory(): Promise<{ source: DataverseDirectorySource; close: () => Promise<void> }> {
  const { client } = await connect(parseConnectionConfig(onPremise(dv), 'manager'), { retry: { maxAttempts: 1 } });
  return { source: new DataverseDirectorySource(client), close: () => client.close() };
}

beforeAll(async () => {
  [dv, built] = await Promise.all([startSimulatedDataverse({ port: 0, withoutSolution: true }), builtSolution()]);
  dir = tempDir();
  zipPath = join(dir, built.fileName);
  writeFileSync(zipPath, built.zip);
  // A whole manager configuration: `crm-tapi check` applies the manager's own rules before it asks the CRM.
  cfg('manager', { ...onPremise(dv), CrmTapiPort: 4505, LogLevel: 3, ConnectorKeys: ['solution-test-connector-key-0123'], DataDir: join(dir, 'data') });
  cfg('admin', onPremise(dv, PETRA.sam, PETRA.password));
}, 90_000);
afterAll(async () => {
  await dv?.close();
  built?.cleanup();
});

describe('an org without the solution, then the import', () => {
  it('before: the tables are unknown, check and status say what to do in one sentence', async () => {
    const d = await directory();
    try {
      const err = await d.source.readAll({ entity: 'ctapi_calllog', fields: ['ctapi_number'] }, () => undefined).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DirectoryError);
      expect((err as Error).message).toBe('IncallPhoneFields names entity "ctapi_calllog", which the CRM does not know');
    } finally {
      await d.close();
    }
    const check = await runCli(['check', '--config', join(dir, 'manager.json')]);
    expect(check.status).toBe(9);
    expect(check.stderr).toBe('error: solution-missing: the crm-tapi solution is not installed in org contoso; run `crm-tapi solution import`\n');
    const status = await runCli(['solution', 'status', '--config', join(dir, 'admin.json')]);
    expect(status).toMatchObject({ status: 4, stdout: 'org contoso: the crm-tapi solution is not installed; this crm-tapi bundles 0.2.0.0 (run `crm-tapi solution import`)\n' });
  });

  it('refuses the import by an agent without prvImportCustomizations', async () => {
    const run = await runCli(['solution', 'import', zipPath, '--config', cfg('agent', onPremise(dv, AGENT.sam, AGENT.password))]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: forbidden: .*missing prvImportCustomizations privilege/);
    expect(dv.metadata.entity('ctapi_lineconfig')).toBeUndefined();
  });

  it('imports as an administrator, prints each component, publishes; status and check agree afterwards', async () => {
    const run = await runCli(['solution', 'import', zipPath, '--config', join(dir, 'admin.json')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    for (const line of ['importing the crm-tapi solution 0.2.0.0', '  entity ctapi_calllog: success', '  role TapiManager Account: success',
      '  webResource ctapi_/crmtapi/webresource.js: success', 'published all customizations', 'ok: crm-tapi solution 0.2.0.0 is installed in org contoso and published']) {
      expect(run.stdout.split('\n')).toContain(line);
    }
    expect(await runCli(['solution', 'status', '--config', join(dir, 'admin.json')])).toMatchObject({ status: 0, stdout: 'org contoso: installed 0.2.0.0, the same as this crm-tapi bundles\n' });
    // The roles exist only now: until an admin gives the manager's account its role (step 4 of the guide), check says that first, then the privileges.
    const before = await runCli(['check', '--config', join(dir, 'manager.json')]);
    expect(before.status).toBe(7);
    const lines = before.stderr.trim().split('\n');
    expect(lines[0]).toBe('error: privileges-missing: the crm-tapi solution is installed in org contoso, but this account has no role of it yet; give it TapiManager Account (docs/install-dynamics.md, step 4)');
    expect(lines).toContainEqual(expect.stringMatching(/^error: privileges-missing: the account has no Read privilege on ctapi_lineconfig \(prvReadctapi_lineconfig\), needed for /));
    expect(await seedImportedOrg(dv, await WebApiUser.signIn(dv, 'petra'))).toBeGreaterThan(0);
    expect(await runCli(['check', '--config', join(dir, 'manager.json')])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^ok: organisation contoso/) });
    expect(dv.store.get('webresource', '6c1f3a2e-5b0d-4f8e-9a61-2d7c4e8b1f04')?.['name']).toBe('ctapi_/crmtapi/ribbon.js');
  });

  it('after: EntityDefinitions and $metadata answer from the imported tables', async () => {
    const d = await directory();
    try {
      const cursor = await d.source.readAll({ entity: 'ctapi_calllog', fields: ['ctapi_number'] }, () => undefined);
      expect(cursor.kind).toBe('modifiedon'); // ctapi_calllog has change tracking off
      const err = await d.source.readAll({ entity: 'new_nosuchtable', fields: ['x'] }, () => undefined).catch((e: unknown) => e);
      expect((err as Error).message).toBe('IncallPhoneFields names entity "new_nosuchtable", which the CRM does not know');
    } finally {
      await d.close();
    }
    const { client } = await connect(parseConnectionConfig(onPremise(dv, PETRA.sam, PETRA.password), 'admin'));
    try {
      const def = await client.retrieve<Record<string, unknown>>('EntityDefinitions', { LogicalName: 'ctapi_lineconfig' }, ['EntitySetName', 'OwnershipType', 'IsCustomEntity']);
      expect(def).toMatchObject({ EntitySetName: 'ctapi_lineconfigs', OwnershipType: 'UserOwned', IsCustomEntity: true });
      expect(Object.keys(def ?? {}).sort()).toEqual(['@odata.context', 'EntitySetName', 'IsCustomEntity', 'MetadataId', 'OwnershipType']);
      const res = await client.send('GET', `${client.webApiUrl}EntityDefinitions(LogicalName='ctapi_calllog')?$expand=Attributes($select=LogicalName,AttributeType)`, { idempotent: true });
      const attrs = (JSON.parse(res.body) as { Attributes: { LogicalName: string; AttributeType: string }[] }).Attributes;
      expect(attrs).toContainEqual(expect.objectContaining({ LogicalName: 'ctapi_direction', AttributeType: 'Picklist' }));
      expect(attrs).toContainEqual(expect.objectContaining({ LogicalName: 'ownerid', AttributeType: 'Owner' }));
      const custom = await client.list<{ LogicalName: string }>('EntityDefinitions', { select: ['LogicalName'], filter: 'IsCustomEntity eq true' });
      expect(custom.map((e) => e.LogicalName).sort()).toEqual(['ctapi_calllog', 'ctapi_clientsession', 'ctapi_eventlog', 'ctapi_lineconfig', 'ctapi_setting']);
      const csdl = await client.send('GET', `${client.webApiUrl}$metadata`, { idempotent: true, headers: { Accept: 'application/xml' } });
      expect(csdl.body).toContain('<EntitySet Name="ctapi_lineconfigs" EntityType="Microsoft.Dynamics.CRM.ctapi_lineconfig" />');
      expect(csdl.body).toContain('<NavigationProperty Name="ctapi_parentid" Type="mscrm.ctapi_lineconfig" />');
      // Records can be written at once, with the new table's privileges in force.
      const created = await client.create('ctapi_settings', { ctapi_name: 'IncallPhoneFields', ctapi_datatype: 946410000, ctapi_textvalue: 'account.fax' });
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await client.close();
    }
  });

  it('refuses a lower version over a higher one, in the client and in the org', async () => {
    const older = await buildSolution({ version: '0.0.9.0', clientDir: built.clientDir });
    const { client } = await connect(parseConnectionConfig(onPremise(dv, PETRA.sam, PETRA.password), 'admin'), { retry: { maxAttempts: 1 } });
    try {
      await expect(importSolution(client, older.zip, '0.0.9.0')).rejects.toThrow('the org has crm-tapi solution 0.2.0.0; 0.0.9.0 is older and Dataverse does not import a lower version over a higher one');
      await expect(client.invoke('ImportSolution', { CustomizationFile: Buffer.from(older.zip).toString('base64'), ImportJobId: '0b7c6a52-4f0e-4b8e-9a0d-3c1f2e5d6a71' }))
        .rejects.toThrow(/has a lower version than the existing one \(0\.2\.0\.0\)/);
    } finally {
      await client.close();
    }
  });

  it('an older installed version: status exits 3, check and the manager name both versions', async () => {
    const row = [...dv.store.all('solution')][0];
    const id = String(row?.['solutionid']);
    dv.store.put('solution', id, { ...row, version: '0.0.9.0' });
    try {
      expect(await runCli(['solution', 'status', '--config', join(dir, 'admin.json')]))
        .toMatchObject({ status: 3, stdout: 'org contoso: installed 0.0.9.0, this crm-tapi bundles 0.2.0.0: run `crm-tapi solution import` to update\n' });
      expect(await runCli(['check', '--config', join(dir, 'manager.json')])).toMatchObject({
        status: 9, stderr: 'error: solution-outdated: the crm-tapi solution in org contoso is outdated: installed 0.0.9.0, this manager needs ≥ 0.2.0.0; run `crm-tapi solution import`\n',
      });
      dv.store.put('solution', id, { ...row, version: '0.3.0.0' });
      expect(await runCli(['solution', 'status', '--config', join(dir, 'admin.json')]))
        .toMatchObject({ status: 0, stdout: 'org contoso: installed 0.3.0.0 is newer than the 0.2.0.0 this crm-tapi bundles: update crm-tapi\n' });
    } finally {
      dv.store.put('solution', id, { ...row });
    }
  });

  it('customize-forms puts the web resource on the main forms once, and the forms stay valid FormXml', async () => {
    const first = await runCli(['solution', 'customize-forms', '--config', join(dir, 'admin.json'), '--tables', 'account,contact,lead']);
    expect(first).toMatchObject({ status: 0 });
    expect(first.stdout).toContain('account: form "Information" now holds the crm-tapi web resource');
    expect(first.stdout.trim().split('\n').at(-1)).toBe('published');
    const again = await runCli(['solution', 'customize-forms', '--config', join(dir, 'admin.json'), '--tables', 'account']);
    expect(again.stdout).toBe('account: form "Information" already held the crm-tapi web resource\nnothing published\n');
    const form = [...dv.store.all('systemform')].find((f) => f['objecttypecode'] === 'contact');
    expect(String(form?.['formxml'])).toContain('<Url>ctapi_/crmtapi/webresource.html</Url>');
    expect(String(form?.['formxml'])).toContain('functionName="CrmTapiForm.onLoad"');
    expect(form?.['publishedon']).toEqual(expect.any(String));
    if (XSD_PRESENT) {
      const outcome = await validateXsd([{ label: 'contact form', xml: String(form?.['formxml']), schema: 'FormXml.xsd' }], XSD_DIR);
      expect(outcome).toEqual({ ran: true, problems: [] });
    }
    expect((await runCli(['solution', 'customize-forms', '--config', join(dir, 'admin.json'), '--tables', 'no such'])).stderr)
      .toBe('error: tables-invalid: --tables "no such": give table logical names, e.g. account,contact,lead\n');
  });

  it('an upgrade (a newer version over an older one) keeps the records', async () => {
    const newer = await buildSolution({ version: '0.3.0.0', clientDir: built.clientDir });
    const { client } = await connect(parseConnectionConfig(onPremise(dv, PETRA.sam, PETRA.password), 'admin'), { retry: { maxAttempts: 1 } });
    try {
      const lines: string[] = [];
      const outcome = await importSolution(client, newer.zip, '0.3.0.0', { pollMs: 50, onProgress: (l) => lines.push(l) });
      expect(lines[0]).toBe('upgrading the crm-tapi solution 0.2.0.0 → 0.3.0.0 (an update: records and data stay)');
      expect(outcome.after).toMatchObject({ installed: true, version: '0.3.0.0' });
      const settings = await client.list<Record<string, unknown>>('ctapi_settings', { select: ['ctapi_name', 'ctapi_textvalue'] });
      expect(settings).toContainEqual(expect.objectContaining({ ctapi_name: 'IncallPhoneFields', ctapi_textvalue: 'account.fax' }));
    } finally {
      await client.close();
    }
  });
});
