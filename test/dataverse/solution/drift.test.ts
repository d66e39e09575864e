// One source of truth: the simulator's metadata, its seeded roles and the
// solution all come from src/dataverse. The committed fixtures are generated
// and must not drift, and the tables the solution zip carries, read back the
// way the simulated Dataverse's ImportSolution reads them, equal
// fixtures/crm/metadata-ctapi.json.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMetadataFile } from '../../../simulator/dataverse/metadata.ts';
import { entityDefinition } from '../../../simulator/dataverse/solution/tables.ts';
import { renderSeedRoles } from '../../../src/dataverse/schema-roles.ts';
import { renderMetadata } from '../../../src/dataverse/schema-metadata.ts';
import { solutionFiles, zipSolution } from '../../../src/dataverse/solution/package.ts';
import { compareVersions, REQUIRED_SOLUTION_VERSION, roles, webResources } from '../../../src/dataverse/solution/model.ts';
import { readSolution } from '../../../src/dataverse/solution/read.ts';

const fixture = (path: string): string => readFileSync(new URL(`../../../fixtures/crm/${path}`, import.meta.url), 'utf8');
const solution = readSolution(zipSolution(solutionFiles({
  prefix: 'ctapi', version: '0.2.0.0', content: new Map(webResources().map((w) => [w.name, new Uint8Array([32])])),
})));

describe('one source of truth', () => {
  it('fixtures/crm/metadata-ctapi.json and seed/05-roles-ctapi.json are what the schema renders', () => {
    expect(fixture('metadata-ctapi.json')).toBe(renderMetadata());
    expect(fixture('seed/05-roles-ctapi.json')).toBe(renderSeedRoles());
  });

  it('the solution\'s tables read back are the simulator metadata', () => {
    const expected = parseMetadataFile(JSON.parse(fixture('metadata-ctapi.json')), 'metadata-ctapi.json');
    const fromZip = solution.tables.map((t) => entityDefinition(t, solution.relationships));
    expect(fromZip).toEqual(expected);
  });

  it('the solution\'s roles are the seeded roles, with the same ids, privileges and depths', () => {
    const seeded = (JSON.parse(fixture('seed/05-roles-ctapi.json')) as { records: { roleid: string; name: string; $privileges: Record<string, string> }[] }).records;
    expect(solution.roles.map((r) => ({ roleid: r.id, name: r.name, privileges: Object.fromEntries(r.privileges.map((p) => [p.name, p.level])) })))
      .toEqual(seeded.map((r) => ({ roleid: r.roleid, name: r.name, privileges: r.$privileges })));
    expect(solution.roles.map((r) => r.privileges.length)).toEqual(roles().map((r) => Object.keys(r.privileges).length));
  });

  it('the seeded org holds a solution version this manager accepts', () => {
    const [row] = (JSON.parse(fixture('seed/14-solution-ctapi.json')) as { records: { version: string }[] }).records;
    expect(compareVersions(row?.version ?? '0', REQUIRED_SOLUTION_VERSION)).toBeGreaterThanOrEqual(0);
  });
});
