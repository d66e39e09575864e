// Step 4 of docs/install-dynamics.md, done the way an administrator does it
// after `crm-tapi solution import`: through the Web API, row by row. The rows
// are the seed's held-back rows (simulator/dataverse/solution-seed.ts: those an
// org without the solution could not hold, today the role assignments of the
// solution's roles), so the imported org ends up with the seeded org's data
// whatever fixtures/crm/seed says, without this file naming a role.
import { DEFAULT_SEED_DIR, heldBackSeed, type SimulatedDataverse } from '../../simulator/dataverse/index.ts';

/** The admin's Web API session (test/e2e/support/webapi.ts: WebApiUser). */
export interface AdminSession {
  call(method: string, path: string, body?: unknown): Promise<unknown>;
}

/** Intersect tables are written by associating the two records, never by POST to a set (Dataverse refuses that). */
const ASSOCIATIONS: Readonly<Record<string, { set: string; key: string; relationship: string }>> = {
  systemuserroles: { set: 'systemusers', key: 'systemuserid', relationship: 'systemuserroles_association' },
  teamroles: { set: 'teams', key: 'teamid', relationship: 'teamroles_association' },
};

/** Writes every held-back seed row through the Web API as `admin`; returns how many. */
export async function seedImportedOrg(dv: SimulatedDataverse, admin: AdminSession, seedDir = DEFAULT_SEED_DIR): Promise<number> {
  let written = 0;
  for (const doc of await heldBackSeed(seedDir)) {
    const association = ASSOCIATIONS[doc.entity];
    const set = dv.metadata.entity(doc.entity)?.entitySetName;
    for (const record of doc.records) {
      if (association !== undefined) {
        await admin.call('POST', `${association.set}(${String(record[association.key])})/${association.relationship}/$ref`, { '@odata.id': `${dv.orgWebApiUrl}roles(${String(record['roleid'])})` });
      } else {
        if (set === undefined) throw new Error(`${doc.file}: the org has no table ${doc.entity} after the import`);
        const { $createdon: _createdon, $privileges: _privileges, ...body } = record;
        await admin.call('POST', set, body);
      }
      written += 1;
    }
  }
  return written;
}
