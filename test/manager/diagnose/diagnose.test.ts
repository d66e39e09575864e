// crm-tapi diagnose against a whole manager (connector side, user side,
// simulated Dataverse, a real connector): the operator proof, the report,
// "refresh phone numbers now", and the command line itself.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { DiagnoseClientError, requestDiagnose } from '../../../src/manager/diagnose-client.ts';
import { formatReport } from '../../../src/manager/diagnose-format.ts';
import type { RunningManager } from '../../../src/manager/manager.ts';
import { startHarness, type Harness } from '../../connector/support/harness.ts';
import { managerConfig, runManager } from '../support/manager.ts';
import { until } from '../support/raw-connector.ts';

const run = promisify(execFile);
const DIAGNOSE_KEY = 'operator-diagnose-key-for-tests-81';
let dv: SimulatedDataverse;
let manager: RunningManager;
let h: Harness;
let url: string;
let configFile: string;

beforeAll(async () => {
  dv = await startSimulatedDataverse({ port: 0 });
  const config = managerConfig(dv.url, { DiagnoseKey: DIAGNOSE_KEY });
  manager = (await runManager(config)).manager;
  url = `ws://127.0.0.1:${manager.ports.webSocket}`;
  h = await startHarness({ port: manager.ports.tapi }, { lines: ['20', '21'] });
  await until(() => manager.connectorSide.lines().length === 2 && manager.lineRecords.created === 2, 'lines and records', 10_000);
  configFile = join(config.DataDir, 'manager.json');
  writeFileSync(configFile, JSON.stringify({ diagnosekey: DIAGNOSE_KEY, CrmType: 'OnPremise' }));
}, 30_000);

afterAll(async () => {
  await h?.service.stop();
  await manager?.stop();
  await dv?.close();
});

describe('diagnose over the WebSocket', () => {
  it('proves itself with DiagnoseKey and gets the report: connectors, their lines, the sockets', async () => {
    const report = await requestDiagnose({ url, key: DIAGNOSE_KEY, action: 'diagnose' });
    if (report.command !== 'diagnoseReport') throw new Error('expected a report');
    expect(report.version).toBe('0.1.0-test');
    expect(report.connectors).toEqual([
      {
        host: 'pbx.test', peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/), connectorVersion: '0.1.0',
        lines: [
          { line: 'pbx.test:20', inService: true, users: 0 },
          { line: 'pbx.test:21', inService: true, users: 0 },
        ],
      },
    ]);
    expect(report.sockets.map((s) => s.kind)).toEqual(expect.arrayContaining(['connector', 'diagnose']));
    const text = formatReport(report, Date.now());
    expect(text).toContain('Connectors (1)');
    expect(text).toMatch(/pbx\.test:20\s+in service\s+users 0/);
  });

  it('refreshes the phone numbers now', async () => {
    const result = await requestDiagnose({ url, key: DIAGNOSE_KEY, action: 'refresh' });
    expect(result).toMatchObject({ command: 'refreshResult', ok: true, numbers: expect.any(Number) });
  });

  it('is refused with a wrong key', async () => {
    const err = await requestDiagnose({ url, key: 'not-the-diagnose-key-at-all-00', action: 'diagnose' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagnoseClientError);
    expect(err).toMatchObject({ code: 'refused', managerCode: 'proof-failed' });
  });

  it('says clearly when nothing listens', async () => {
    const err = await requestDiagnose({ url: 'ws://127.0.0.1:1', key: DIAGNOSE_KEY, action: 'diagnose', timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unreachable' });
  });
});

describe('crm-tapi diagnose', () => {
  it('prints the report as JSON with the key from the manager configuration file', async () => {
    const { stdout } = await run('./bin/crm-tapi.js', ['diagnose', '--manager', url, '--config', configFile, '--json'], { timeout: 20_000 });
    expect(JSON.parse(stdout)).toMatchObject({ command: 'diagnoseReport', connectors: [{ host: 'pbx.test' }] });
  }, 30_000);

  it('refuses a URL that is not ws:// with exit status 2', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    });
    try {
      expect(await main(['node', 'crm-tapi', 'diagnose', '--manager', 'http://x', '--config', configFile])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(errors).toEqual(['error: invalid-url: --manager must be a ws:// or wss:// URL, got http://\n']);
  });

  it('says where the key is missing', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    });
    const file = join(configFile, '..', 'no-key.json');
    writeFileSync(file, JSON.stringify({ CrmType: 'OnPremise' }));
    try {
      expect(await main(['node', 'crm-tapi', 'diagnose', '--manager', url, '--config', file])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(errors[0]).toMatch(/^error: config-invalid: .*no-key\.json: DiagnoseKey is not set/);
  });
});
