import { defineConfig } from 'vitest/config';

// The unit and in-process integration files (no browser, phone, bench, wine or kill test): two at a time.
// On a 2-core CI machine vitest's default is one file at a time, and each file spends about a second
// importing; 129 of these files took 359 s one at a time and 236 s in pairs, the whole group about 5 minutes
// in pairs. Everything else runs after it, one file at a time as before, because its timings (real
// processes, keep-alives, kill tests) were tuned for that.
const PAIRED = [
  'test/protocol', 'test/dialing', 'test/client', 'test/config', 'test/simulator', 'test/simulator-dataverse',
  'test/dataverse/auth', 'test/dataverse/directory', 'test/dataverse/sim', 'test/dataverse/solution', 'test/dataverse/web-api',
  'test/manager', 'test/connector/unit', 'test/connector/logging', 'test/connector/service',
].map((dir) => `${dir}/**/*.test.ts`).concat('test/dataverse/*.test.ts');
// Not test/dataverse/outbox: its SQLite files measure what their worker threads keep up with (the WAL's size
// under writes without a pause), and beside another file's fsyncs CI saw that pass its bound.

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'paired', include: PAIRED, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'], exclude: PAIRED, sequence: { groupOrder: 1 } } },
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
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
