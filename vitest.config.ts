import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'] } },
      // Issue 12: the end-to-end suite once more on an org that got the solution by import
      // (started without it, `crm-tapi solution import`, roles given through the Web API).
      // solution-import.test.ts already starts such an org itself. docs/testing-e2e.md.
      {
        extends: true,
        test: {
          name: 'e2e-imported', include: ['test/e2e/**/*.test.ts'], exclude: ['test/e2e/solution-import.test.ts'], env: { CRM_TAPI_E2E_ORG: 'imported' },
          globalSetup: ['test/e2e/support/imported-setup.ts'],
          // Each file's start adds an import and the role assignments; on a loaded 2-core CI
          // machine its beforeAll needs more than the default 30 s.
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
