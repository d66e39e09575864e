// An org that got the crm-tapi solution the way a customer's org does: the
// simulated Dataverse starts WITHOUT the solution, an administrator runs the
// import (`importSolution`, the function `crm-tapi solution import` calls)
// through the Web API, then sets the org up through the Web API as an admin
// would (seedImportedOrg: the role assignments). docs/testing-e2e.md, "Two orgs".
import { readFile } from 'node:fs/promises';
import { inject } from 'vitest';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { connect } from '../../../src/dataverse/connection.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { importSolution } from '../../../src/dataverse/solution/import.ts';
import { seedImportedOrg } from '../../support/admin-setup.ts';
import { buildSolutionZip, IMPORTED_VERSION } from './solution-zip.ts';
import { USERS, WebApiUser } from './webapi.ts';

let zip: Promise<Uint8Array> | undefined;

/** The solution zip: the one the project's globalSetup built for the run, else built here once per file. */
export function solutionZip(): Promise<Uint8Array> {
  const built = inject('crmTapiSolutionZip') as string | undefined;
  zip ??= built !== undefined ? readFile(built) : buildSolutionZip();
  return zip;
}

/**
 * A simulated Dataverse without the solution, the solution imported and published by Petra
 * (System Administrator), then step 4 of the guide: the roles assigned through the Web API.
 */
export async function startImportedOrg(): Promise<SimulatedDataverse> {
  const [bytes, dv] = await Promise.all([solutionZip(), startSimulatedDataverse({ port: 0, withoutSolution: true })]);
  try {
    if (dv.metadata.entity('ctapi_lineconfig') !== undefined) throw new Error('the org already has the solution');
    const { client } = await connect(parseConnectionConfig({
      CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: USERS.petra.sam, CrmPassword: USERS.petra.password,
    }, 'admin'), { retry: { maxAttempts: 2 } });
    try {
      await importSolution(client, bytes, IMPORTED_VERSION, { publish: true, pollMs: 25 });
    } finally {
      await client.close();
    }
    await seedImportedOrg(dv, await WebApiUser.signIn(dv, 'petra'));
    return dv;
  } catch (err) {
    await dv.close();
    throw err;
  }
}
