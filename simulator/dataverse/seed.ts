// Loading seed records: every `seed/*.json` of the seed directory, in file-name order, each
// `{ "entity": "<logical name>", "records": [ <Web API JSON>, … ] }`. Records use the same JSON
// a client would POST (lookups with `@odata.bind`), so the seed is checked by the same rules.
// Two seed-only keys: `$privileges` on a role (privilege names, `*` wildcards allowed, held
// organisation-wide; or an object of privilege name → depth) and
// `$createdon` (an ISO date-time to backdate createdon/modifiedon).
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ODataError, SimulatorError } from './errors.ts';
import { readJson, SOLUTION_FILE, type Metadata } from './metadata.ts';
import { allPrivilegeNames, DEPTH_MASK, type Depth } from './privileges.ts';
import { namesAny, solutionRecordIds } from './solution-seed.ts';
import type { RecordStore } from './store.ts';
import type { WriteService } from './writes.ts';

/** A stable GUID derived from a name (the seed's privileges get the same ids on every run). */
export function nameGuid(name: string): string {
  const h = createHash('sha1').update(`crm-tapi-sim:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The SYSTEM user every seed record is created by (real Dataverse has one too). */
export const SYSTEM_USER_ID = nameGuid('systemuser:SYSTEM');

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/**
 * A role's `$privileges`: a list of names (`*` wildcards allowed) held at Global depth, or an
 * object of name → depth (`Basic`, `Local`, `Deep`, `Global`), as the solution's roles carry them.
 */
function grantSeedPrivileges(store: RecordStore, privilegeIds: Map<string, string>, roleid: string, spec: unknown, where: string): void {
  const entries: [string, Depth][] = Array.isArray(spec)
    ? spec.map((p) => [String(p), 'Global'])
    : typeof spec === 'object' && spec !== null ? Object.entries(spec as Record<string, unknown>).map(([k, v]) => [k, v as Depth]) : [];
  if (entries.length === 0 && !Array.isArray(spec)) throw new SimulatorError('sim-seed-invalid', `${where}: $privileges must be a list of names or an object of name → depth`);
  for (const [pattern, depth] of entries) {
    if (!(depth in DEPTH_MASK)) throw new SimulatorError('sim-seed-invalid', `${where}: privilege "${pattern}" has depth "${String(depth)}" (Basic, Local, Deep or Global)`);
    const re = wildcard(pattern);
    let matched = 0;
    for (const [pname, pid] of privilegeIds) {
      if (!re.test(pname)) continue;
      matched += 1;
      const rpid = nameGuid(`roleprivilege:${roleid}:${pid}`);
      store.put('roleprivileges', rpid, { roleprivilegeid: rpid, roleid, privilegeid: pid, privilegedepthmask: DEPTH_MASK[depth] });
    }
    if (matched === 0 && !pattern.includes('*')) throw new SimulatorError('sim-seed-invalid', `${where}: privilege "${pattern}" does not exist`);
  }
}

export async function loadSeed(seedDir: string, metadata: Metadata, store: RecordStore, writes: WriteService, now: number, options: { withoutSolution?: boolean } = {}): Promise<number> {
  const dir = join(seedDir, 'seed');
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json') && !(options.withoutSolution === true && SOLUTION_FILE.test(n))).sort();
  } catch {
    names = [];
  }
  // Rows that name a record of the left-out files wait for the admin (solution-seed.ts).
  const heldBack = options.withoutSolution === true ? await solutionRecordIds(seedDir) : new Set<string>();
  const privilegeIds = new Map<string, string>();
  store.transaction(() => {
    for (const name of allPrivilegeNames(metadata)) {
      const id = nameGuid(`privilege:${name}`);
      privilegeIds.set(name, id);
      if (metadata.entity('privilege')) store.put('privilege', id, { privilegeid: id, name, accessright: 0 });
    }
  });
  let count = 0;
  const actor = { callerId: SYSTEM_USER_ID, userId: SYSTEM_USER_ID, now };
  for (const file of names) {
    const path = join(dir, file);
    const doc = await readJson(path);
    if (typeof doc !== 'object' || doc === null || typeof (doc as { entity?: unknown }).entity !== 'string' || !Array.isArray((doc as { records?: unknown }).records)) {
      throw new SimulatorError('sim-seed-invalid', `${path}: expected { "entity": "<logical name>", "records": [ … ] }`);
    }
    const { entity: logical, records } = doc as { entity: string; records: unknown[] };
    const entity = metadata.entity(logical);
    if (!entity) throw new SimulatorError('sim-seed-invalid', `${path}: unknown entity "${logical}" (not in any metadata*.json)`);
    store.transaction(() => {
      records.forEach((raw, i) => {
        if (typeof raw !== 'object' || raw === null) throw new SimulatorError('sim-seed-invalid', `${path}: record ${i} is not an object`);
        if (namesAny(raw as Record<string, unknown>, heldBack)) return;
        const { $privileges, $createdon, ...body } = raw as Record<string, unknown>;
        const when = typeof $createdon === 'string' ? Date.parse($createdon) : now;
        if (Number.isNaN(when)) throw new SimulatorError('sim-seed-invalid', `${path}: record ${i}: $createdon "${String($createdon)}" is not a date-time`);
        let created;
        try {
          created = writes.create(entity, body, { ...actor, now: when }, undefined, { skipPrivileges: true, allowReadOnly: true });
        } catch (err) {
          if (err instanceof ODataError) throw new SimulatorError('sim-seed-invalid', `${path}: record ${i}: ${err.message}`);
          throw err;
        }
        count += 1;
        if ($privileges !== undefined) {
          if (logical !== 'role') throw new SimulatorError('sim-seed-invalid', `${path}: record ${i}: $privileges is only for roles`);
          grantSeedPrivileges(store, privilegeIds, String(created['roleid']), $privileges, `${path}: record ${i}`);
        }
      });
    });
  }
  return count;
}
