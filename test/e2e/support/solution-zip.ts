// The solution zip the imported org gets: the client bundle built into a
// temporary folder, then `buildSolution` (what `crm-tapi solution build` runs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildClient } from '../../../scripts/build-client.ts';
import { buildSolution } from '../../../src/dataverse/solution/build.ts';

export const IMPORTED_VERSION = '0.2.0.0';

export async function buildSolutionZip(): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-e2e-client-'));
  try {
    await buildClient(dir);
    return (await buildSolution({ version: IMPORTED_VERSION, clientDir: dir })).zip;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
