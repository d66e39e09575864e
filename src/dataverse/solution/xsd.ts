// XSD validation with libxml2's xmllint (Debian: libxml2-utils) against
// Microsoft's solution-file schemas. The schemas are Microsoft's files and stay
// outside this MIT project: CRM_TAPI_DATAVERSE_XSD names their folder, else
// ../shared/dataverse-xsd/ beside the repository (where CI keeps them).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const XSD_ENV = 'CRM_TAPI_DATAVERSE_XSD';
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function schemaDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[XSD_ENV];
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : resolve(REPO_ROOT, '..', 'shared', 'dataverse-xsd');
}

export interface XsdDocument {
  /** Shown in messages, e.g. `customizations.xml` or `customizations.xml: form {id}`. */
  readonly label: string;
  readonly xml: string;
  /** File name of the schema inside the schema folder. */
  readonly schema: string;
}

export type XsdOutcome =
  | { ran: true; problems: string[] }
  | { ran: false; reason: string };

function run(file: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (err, _stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      done({ code, stderr: String(stderr) + (err !== null && code === -1 ? String(err.message) : '') });
    });
  });
}

/** Validates each document against its schema; problems are `label:line: message` sentences. */
export async function validateXsd(documents: readonly XsdDocument[], dir: string = schemaDir(), xmllint = 'xmllint'): Promise<XsdOutcome> {
  if (!existsSync(join(dir, 'CustomizationsSolution.xsd'))) {
    return { ran: false, reason: `XSD check skipped: Microsoft's solution schemas are not in ${dir} (set ${XSD_ENV} to their folder)` };
  }
  const probe = await run(xmllint, ['--version']);
  if (probe.code !== 0) return { ran: false, reason: `XSD check skipped: ${xmllint} is not installed (Debian: apt-get install libxml2-utils)` };
  const work = await mkdtemp(join(tmpdir(), 'crm-tapi-xsd-'));
  const problems: string[] = [];
  try {
    for (const [i, doc] of documents.entries()) {
      const path = join(work, `doc${i}.xml`);
      await writeFile(path, doc.xml);
      const { code, stderr } = await run(xmllint, ['--noout', '--schema', join(dir, doc.schema), path]);
      if (code === 0) continue;
      const lines = stderr.split('\n').filter((l) => l.startsWith(path));
      for (const l of lines.length > 0 ? lines : [stderr.trim()]) {
        problems.push(`${doc.label}${l.slice(path.length).replace(/^:(\d+):/, ':$1:').replace(/Schemas validity error : /, '')}`);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { ran: true, problems };
}
