// Renders our three security roles (solution/model.ts) as a seed file of the
// simulated Dataverse, so the simulated org holds exactly the roles and
// privileges the solution ships (its ids included).
//   npx tsx src/dataverse/schema-roles.ts > fixtures/crm/seed/05-roles-ctapi.json
// test/dataverse/solution/drift.test.ts fails when the committed file drifts. A simulated
// org started without the solution leaves this file out (its name contains "ctapi").
import { roles } from './solution/model.ts';

/** The root business unit of fixtures/crm (seed/02-businessunits.json). */
export const SEED_ROOT_BUSINESS_UNIT = '32953ba2-dd63-5dae-ae3e-1aa8ff17cf1e';

export function renderSeedRoles(prefix?: string, businessUnitId = SEED_ROOT_BUSINESS_UNIT): string {
  const doc = {
    $comment: 'GENERATED from src/dataverse/solution/model.ts: npx tsx src/dataverse/schema-roles.ts > fixtures/crm/seed/05-roles-ctapi.json',
    entity: 'role',
    records: roles(prefix).map((r) => ({
      roleid: r.id,
      name: r.name,
      'businessunitid@odata.bind': `/businessunits(${businessUnitId})`,
      // name → depth (Basic, Local, Deep, Global), as the solution's role XML carries them.
      $privileges: Object.fromEntries(Object.entries(r.privileges).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    })),
  };
  return `${JSON.stringify(doc, null, 1)}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.stdout.write(renderSeedRoles(process.argv[2]));
}
