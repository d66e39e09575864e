// Which org the end-to-end suite runs on. The vitest project `default` runs
// test/e2e on the seeded org (fixtures/crm with the solution's tables and
// roles); the project `e2e-imported` runs the same files with
// CRM_TAPI_E2E_ORG=imported on an org that started without the solution, got
// it by ImportSolution and its role assignments from an admin through the Web
// API. This file proves each run is on the org it names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_IDS } from '../../src/dataverse/solution/model.ts';
import { e2eOrg, startStack, type Stack } from './support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

describe(`the e2e org (${e2eOrg()})`, () => {
  it('is the org the run asked for: imported (ImportSolution, then the roles through $ref) or seeded (no import at all)', () => {
    expect(stack.org).toBe(e2eOrg());
    const posts = stack.dv.requestLog.filter((e) => e.method === 'POST' && e.status < 300);
    const imports = posts.filter((e) => /\/ImportSolution$/.test(e.path));
    const associations = posts.filter((e) => /_association\/\$ref$/.test(e.path));
    if (stack.org === 'imported') {
      expect(imports).toHaveLength(1);
      expect(stack.dv.store.count('importjob')).toBe(1);
      expect(associations.length).toBeGreaterThan(0);
      // The manager's account and the agents hold the solution's roles only because an admin gave them.
      const log = stack.dv.requestLog;
      expect(associations.every((a) => log.indexOf(a) > log.indexOf(imports[0] ?? a))).toBe(true);
    } else {
      expect(imports).toHaveLength(0);
      expect(associations).toHaveLength(0);
    }
    const roles = [...stack.dv.store.all('systemuserroles')].map((r) => r['roleid']);
    expect(roles).toEqual(expect.arrayContaining([ROLE_IDS.admin, ROLE_IDS.user, ROLE_IDS.manager]));
  });
});
