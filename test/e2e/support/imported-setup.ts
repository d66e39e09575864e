// globalSetup of the vitest project e2e-imported: builds the client bundle and
// the solution zip once for the whole run (instead of once per test file) and
// hands the zip's path to the files (imported-org.ts reads it with inject).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildSolutionZip } from './solution-zip.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    crmTapiSolutionZip: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-e2e-imported-'));
  const path = join(dir, 'crmtapi.zip');
  writeFileSync(path, await buildSolutionZip());
  project.provide('crmTapiSolutionZip', path);
  return () => rmSync(dir, { recursive: true, force: true });
}
