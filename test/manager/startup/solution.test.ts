// The manager against an org without the crm-tapi solution: instead of
// retrying 404s it says, in one sentence, what is missing and what to run, and
// waits (checking again with its CRM back-off); once an admin imported the
// solution it goes on, creating the setting records the manual lists. The
// sentences for an outdated solution, and version order, are checked too.
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startSimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { connect } from '../../../src/dataverse/connection.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { importSolution } from '../../../src/dataverse/solution/import.ts';
import { checkSolution, describeSolutionState, solutionState } from '../../../src/dataverse/solution/installed.ts';
import { DataverseError } from '../../../src/dataverse/web-api/errors.ts';
import type { DataverseApi } from '../../../src/dataverse/web-api/types.ts';
import { compareVersions, solutionVersion } from '../../../src/dataverse/solution/model.ts';
import { solutionFiles, zipSolution } from '../../../src/dataverse/solution/package.ts';
import { webResources } from '../../../src/dataverse/solution/model.ts';
import { startManager } from '../../../src/manager/manager.ts';
import { seedImportedOrg } from '../../support/admin-setup.ts';
import { WebApiUser } from '../../e2e/support/webapi.ts';
import { LogCapture } from '../support/gateway.ts';
import { managerConfig, SERVICE } from '../support/manager.ts';
import { until } from '../support/raw-connector.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An org that got the solution by import (an admin's), before step 4 of the guide: no role for the manager's account yet. */
async function orgWithImportedSolution() {
  const dv = await startSimulatedDataverse({ port: 0, withoutSolution: true });
  cleanups.push(() => dv.close());
  const zip = zipSolution(solutionFiles({ prefix: 'ctapi', version: '0.2.0.0', content: new Map(webResources().map((w) => [w.name, new Uint8Array([32])])) }));
  const admin = await connect(parseConnectionConfig({ CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: 'CONTOSO\\phoffmann', CrmPassword: 'Test-only-phoffmann-1!' }, 'admin'));
  cleanups.push(() => admin.client.close());
  await importSolution(admin.client, zip, '0.2.0.0', { pollMs: 50 });
  return dv;
}

const MISSING = 'the crm-tapi solution is not installed in org contoso; run `crm-tapi solution import`; the manager waits and checks again';

describe('the manager and the crm-tapi solution', () => {
  it('says the solution is missing, waits without opening ports, and starts once it was imported and its account got its role', async () => {
    const dv = await startSimulatedDataverse({ port: 0, withoutSolution: true });
    cleanups.push(() => dv.close());
    const logs = new LogCapture();
    const starting = startManager(managerConfig(dv.url), { logger: pino({ level: 'debug' }, logs), crmFirstDelayMs: 50, userSide: null });
    let started = false;
    void starting.then(() => (started = true), () => undefined);
    await until(() => logs.messages().filter((m) => m === MISSING).length >= 2, 'the sentence, twice', 20_000);
    expect(started).toBe(false);
    expect(logs.text).not.toContain('TAPI port open');
    expect(logs.text).not.toMatch(/HTTP 404/);

    const zip = zipSolution(solutionFiles({ prefix: 'ctapi', version: '0.2.0.0', content: new Map(webResources().map((w) => [w.name, new Uint8Array([32])])) }));
    const admin = await connect(parseConnectionConfig({ CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: 'CONTOSO\\phoffmann', CrmPassword: 'Test-only-phoffmann-1!' }, 'admin'));
    cleanups.push(() => admin.client.close());
    await importSolution(admin.client, zip, '0.2.0.0', { pollMs: 50 });
    // Step 4 of the guide: the manager's account gets TapiManager Account (it exists only now).
    await seedImportedOrg(dv, await WebApiUser.signIn(dv, 'petra'));

    const manager = await starting;
    cleanups.push(() => manager.stop());
    expect(manager.ports.tapi).toBeGreaterThan(0);
    expect(logs.messages()).toContain('the crm-tapi solution 0.2.0.0 is installed in org contoso');
    expect(logs.messages()).toContain('setting records created on the first CRM connection');
    const names = [...dv.store.all('ctapi_setting')].map((s) => s['ctapi_name']).sort();
    expect(names).toEqual(['IncallPhoneFields', 'WriteConfigLog']);
  }, 60_000);

  it('after the import but before step 4 (no role for its account) it names the missing role and waits; once the role is given it starts', async () => {
    const dv = await orgWithImportedSolution();
    const logs = new LogCapture();
    const starting = startManager(managerConfig(dv.url), { logger: pino({ level: 'debug' }, logs), crmFirstDelayMs: 50, userSide: null });
    let started = false;
    void starting.then(() => (started = true), () => undefined);
    const unassigned = 'the crm-tapi solution is installed in org contoso, but this account has no role of it yet; give it TapiManager Account (docs/install-dynamics.md, step 4); the manager waits and checks again';
    await until(() => logs.messages().filter((m) => m === unassigned).length >= 2, 'the sentence, twice', 20_000);
    expect(started).toBe(false);
    expect(logs.text).not.toContain('TAPI port open');
    expect(logs.text).not.toContain('prvReadctapi_setting');

    await seedImportedOrg(dv, await WebApiUser.signIn(dv, 'petra'));
    const manager = await starting;
    cleanups.push(() => manager.stop());
    expect(logs.messages()).toContain('the crm-tapi solution 0.2.0.0 is installed in org contoso');
    expect([...dv.store.all('ctapi_setting')].map((s) => s['ctapi_name']).sort()).toEqual(['IncallPhoneFields', 'WriteConfigLog']);
  }, 60_000);

  it('an import between the solutions read (still forbidden) and the metadata read (the table is there) is seen: it asks once more', async () => {
    let solutionReads = 0;
    const api = {
      list: async () => {
        solutionReads += 1;
        if (solutionReads === 1) throw new DataverseError('forbidden', 'prvReadSolution missing', { status: 403 });
        return [{ solutionid: 's', uniquename: 'crmtapi', version: '0.2.0.0', ismanaged: false }];
      },
      retrieve: async () => ({ LogicalName: 'ctapi_lineconfig' }),
    } as unknown as DataverseApi;
    const checked = await checkSolution(api, 'contoso');
    expect(solutionReads).toBe(2);
    expect(checked?.sentence).toBe('the crm-tapi solution 0.2.0.0 is installed in org contoso');
  });

  /** Solutions refused for the first `refusedReads` reads (no role of ours, or one without prvReadSolution); our settings readable. */
  function roleArrivesAfter(refusedReads: number) {
    const reads: string[] = [];
    const api = {
      list: async (entitySet: string) => {
        reads.push(entitySet);
        if (entitySet !== 'solutions') return [];
        if (reads.filter((r) => r === 'solutions').length <= refusedReads) throw new DataverseError('forbidden', 'prvReadSolution missing', { status: 403 });
        return [{ solutionid: 's', uniquename: 'crmtapi', version: '0.2.0.0', ismanaged: false }];
      },
      retrieve: async () => ({ LogicalName: 'ctapi_lineconfig' }),
    } as unknown as DataverseApi;
    return { api, reads };
  }

  // CI, two test files at a time on a loaded machine: the role came between the second solutions read and the
  // settings read, and the manager warned that its account may not read solutions and skipped the version check.
  it('a role given between the second solutions read and the settings read is seen: it asks a third time', async () => {
    const { api, reads } = roleArrivesAfter(2);
    const checked = await checkSolution(api, 'contoso');
    expect(reads).toEqual(['solutions', 'solutions', 'ctapi_settings', 'solutions']);
    expect(checked?.sentence).toBe('the crm-tapi solution 0.2.0.0 is installed in org contoso');
  });

  // The same race on the simulated Dataverse, whose refusals are its privilege checks, not a stub's: the manager's
  // account holds no role until step 4 is done, which here happens right before the check reads our settings.
  it('on the simulated Dataverse: a role given during the check, after two refused solutions reads, is seen', async () => {
    const dv = await orgWithImportedSolution();
    const account = await connect(parseConnectionConfig({ CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password }, 'manager'));
    cleanups.push(() => account.client.close());
    const reads: string[] = [];
    const refused: string[] = [];
    const api: DataverseApi = Object.create(account.client as object) as DataverseApi;
    api.list = async (entitySet: string, query?: unknown) => {
      reads.push(entitySet);
      if (entitySet === 'ctapi_settings') await seedImportedOrg(dv, await WebApiUser.signIn(dv, 'petra'));
      try {
        return await account.client.list(entitySet, query as Parameters<DataverseApi['list']>[1]);
      } catch (err) {
        if (err instanceof DataverseError) refused.push(`${entitySet} ${err.code}`);
        throw err;
      }
    };
    const checked = await checkSolution(api, 'contoso');
    expect(refused).toEqual(['solutions forbidden', 'solutions forbidden']);
    expect(reads).toEqual(['solutions', 'solutions', 'ctapi_settings', 'solutions']);
    expect(checked?.sentence).toBe('the crm-tapi solution 0.2.0.0 is installed in org contoso');
  }, 60_000);

  it('a role of ours without prvReadSolution: our settings are readable, solutions never; the version is not checked', async () => {
    const { api, reads } = roleArrivesAfter(Number.POSITIVE_INFINITY);
    expect(await checkSolution(api, 'contoso')).toBeUndefined();
    expect(reads).toEqual(['solutions', 'solutions', 'ctapi_settings', 'solutions']);
  });

  it('names an outdated solution with both versions', () => {
    const state = solutionState({ installed: true, version: '1.2.0.0', managed: true, id: 'x' }, '1.3.0.0');
    expect(describeSolutionState(state, 'contoso')).toBe('the crm-tapi solution in org contoso is outdated: installed 1.2.0.0, this manager needs ≥ 1.3.0.0; run `crm-tapi solution import`');
    expect(solutionState({ installed: true, version: '1.3.0.1', managed: false, id: 'x' }, '1.3.0.0').kind).toBe('ok');
  });

  fcTest.prop([fc.array(fc.nat({ max: 999 }), { minLength: 1, maxLength: 4 }), fc.array(fc.nat({ max: 999 }), { minLength: 1, maxLength: 4 })])(
    'version order is numeric per part and antisymmetric',
    (a, b) => {
      const [va, vb] = [a.join('.'), b.join('.')];
      expect(compareVersions(va, vb) + compareVersions(vb, va)).toBe(0);
      expect(compareVersions(`${va}.1`, va)).toBe(1);
      expect(compareVersions(solutionVersion(va), va)).toBe(0);
    },
  );
});
