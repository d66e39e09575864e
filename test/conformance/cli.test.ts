// `crm-tapi conformance` as an integrator runs it: a child process against
// our manager (with the identity proof through the simulated Dataverse),
// against a stalling manager (exit 1, bounded), and against our connector
// with a real shell ring hook (`crm-tapi simulate call`). Reports: JUnit XML
// (checked with xmllint where installed) and JSON.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { USERS } from '../e2e/support/webapi.ts';
import { CONNECTOR_KEY as CONNECTOR_WORLD_KEY, startConnectorWorld } from './support/connector-world.ts';
import { freeTapiPort } from '../support/ports.ts';
import { hostileManager } from './support/hostile.ts';
import { CONNECTOR_KEY, ROPC_CLIENT_ID, startManagerWorld, type ManagerWorld } from './support/manager-world.ts';

const exec = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/crm-tapi.js');

async function cli(args: string[], env: Record<string, string> = {}, timeout = 90_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let world: ManagerWorld;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crm-tapi-conformance-cli-'));
  world = await startManagerWorld();
}, 60_000);

afterAll(async () => {
  await world?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('crm-tapi conformance', () => {
  it('manager: passes against our manager with the proof through Dataverse; writes JUnit and JSON; exit 0', async () => {
    const junit = join(dir, 'manager.xml');
    const json = join(dir, 'manager.json');
    const r = await cli([
      'conformance', 'manager', '--tcp', `127.0.0.1:${world.target.tcpPort}`, '--ws', world.target.wsUrl, '--origin', world.target.origin as string,
      '--dataverse', world.dv.orgWebApiUrl, '--token-url', world.dv.tokenUrl, '--client-id', ROPC_CLIENT_ID, '--user', USERS.emily.upn,
      '--only', 'M-REG-01,M-HS-05,M-CALL-01,M-ENT-03', '--keepalive-grace', '0.5', '--junit', junit, '--json', json,
    ], { CRM_TAPI_CONFORMANCE_PASSWORD: USERS.emily.password, CRM_TAPI_CONFORMANCE_CONNECTOR_KEY: CONNECTOR_KEY });
    expect(r.stdout).toMatch(/verdict: conformant/);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(USERS.emily.password);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { passed: boolean; results: { id: string; status: string; clause: string; level: string }[] };
    expect(report.passed).toBe(true);
    expect(report.results.map((x) => [x.id, x.status])).toEqual([['M-REG-01', 'pass'], ['M-HS-05', 'pass'], ['M-ENT-03', 'pass'], ['M-CALL-01', 'pass']]);
    const xml = readFileSync(junit, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain('failures="0"');
    if (existsSync('/usr/bin/xmllint')) await exec('/usr/bin/xmllint', ['--noout', junit]);
  }, 120_000);

  it('manager: a stalling manager is not conformant: FAIL lines with reasons, exit 1, bounded time', async () => {
    const m = await hostileManager('stall');
    try {
      const junit = join(dir, 'stall.xml');
      const started = Date.now();
      const r = await cli(['conformance', 'manager', '--tcp', `127.0.0.1:${m.tcpPort}`, '--ws', m.wsUrl, '--connector-key', 'k', '--only', 'M-REG-01,M-HS-01', '--reply-timeout', '0.5', '--case-timeout', '2', '--junit', junit]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/FAIL\s+M-REG-01[\s\S]*no `registered` after `register` from the manager within 500 ms/);
      expect(r.stdout).toMatch(/verdict: NOT conformant \(2 MUST case\(s\) failed\)/);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(readFileSync(junit, 'utf8')).toContain('failures="2"');
    } finally {
      await m.close();
    }
  }, 60_000);

  it('bad usage exits 2 with one error line (in process)', async () => {
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (errors.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'crm-tapi', 'conformance', 'manager', '--tcp', 'nohost', '--ws', 'ws://x/'])).toBe(2);
      expect(await main(['node', 'crm-tapi', 'conformance', 'manager', '--tcp', '127.0.0.1:1', '--ws', 'ws://x/', '--connector-key', 'k', '--quiet', 'x'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors[0]).toMatch(/^error: invalid-option: --tcp must be HOST:PORT/);
    expect(errors[1]).toMatch(/^error: invalid-option: --quiet must be a number of seconds/);
  });

  it('connector: passes against our connector with a shell ring hook (crm-tapi simulate call)', async () => {
    const port = await freeTapiPort();
    // The connector dials the port until the suite listens on it (back-off shortened by configuration).
    const connector = await startConnectorWorld(port);
    try {
      const r = await cli([
        'conformance', 'connector', '--listen', String(port), '--connector-key', CONNECTOR_WORLD_KEY, '--only', 'C-REG-01,C-EVT-01', '--keepalive-interval', '1',
        '--on-ring', `"${process.execPath}" "${BIN}" simulate call --pbx "$CONFORMANCE_PBX" --to "$CONFORMANCE_LINE" --from "$CONFORMANCE_FROM" --hangup-after 200ms`,
      ], { CONFORMANCE_PBX: connector.controlUrl });
      expect(r.stdout).toMatch(/pass\s+C-EVT-01/);
      expect(r.code).toBe(0);
    } finally {
      await connector.stop();
    }
  }, 90_000);
});
