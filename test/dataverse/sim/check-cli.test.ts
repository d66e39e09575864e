// `crm-tapi check --config FILE` as a child process against the simulated
// Dataverse: every misconfiguration has its own sentence and exit status.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { freePort } from '../../support/ports.ts';
import { NO_ROLES_APP, onlineSecret, onPremise, SERVICE, tempDir, writeCa } from '../support/sim.ts';

const BIN = new URL('../../../bin/crm-tapi.js', import.meta.url).pathname;

let dv: SimulatedDataverse;
let tls: SimulatedDataverse;
let dir: string;
let caFile: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCheck(config: Record<string, unknown>, name: string): Promise<Run> {
  const file = join(dir, `${name}.json`);
  // A whole manager configuration: check applies the manager's rules to every key first.
  writeFileSync(file, JSON.stringify({ ...config, CrmTapiPort: 4505, LogLevel: 3, ConnectorKeys: ['check-test-connector-key-0123'], DataDir: join(dir, 'data') }));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'check', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  dv = await startSimulatedDataverse({ port: 0 });
  tls = await startSimulatedDataverse({ port: 0, tls: true });
  dir = tempDir();
  caFile = writeCa(tls, dir);
});
afterAll(async () => {
  await dv.close();
  await tls.close();
});

describe('crm-tapi check', () => {
  it('reports each misconfiguration with its own message and exit status', async () => {
    const closedPort = await freePort();
    const cases: Array<[string, Record<string, unknown>, number, RegExp]> = [
      ['ok-online', onlineSecret(tls, caFile), 0, /^ok: organisation contoso, Web API 9\.\d/],
      ['ok-onpremise', onPremise(dv), 0, /^ok: organisation contoso, Web API /],
      ['config', { CrmType: 'Online', CrmServer: 'x', CrmOrganisation: 'o' }, 2, /^error: config-invalid: .*CrmType: must be one of/s],
      ['unreachable', { ...onPremise(dv), CrmServer: `http://127.0.0.1:${closedPort}` }, 3, /^error: server-unreachable: the CRM server 127\.0\.0\.1:\d+ cannot be reached: .*ECONNREFUSED/],
      ['tls', { ...onlineSecret(tls, caFile), CrmCaFile: undefined }, 4, /^error: tls-failed: the TLS connection to 127\.0\.0\.1:\d+ failed/],
      ['organisation', { ...onPremise(dv), CrmOrganisation: 'Contoso' }, 5, /^error: organisation-not-found: organisation "Contoso" was not found on 127\.0\.0\.1:\d+/],
      ['user', onPremise(dv, SERVICE.sam, 'Wrong-Password-987'), 6, /^error: user-invalid: the CRM account CONTOSO\\svc-crmtapi could not sign in/],
      ['privileges', onlineSecret(tls, caFile, { ...NO_ROLES_APP, systemUserId: '' }), 7, /^error: privileges-missing: the account has no Read privilege on account \(prvReadAccount\), needed for phone directory$/m],
    ];
    // Four children at a time: each boots tsx, and CI has two cores.
    const runs: Run[] = [];
    for (let i = 0; i < cases.length; i += 4) {
      runs.push(...(await Promise.all(cases.slice(i, i + 4).map(([name, config]) => runCheck(config, name)))));
    }
    cases.forEach(([name, , status, pattern], i) => {
      const run = runs[i] as Run;
      const output = status === 0 ? run.stdout : run.stderr;
      expect({ name, status: run.status }).toEqual({ name, status });
      expect(output, name).toMatch(pattern);
      // No secret of any configuration reaches the terminal.
      expect(run.stdout + run.stderr).not.toMatch(/Test-only-[a-z-]*secret|Wrong-Password-987|Test-only-svc-crmtapi-1!/);
    });
    expect(new Set(cases.map(([, , s]) => s)).size).toBe(cases.length - 1);
    const privilegeLines = (runs[7] as Run).stderr.trim().split('\n');
    expect(privilegeLines.length).toBeGreaterThan(5);
    expect(privilegeLines).toContain('error: privileges-missing: the account may not act on behalf of another user (prvActOnBehalfOfAnotherUser), needed to create phone calls owned by the agent');
  }, 180_000);
});
