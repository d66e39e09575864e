// `crm-tapi solution build|validate|import|status|customize-forms`: the
// Dynamics 365 solution of crm-tapi (docs/install-dynamics.md). import, status
// and customize-forms read the Crm* keys of a configuration file for an
// administrator's account, never the manager's.
import type { Command } from 'commander';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, readConfigFile } from '../../config/file.ts';
import { connect } from '../../dataverse/connection.ts';
import { parseConnectionConfig, type ConnectionConfig } from '../../dataverse/connection-config.ts';
import { buildSolution, writeUnpacked, type BuiltSolution } from '../../dataverse/solution/build.ts';
import { DEFAULT_CLIENT_DIR } from '../../dataverse/solution/content.ts';
import { customizeForms } from '../../dataverse/solution/forms.ts';
import { importSolution, describeStatus, compareWithBundled } from '../../dataverse/solution/import.ts';
import { installedSolution } from '../../dataverse/solution/installed.ts';
import { solutionVersion } from '../../dataverse/solution/model.ts';
import { readSolution } from '../../dataverse/solution/read.ts';
import { validateSolution } from '../../dataverse/solution/validate.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { CliExit, fail, printError } from '../output.ts';

/** The four-part version of this crm-tapi (package.json). */
export async function bundledVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return solutionVersion(pkg.version);
}

async function adminConfig(path: string, minTimeoutSeconds = 0): Promise<ConnectionConfig> {
  try {
    const config = parseConnectionConfig(await readConfigFile(path), path);
    // A synchronous ImportSolution can take minutes on a real org.
    return { ...config, CrmRequestTimeout: Math.max(config.CrmRequestTimeout, minTimeoutSeconds) };
  } catch (err) {
    if (err instanceof ConfigError) fail(err.code, err.message, 2);
    throw err;
  }
}

async function bundled(options: { client?: string; prefix?: string }): Promise<BuiltSolution> {
  return buildSolution({ version: await bundledVersion(), clientDir: resolve(options.client ?? DEFAULT_CLIENT_DIR), ...(options.prefix ? { prefix: options.prefix } : {}) });
}

/** Runs a command body; typed errors become the one-line `error: code: …` and exit 1. */
async function guarded(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof CrmTapiError) fail(err.code, err.message);
    throw err;
  }
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);

export function registerSolution(program: Command): void {
  const solution = program.command('solution').description('The crm-tapi solution for Dynamics 365: build, validate, import, status, customize forms');

  solution.command('build')
    .description('Write the unmanaged solution zip (version from package.json)')
    .option('--out <dir>', 'folder for the zip', 'dist/solution')
    .option('--unpacked <dir>', 'also write the SolutionPackager folder layout here, for reviewing diffs')
    .option('--client <dir>', 'the built browser client (npx tsx scripts/build-client.ts)', DEFAULT_CLIENT_DIR)
    .option('--prefix <prefix>', 'publisher prefix (CrmPublisherPrefix)')
    .action((o: { out: string; unpacked?: string; client: string; prefix?: string }) => guarded(async () => {
      const built = await bundled(o);
      await mkdir(resolve(o.out), { recursive: true });
      const file = join(resolve(o.out), built.fileName);
      await writeFile(file, built.zip);
      say(`wrote ${file} (crm-tapi solution ${built.version}, unmanaged, ${built.zip.length} bytes)`);
      if (o.unpacked !== undefined) {
        const n = await writeUnpacked(resolve(o.unpacked), { version: built.version, content: built.content, ...(o.prefix ? { prefix: o.prefix } : {}) });
        say(`wrote ${n} files into ${resolve(o.unpacked)}`);
      }
    }));

  solution.command('validate [zip]')
    .description('Check a solution zip (default: the bundled one): structure, XSD, and the rules no XSD sees')
    .option('--schemas <dir>', 'folder with Microsoft\'s solution XSDs (default: $CRM_TAPI_DATAVERSE_XSD or ../shared/dataverse-xsd)')
    .option('--client <dir>', 'the built browser client, when no zip is given', DEFAULT_CLIENT_DIR)
    .action((zip: string | undefined, o: { schemas?: string; client: string }) => guarded(async () => {
      const bytes = zip !== undefined ? new Uint8Array(await readFile(zip).catch(() => fail('file-unreadable', `${zip} cannot be read`, 2))) : (await bundled(o)).zip;
      const report = await validateSolution(bytes, o.schemas !== undefined ? { schemaDir: resolve(o.schemas) } : {});
      if (report.xsdSkipped !== undefined) say(report.xsdSkipped);
      for (const p of report.problems) printError('solution-invalid', p);
      if (!report.ok) throw new CliExit(1);
      say(`ok: crm-tapi solution ${report.version ?? '?'} is valid`);
    }));

  solution.command('import [zip]')
    .description('Import the solution (default: the bundled one) as an administrator, then publish')
    .requiredOption('--config <file>', 'configuration with the Crm* keys of an administrator or System Customizer account')
    .option('--publish', 'publish all customizations after the import (default)')
    .option('--no-publish', 'leave publishing to the admin')
    .option('--overwrite', 'overwrite unmanaged customizations of the same components')
    .option('--client <dir>', 'the built browser client, when no zip is given', DEFAULT_CLIENT_DIR)
    .action((zip: string | undefined, o: { config: string; publish: boolean; overwrite?: boolean; client: string }) => guarded(async () => {
      const config = await adminConfig(o.config, 600);
      const bytes = zip !== undefined ? new Uint8Array(await readFile(zip).catch(() => fail('file-unreadable', `${zip} cannot be read`, 2)))
        : (await bundled({ client: o.client, prefix: config.CrmPublisherPrefix })).zip;
      const version = readSolution(bytes).version;
      const { client } = await connect(config, { retry: { maxAttempts: 2 } });
      try {
        const outcome = await importSolution(client, bytes, version, { publish: o.publish, overwrite: o.overwrite === true, pollMs: 500, onProgress: say });
        say(`ok: crm-tapi solution ${outcome.after.installed ? outcome.after.version : version} is installed in org ${config.CrmOrganisation}${outcome.published ? ' and published' : ' (not published)'}`);
      } finally {
        await client.close();
      }
    }));

  solution.command('status')
    .description('Compare the solution installed in the org with the one this crm-tapi bundles (exit 0 same or newer, 3 older, 4 not installed)')
    .requiredOption('--config <file>', 'configuration with the Crm* keys (any account that may read solutions)')
    .action((o: { config: string }) => guarded(async () => {
      const config = await adminConfig(o.config);
      const version = await bundledVersion();
      const { client } = await connect(config, { retry: { maxAttempts: 2 } });
      try {
        const installed = await installedSolution(client);
        say(describeStatus(installed, version, config.CrmOrganisation));
        const verdict = compareWithBundled(installed, version);
        if (verdict === 'not-installed') throw new CliExit(4);
        if (verdict === 'older') throw new CliExit(3);
      } finally {
        await client.close();
      }
    }));

  solution.command('customize-forms')
    .description('Put the crm-tapi web resource on the main forms of the given tables and publish them (manual 4.2)')
    .requiredOption('--config <file>', 'configuration with the Crm* keys of an administrator or System Customizer account')
    .option('--tables <list>', 'comma-separated table logical names', 'account,contact,lead')
    .option('--no-publish', 'leave publishing to the admin')
    .action((o: { config: string; tables: string; publish: boolean }) => guarded(async () => {
      const config = await adminConfig(o.config);
      const tables = o.tables.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
      if (tables.length === 0 || tables.some((t) => !/^[a-z][a-z0-9_]*$/.test(t))) fail('tables-invalid', `--tables "${o.tables}": give table logical names, e.g. account,contact,lead`, 2);
      const { client } = await connect(config, { retry: { maxAttempts: 2 } });
      try {
        const changes = await customizeForms(client, tables, { prefix: config.CrmPublisherPrefix, publish: o.publish });
        for (const c of changes) say(`${c.table}: form "${c.form}" ${c.changed ? 'now holds the crm-tapi web resource' : 'already held the crm-tapi web resource'}`);
        say(o.publish && changes.some((c) => c.changed) ? 'published' : 'nothing published');
      } finally {
        await client.close();
      }
    }));
}
