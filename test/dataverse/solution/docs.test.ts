// docs/install-dynamics.md is a promise: every command in its shell blocks is
// run here, in order, against a simulated Dataverse that starts without the
// solution (admin.toml = Petra, System Administrator; manager.toml = the
// manager's service account). Paths the guide writes relative to the current
// folder are placed in a temporary folder.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../../scripts/build-client.ts';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { WebApiUser } from '../../e2e/support/webapi.ts';
import { seedImportedOrg } from '../../support/admin-setup.ts';
import { tempDir } from '../support/sim.ts';
import { runCli } from './support.ts';

const GUIDE = readFileSync(new URL('../../../docs/install-dynamics.md', import.meta.url), 'utf8');
const commands = [...GUIDE.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== ''));

let dv: SimulatedDataverse;
let dir: string;

beforeAll(async () => {
  dv = await startSimulatedDataverse({ port: 0, withoutSolution: true });
  dir = tempDir();
  const toml = (user: string, password: string): string =>
    `CrmType = "OnPremise"\nCrmServer = "${dv.url}"\nCrmOrganisation = "${dv.orgName}"\nCrmUsername = '${user}'\nCrmPassword = "${password}"\n`;
  writeFileSync(join(dir, 'admin.toml'), toml('CONTOSO\\phoffmann', 'Test-only-phoffmann-1!'));
  // The manager's own file is a whole manager configuration (docs/manager.md): `check` applies its rules first.
  writeFileSync(join(dir, 'manager.toml'), `${toml('CONTOSO\\svc-crmtapi', 'Test-only-svc-crmtapi-1!')}ConnectorKeys = ["docs-test-connector-key-0123"]\nDataDir = "data"\n`);
}, 60_000);
afterAll(async () => {
  await dv?.close();
});

/** One guide line as CLI arguments: relative paths into the temporary folder, `*` expanded. */
function argv(line: string): string[] {
  return line.split(/\s+/).slice(1).map((word) => {
    if (!/^(dist\/|[a-z]+\.toml$)/.test(word)) return word;
    const path = join(dir, word);
    if (!path.includes('*')) return path;
    const [folder, pattern] = [path.slice(0, path.lastIndexOf('/')), path.slice(path.lastIndexOf('/') + 1)];
    const re = new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace('*', '.*')}$`);
    const hits = existsSync(folder) ? readdirSync(folder).filter((f) => re.test(f)) : [];
    if (hits.length !== 1) throw new Error(`${word} matches ${hits.length} files`);
    return join(folder, hits[0] as string);
  });
}

describe('docs/install-dynamics.md, command by command', () => {
  it('lists the commands of the guide', () => {
    expect(commands).toEqual([
      'npx tsx scripts/build-client.ts',
      'crm-tapi solution build --out dist/solution --unpacked dist/solution/unpacked',
      'crm-tapi solution validate dist/solution/crmtapi_*.zip',
      'crm-tapi solution import --config admin.toml',
      'crm-tapi solution status --config admin.toml',
      'crm-tapi check --config manager.toml',
      'crm-tapi solution customize-forms --config admin.toml --tables account,contact,lead',
    ]);
  });

  it('runs each one successfully against an org that starts without the solution', async () => {
    const outputs: string[] = [];
    for (const line of commands) {
      if (line === 'npx tsx scripts/build-client.ts') {
        await buildClient(); // the default dist/client/ that `solution build` reads
        continue;
      }
      // Step 4 of the guide is done in the CRM's UI; an admin's Web API calls do the same here.
      if (line.startsWith('crm-tapi check')) expect(await seedImportedOrg(dv, await WebApiUser.signIn(dv, 'petra'))).toBeGreaterThan(0);
      const run = await runCli(argv(line));
      expect({ line, status: run.status, stderr: run.stderr }).toEqual({ line, status: 0, stderr: expect.not.stringMatching(/^error/m) });
      outputs.push(run.stdout);
    }
    expect(outputs.join('')).toMatch(/ok: crm-tapi solution \d+\.\d+\.\d+\.\d+ is valid/);
    expect(outputs.join('')).toContain('ok: organisation contoso');
    expect(outputs.join('')).toContain('lead: form "Lead" now holds the crm-tapi web resource');
    expect(existsSync(join(dir, 'dist/solution/unpacked/Other/Solution.xml'))).toBe(true);
  }, 110_000);
});
