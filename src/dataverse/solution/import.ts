// `crm-tapi solution import` and `status` through the Web API: ImportSolution
// with the zip as base64 and our own ImportJobId, then importjobs(id) for the
// per-component results, then PublishAllXml. Runs as an administrator (or
// System Customizer), never as the manager's account.
import { randomUUID } from 'node:crypto';
import { CrmTapiError } from '../../protocol/errors.ts';
import type { DataverseClient } from '../web-api/client.ts';
import { DataverseError } from '../web-api/errors.ts';
import { compareVersions } from './model.ts';
import { installedSolution, type InstalledSolution } from './installed.ts';
import { list, obj, parseXml, str, type XmlObject } from './read.ts';

export class SolutionImportError extends CrmTapiError {
  readonly code = 'solution-import-failed';
}

export interface ComponentResult {
  readonly kind: string;
  readonly name: string;
  readonly result: string;
  readonly error?: string;
}

export interface ImportOutcome {
  readonly importJobId: string;
  readonly components: readonly ComponentResult[];
  readonly published: boolean;
  readonly before: InstalledSolution;
  readonly after: InstalledSolution;
}

export interface ImportOptions {
  readonly publish?: boolean;
  readonly overwrite?: boolean;
  /** How often importjobs(id) is read while the import runs, and for how long. */
  readonly pollMs?: number;
  readonly pollBudgetMs?: number;
  readonly onProgress?: (line: string) => void;
}

/** Per-component results from the `data` XML of an import job. */
export function componentResults(data: string): ComponentResult[] {
  if (data.trim() === '') return [];
  const out: ComponentResult[] = [];
  const visit = (tag: string, node: unknown): void => {
    for (const item of Array.isArray(node) ? node : [node]) {
      const o = obj(item);
      const result = list(o['result'])[0];
      if (result !== undefined && tag !== 'importexportxml') {
        const error = str(result['@_errortext']);
        out.push({ kind: tag, name: str(o['@_LocalizedName']) || str(o['@_name']) || str(o['@_id']), result: str(result['@_result']) || 'unknown', ...(error !== '' ? { error } : {}) });
      }
      for (const [k, v] of Object.entries(o)) if (!k.startsWith('@_') && k !== 'result' && typeof v === 'object') visit(k, v);
    }
  };
  const doc: XmlObject = parseXml(data, 'the import job data');
  for (const [k, v] of Object.entries(doc)) visit(k, v);
  return out;
}

export async function importSolution(client: DataverseClient, zip: Uint8Array, version: string, options: ImportOptions = {}): Promise<ImportOutcome> {
  const say = options.onProgress ?? (() => undefined);
  // An account that may not read solutions meets Dataverse's own refusal of the import below.
  const before = await installedSolution(client).catch((err: unknown): InstalledSolution => {
    if (err instanceof DataverseError && err.code === 'forbidden') return { installed: false };
    throw err;
  });
  if (before.installed && compareVersions(version, before.version) < 0) {
    throw new SolutionImportError(`the org has crm-tapi solution ${before.version}; ${version} is older and Dataverse does not import a lower version over a higher one`);
  }
  say(before.installed ? `upgrading the crm-tapi solution ${before.version} → ${version} (an update: records and data stay)` : `importing the crm-tapi solution ${version}`);
  const importJobId = randomUUID();
  try {
    await client.invoke('ImportSolution', {
      CustomizationFile: Buffer.from(zip).toString('base64'),
      ImportJobId: importJobId,
      OverwriteUnmanagedCustomizations: options.overwrite ?? false,
      PublishWorkflows: true,
    });
  } catch (err) {
    // A synchronous import that outlives the request still finishes on the server: read its job.
    if (!(err instanceof DataverseError && err.code === 'timeout')) throw err;
    say('the import is still running on the server; following its import job');
  }
  const components = await followJob(client, importJobId, options);
  const failed = components.filter((c) => c.result !== 'success');
  for (const c of components) say(`  ${c.kind} ${c.name}: ${c.result}${c.error !== undefined ? ` (${c.error})` : ''}`);
  if (failed.length > 0) throw new SolutionImportError(`${failed.length} component(s) failed to import: ${failed.map((c) => `${c.kind} ${c.name}: ${c.error ?? c.result}`).join('; ')}`);
  let published = false;
  if (options.publish ?? true) {
    await client.invoke('PublishAllXml');
    published = true;
    say('published all customizations');
  }
  const after = await installedSolution(client);
  return { importJobId, components, published, before, after };
}

async function followJob(client: DataverseClient, id: string, options: ImportOptions): Promise<ComponentResult[]> {
  const deadline = Date.now() + (options.pollBudgetMs ?? 30 * 60_000);
  for (;;) {
    const job = await client.retrieve<Record<string, unknown>>('importjobs', id, ['progress', 'completedon', 'data']);
    if (job === null) throw new SolutionImportError(`import job ${id} does not exist: the server did not start the import`);
    if (job.completedon !== null && job.completedon !== undefined) return componentResults(String(job.data ?? ''));
    if (Date.now() > deadline) throw new SolutionImportError(`import job ${id} did not finish in time (progress ${String(job.progress ?? '?')} %)`);
    options.onProgress?.(`import progress ${String(job.progress ?? 0)} %`);
    await new Promise((r) => setTimeout(r, options.pollMs ?? 2_000));
  }
}

export type StatusVerdict = 'not-installed' | 'older' | 'same' | 'newer';

export function compareWithBundled(installed: InstalledSolution, bundled: string): StatusVerdict {
  if (!installed.installed) return 'not-installed';
  const c = compareVersions(installed.version, bundled);
  return c < 0 ? 'older' : c === 0 ? 'same' : 'newer';
}

export function describeStatus(installed: InstalledSolution, bundled: string, org: string): string {
  switch (compareWithBundled(installed, bundled)) {
    case 'not-installed':
      return `org ${org}: the crm-tapi solution is not installed; this crm-tapi bundles ${bundled} (run \`crm-tapi solution import\`)`;
    case 'older':
      return `org ${org}: installed ${installed.installed ? installed.version : ''}, this crm-tapi bundles ${bundled}: run \`crm-tapi solution import\` to update`;
    case 'same':
      return `org ${org}: installed ${bundled}, the same as this crm-tapi bundles`;
    case 'newer':
      return `org ${org}: installed ${installed.installed ? installed.version : ''} is newer than the ${bundled} this crm-tapi bundles: update crm-tapi`;
  }
}
