// Shared by the solution tests: the browser client built once per test file
// into a temporary folder, the bundled solution zip, and zip surgery for the
// bad cases (rewrite one entry's text and zip again).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { buildClient } from '../../../scripts/build-client.ts';
import { buildSolution, type BuiltSolution } from '../../../src/dataverse/solution/build.ts';
import { schemaDir } from '../../../src/dataverse/solution/xsd.ts';

export const VERSION = '0.2.0.0';
export const XSD_DIR = schemaDir();
export const XSD_PRESENT = existsSync(join(XSD_DIR, 'CustomizationsSolution.xsd'));

export interface Built extends BuiltSolution {
  clientDir: string;
  cleanup(): void;
}

export async function builtSolution(): Promise<Built> {
  const clientDir = mkdtempSync(join(tmpdir(), 'crm-tapi-solution-client-'));
  await buildClient(clientDir);
  const built = await buildSolution({ version: VERSION, clientDir });
  return { ...built, clientDir, cleanup: () => rmSync(clientDir, { recursive: true, force: true }) };
}

/** The zip with `entry`'s text changed by `edit` (which must change something). */
export function mutate(zip: Uint8Array, entry: string, edit: (text: string) => string): Uint8Array {
  const files = unzipSync(zip);
  const before = new TextDecoder().decode(files[entry]);
  const after = edit(before);
  if (after === before) throw new Error(`the edit of ${entry} changed nothing`);
  files[entry] = new TextEncoder().encode(after);
  return zipSync(files);
}

export interface CliRun { status: number; stdout: string; stderr: string }

/** Runs `crm-tapi <args>` through the CLI's own entry (main), capturing what it prints. */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  const { main } = await import('../../../src/cli/main.ts');
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const status = await main(['node', 'crm-tapi', ...args]);
    return { status, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
}
