// An org that got the crm-tapi solution the way a customer's org does: the
// simulated Dataverse starts WITHOUT the solution, an administrator runs the
// import (`importSolution`, the function `crm-tapi solution import` calls)
// through the Web API, then sets the org up through the Web API as an admin
// would (seedImportedOrg: the role assignments). docs/testing-e2e.md, "Two orgs".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildClient } from '../../../scripts/build-client.ts';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { connect } from '../../../src/dataverse/connection.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { buildSolution } from '../../../src/dataverse/solution/build.ts';
import { importSolution } from '../../../src/dataverse/solution/import.ts';
import { seedImportedOrg } from '../../support/admin-setup.ts';
import { USERS, WebApiUser } from './webapi.ts';

export const IMPORTED_VERSION = '0.1.0.0';

let zip: Promise<Uint8Array> | undefined;

/** The solution zip, built once per test file (the client bundle is part of it). */
export function solutionZip(): Promise<Uint8Array> {
  zip ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-e2e-client-'));
    try {
      await buildClient(dir);
      return (await buildSolution({ version: IMPORTED_VERSION, clientDir: dir })).zip;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
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
