// What an org without the crm-tapi solution cannot hold. Files named *ctapi*
// (our tables, our roles, the solution record) are left out; so is every other
// seed record that names a record of those files, e.g. a systemuserroles row
// giving a user one of our roles: in a real org nobody can assign a role
// before the import created it. Those held-back rows are what an admin writes
// after the import (docs/install-dynamics.md step 4); the e2e suite's seed step
// writes them through the Web API (test/e2e/support/seed-org.ts).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SimulatorError } from './errors.ts';
import { readJson, SOLUTION_FILE } from './metadata.ts';
import { isGuid } from './records.ts';

export interface SeedDocument {
  readonly file: string;
  readonly entity: string;
  readonly records: readonly Record<string, unknown>[];
}

export async function seedFileNames(seedDir: string): Promise<string[]> {
  try {
    return (await readdir(join(seedDir, 'seed'))).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
}

export async function readSeedDocument(seedDir: string, file: string): Promise<SeedDocument> {
  const path = join(seedDir, 'seed', file);
  const doc = await readJson(path);
  if (typeof doc !== 'object' || doc === null || typeof (doc as { entity?: unknown }).entity !== 'string' || !Array.isArray((doc as { records?: unknown }).records)) {
    throw new SimulatorError('sim-seed-invalid', `${path}: expected { "entity": "<logical name>", "records": [ … ] }`);
  }
  const { entity, records } = doc as { entity: string; records: unknown[] };
  records.forEach((r, i) => {
    if (typeof r !== 'object' || r === null) throw new SimulatorError('sim-seed-invalid', `${path}: record ${i} is not an object`);
  });
  return { file, entity, records: records as Record<string, unknown>[] };
}

/** The primary ids of the solution's seed records (every GUID under the table's `<logical name>id`). */
export async function solutionRecordIds(seedDir: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const file of (await seedFileNames(seedDir)).filter((n) => SOLUTION_FILE.test(n))) {
    const doc = await readSeedDocument(seedDir, file);
    for (const r of doc.records) {
      const id = r[`${doc.entity}id`];
      if (typeof id === 'string' && isGuid(id)) ids.add(id.toLowerCase());
    }
  }
  return ids;
}

/** Whether a seed record names one of `ids`, as a plain GUID value or in an `@odata.bind` path. */
export function namesAny(record: Record<string, unknown>, ids: ReadonlySet<string>): boolean {
  return Object.entries(record).some(([key, value]) => {
    if (typeof value !== 'string') return false;
    const guid = key.endsWith('@odata.bind') ? /\(([0-9a-fA-F-]{36})\)$/.exec(value)?.[1] : value;
    return guid !== undefined && ids.has(guid.toLowerCase());
  });
}

/**
 * The rows an org started `withoutSolution` lacks besides what the import brings: seed records
 * outside the solution's files that name a record of them (role assignments of our roles).
 */
export async function heldBackSeed(seedDir: string): Promise<SeedDocument[]> {
  const ids = await solutionRecordIds(seedDir);
  const out: SeedDocument[] = [];
  for (const file of (await seedFileNames(seedDir)).filter((n) => !SOLUTION_FILE.test(n))) {
    const doc = await readSeedDocument(seedDir, file);
    const records = doc.records.filter((r) => namesAny(r, ids));
    if (records.length > 0) out.push({ ...doc, records });
  }
  return out;
}
