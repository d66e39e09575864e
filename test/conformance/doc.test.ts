// spec/conformance.md lists every case with its clause and level: its tables
// are the ones rendered from the suite (npx tsx scripts/conformance-doc.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withCaseTables } from '../../src/conformance/catalogue-doc.ts';
import { CLIENT_CASES, CONNECTOR_CASES, MANAGER_CASES } from '../../src/conformance/index.ts';

const doc = readFileSync(new URL('../../spec/conformance.md', import.meta.url), 'utf8');

describe('spec/conformance.md', () => {
  it('lists every case as the suite has it', () => {
    expect(doc).toBe(withCaseTables(doc));
    for (const c of [...MANAGER_CASES, ...CONNECTOR_CASES, ...CLIENT_CASES]) expect(doc).toContain(`| ${c.id} | ${c.level} | ${c.clause} |`);
  });

  it('case ids are unique and cite a clause of the specification', () => {
    const all = [...MANAGER_CASES, ...CONNECTOR_CASES, ...CLIENT_CASES];
    expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
    for (const c of all) expect(c.clause, c.id).toMatch(/§|DESIGN/);
  });
});
