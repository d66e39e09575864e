// `crm-tapi manager --config FILE` as an operator runs it: a child process,
// a TOML file, the simulated Dataverse; SIGTERM stops it gracefully.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { main } from '../../../src/cli/main.ts';
import { CONNECTOR_KEY, SERVICE } from '../support/manager.ts';
import { freePort, freeTapiPort } from '../../support/ports.ts';
import { RawConnector } from '../support/raw-connector.ts';

let dv: SimulatedDataverse;
beforeAll(async () => {
  dv = await startSimulatedDataverse({ port: 0 });
});
afterAll(async () => {
  await dv?.close();
});

function toml(values: Record<string, string | number | string[]>): string {
  return Object.entries(values).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n');
}

describe('crm-tapi manager', () => {
  it('runs from a TOML file, opens the ports after the CRM, and stops on SIGTERM with status 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-cli-'));
    const tapi = await freeTapiPort();
    const file = join(dir, 'manager.toml');
    writeFileSync(file, toml({
      CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: 'contoso', CrmUsername: SERVICE.sam, CrmPassword: 'env:TEST_CRM_PASSWORD',
      ConnectorKeys: [CONNECTOR_KEY], CrmTapiPort: tapi, CrmTapiWebSocketPort: await freePort(), LogLevel: 3, DataDir: 'state',
    }));
    const child = spawn('./bin/crm-tapi.js', ['manager', '--config', file], { env: { ...process.env, TEST_CRM_PASSWORD: SERVICE.password }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await vi.waitFor(() => expect(out).toContain('"msg":"manager running"'), { timeout: 30_000, interval: 100 });
      const c = await RawConnector.registered(tapi, 'pbx.test', undefined, CONNECTOR_KEY);
      expect(c.of('registered')).toHaveLength(1);
      c.close();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('"msg":"manager stopped"');
      expect(out).not.toContain(SERVICE.password);
      expect(out).not.toContain(CONNECTOR_KEY);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('refuses a bad configuration with one sentence per key and status 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-cli-'));
    const file = join(dir, 'manager.toml');
    writeFileSync(file, toml({ CrmType: 'OnPremise', CrmServer: 'http://crm', CrmOrganisation: 'contoso', CrmUsername: 'u', CrmPassword: 'p', CrmTapiPort: 80, ConnectorKeys: ['short'] }));
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    });
    try {
      expect(await main(['node', 'crm-tapi', 'manager', '--config', file])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(errors.join('')).toBe(
      `error: config-invalid: ${file}: 2 invalid setting(s):\n` +
        "  CrmTapiPort: must be an integer from 4502 to 4534 (the manual's range)\n" +
        '  ConnectorKeys.0: must be a connector key: 16 to 256 characters without leading or trailing spaces, or env:NAME\n',
    );
  });
});
