// Issue 12, the strongest offline proof: a simulated Dataverse that starts
// WITHOUT the crm-tapi solution, `crm-tapi solution import` run as a real child
// process against it, then the whole bridge on that org: the manager finds the
// solution, creates its records in the imported tables (after the admin gave
// the roles through the Web API, step 4 of the guide), an agent proves who
// they are, sees the popup of an incoming call, and the call log entry and the
// agent's phone call land in the CRM.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../scripts/build-client.ts';
import { DEFAULT_SEED_DIR, heldBackSeed, startSimulatedDataverse } from '../../simulator/dataverse/index.ts';
import { CALL_DIRECTION, createSchema, lookupValue, SETTING_NAMES } from '../../src/dataverse/schema.ts';
import { buildSolution } from '../../src/dataverse/solution/build.ts';
import type { E2eClient } from './support/client.ts';
import { recordsOf } from './support/records.ts';
import { ringFor } from './support/ring.ts';
import { startStack, type Stack } from './support/stack.ts';
import { seedImportedOrg } from '../support/admin-setup.ts';
import { USERS, WebApiUser } from './support/webapi.ts';

const BIN = new URL('../../bin/crm-tapi.js', import.meta.url).pathname;
const schema = createSchema();
const log = schema.callLog;
const CALLER = { number: '0031207945011', name: 'Jan de Vries' };
let stack: Stack;
let anna: E2eClient;
let dir: string;
let importOutput = '';
let assigned = 0;

function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crm-tapi-e2e-solution-'));
  await buildClient(join(dir, 'client'));
  const built = await buildSolution({ version: '0.2.0.0', clientDir: join(dir, 'client') });
  const zip = join(dir, built.fileName);
  writeFileSync(zip, built.zip);
  stack = await startStack({
    timing: { remoteAnswerMs: 200 },
    dataverse: async () => {
      const dv = await startSimulatedDataverse({ port: 0, withoutSolution: true });
      if (dv.metadata.entity(schema.lineConfig.logicalName) !== undefined) throw new Error('the org already has the solution');
      const admin = join(dir, 'admin.json');
      writeFileSync(admin, JSON.stringify({ CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: USERS.petra.sam, CrmPassword: USERS.petra.password }));
      const result = await run(['solution', 'import', zip, '--config', admin]);
      importOutput = result.stdout;
      if (result.status !== 0) throw new Error(`crm-tapi solution import failed (${String(result.status)}): ${result.stderr}`);
      // Step 4 of the guide: the admin gives the manager's account and the agents their roles.
      assigned = await seedImportedOrg(dv, await WebApiUser.signIn(dv, 'petra'));
      return dv;
    },
  });
  await stack.assign('21', 'anna');
  await stack.refreshEntitlements();
  anna = (await stack.signIn('anna')).client;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an org that got the solution by `crm-tapi solution import`', () => {
  it('the import ran as a child process and the manager started on the imported tables with its setting records', async () => {
    expect(importOutput).toContain('ok: crm-tapi solution 0.2.0.0 is installed in org contoso and published');
    expect(stack.logs.some((l) => l.includes('the crm-tapi solution 0.2.0.0 is installed in org contoso'))).toBe(true);
    const settings = await stack.admin.list(schema.setting.entitySet, `$select=${schema.setting.fields.name}`);
    expect(settings.map((s) => s[schema.setting.fields.name]).sort()).toEqual([SETTING_NAMES.incallPhoneFields, SETTING_NAMES.writeConfigLog]);
  });

  it('the admin gave the roles through the Web API (associate): the org holds every role assignment of the seeded org', async () => {
    const expected = (await heldBackSeed(DEFAULT_SEED_DIR)).flatMap((d) => d.records.map((r) => `${d.entity}:${String(r['systemuserid'] ?? r['teamid'])}:${String(r['roleid'])}`));
    expect(expected.length).toBeGreaterThan(0);
    expect(assigned).toBe(expected.length);
    const held = [...stack.dv.store.all('systemuserroles')].map((r) => `systemuserroles:${String(r['systemuserid'])}:${String(r['roleid'])}`)
      .concat([...stack.dv.store.all('teamroles')].map((r) => `teamroles:${String(r['teamid'])}:${String(r['roleid'])}`));
    expect(held).toEqual(expect.arrayContaining(expected));
    expect(stack.dv.requestLog.filter((e) => e.method === 'POST' && e.path.endsWith('/$ref') && e.status === 204)).toHaveLength(expected.length);
  });

  it('popup of an incoming call, then the call log entry and the agent\'s phone call', async () => {
    const { call, callKey, offering } = await ringFor(stack, anna, CALLER, '21');
    expect(offering.callKey).toBe(callKey);
    const requestId = anna.requestId();
    anna.send({ channel: 'intincall', command: 'callControl', requestId, callKey, action: 'answer' });
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'connected');
    stack.pbx.remoteHangup(call.session);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');

    const { entry, phoneCall } = await recordsOf(stack.admin, callKey);
    expect(entry).toMatchObject({ [log.fields.number]: CALLER.number, [log.fields.direction]: CALL_DIRECTION.incoming, [lookupValue(log.fields.user)]: USERS.anna.id });
    expect(entry[lookupValue(log.fields.phoneCall)]).toEqual(expect.any(String));
    expect(phoneCall).toMatchObject({ phonenumber: CALLER.number, [lookupValue('ownerid')]: USERS.anna.id });
  });
});
