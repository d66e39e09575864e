// `crm-tapi service install`: the systemd units pass `systemd-analyze verify`
// (Debian's systemd), the manager runs from its unit's ExecStart line exactly
// as systemd would start it and stops on SIGTERM with status 0, and the
// Windows (WinSW) definition is well-formed XML with the manual's names.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../simulator/dataverse/index.ts';
import { CONNECTOR_KEY, SERVICE } from '../manager/support/manager.ts';
import { freePort, freeTapiPort } from '../support/ports.ts';
import { runCli } from '../manager/support/cli.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-service-'));
let dv: SimulatedDataverse;

beforeAll(async () => {
  dv = await startSimulatedDataverse({ port: 0 });
});
afterAll(async () => {
  await dv?.close();
});

/** ExecStart's words, unquoted the way systemd does for the quoting units.ts writes. */
function execStartWords(unit: string): string[] {
  const line = unit.split('\n').find((l) => l.startsWith('ExecStart='))!.slice('ExecStart='.length);
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!));
}

async function managerConfig(): Promise<{ file: string; tapi: number }> {
  const tapi = await freeTapiPort();
  const file = join(dir, 'manager config.toml');
  mkdirSync(join(dir, 'logs'), { recursive: true });
  writeFileSync(file, [
    'CrmType = "OnPremise"', `CrmServer = "${dv.url}"`, 'CrmOrganisation = "contoso"', `CrmUsername = ${JSON.stringify(SERVICE.sam)}`, 'CrmPassword = "env:SERVICE_TEST_CRM_PASSWORD"',
    `ConnectorKeys = ["${CONNECTOR_KEY}"]`, `CrmTapiPort = ${tapi}`, `CrmTapiWebSocketPort = ${await freePort()}`, 'DataDir = "manager data"', 'LogArt = "File"', 'LogFile = "logs/manager.log"', 'LogLevel = 3',
  ].join('\n'));
  return { file, tapi };
}

describe('crm-tapi service install', () => {
  it('writes a manager unit that systemd-analyze verify accepts, with the hardening and the paths of the configuration', async () => {
    const { file } = await managerConfig();
    const r = await runCli({}, 'service', 'install', 'manager', '--config', file, '--dir', join(dir, 'units'));
    expect(r.status).toBe(0);
    expect(r.out).toContain('systemctl enable --now crm-tapi-manager.service');
    const path = join(dir, 'units', 'crm-tapi-manager.service');
    const unit = readFileSync(path, 'utf8');
    for (const line of ['DynamicUser=yes', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'Restart=on-failure', 'RestartPreventExitStatus=2', 'LimitNOFILE=65536', 'ExecReload=/bin/kill -HUP $MAINPID']) expect(unit).toContain(`\n${line}\n`);
    expect(unit).toContain(`\nReadWritePaths=${join(dir, 'logs')} "${join(dir, 'manager data')}"\n`);
    const verify = await run('systemd-analyze', ['verify', path]).catch((e: { code: number; stderr: string }) => e);
    expect(verify).not.toHaveProperty('code');
    expect((verify as { stderr: string }).stderr).not.toContain('crm-tapi-manager.service');
  }, 60_000);

  it('the manager starts from the unit\'s ExecStart line and stops on SIGTERM with status 0', async () => {
    const { file } = await managerConfig();
    const unit = (await runCli({}, 'service', 'install', 'manager', '--config', file, '--user', 'crmtapi', '--print')).out;
    expect(unit).toContain('\nUser=crmtapi\n');
    const [command, ...args] = execStartWords(unit);
    expect(args.slice(1)).toEqual(['manager', '--config', file]);
    const child = spawn(command!, args, { env: { ...process.env, SERVICE_TEST_CRM_PASSWORD: SERVICE.password }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // The log is at exactly the path LogFile names (docs/manager.md, "Log file").
      await vi.waitFor(() => expect(readFileSync(join(dir, 'logs', 'manager.log'), 'utf8')).toContain('manager running'), { timeout: 60_000, interval: 200 });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toBe('');
  }, 90_000);

  it('writes a connector unit that verifies too', async () => {
    const file = join(dir, 'connector.toml');
    writeFileSync(file, `CRMTapiManagerServer = "127.0.0.1"\nConnectorKey = "${CONNECTOR_KEY}"\nBufferFile = "buffer/events.sqlite"\n[Provider]\nKind = "simulator"\nLines = "20-29"\n`);
    const r = await runCli({}, 'service', 'install', 'connector', '--config', file, '--dir', join(dir, 'units'));
    expect(r.status).toBe(0);
    const path = join(dir, 'units', 'crm-tapi-connector.service');
    const unit = readFileSync(path, 'utf8');
    expect(unit).toContain(`\nReadWritePaths=${join(dir, 'buffer')}\n`);
    expect(unit).toContain('\nLimitNOFILE=4096\n');
    expect(unit).not.toContain('ExecReload');
    await run('systemd-analyze', ['verify', path]);
  }, 60_000);

  it('writes the WinSW definition with the manual\'s service name', async () => {
    const { file } = await managerConfig();
    const r = await runCli({}, 'service', 'install', 'manager', '--config', file, '--windows', '--dir', join(dir, 'win'));
    expect(r.status).toBe(0);
    expect(r.out).toContain('TAPI-Manager.exe install');
    const path = join(dir, 'win', 'TAPI-Manager.xml');
    await run('xmllint', ['--noout', path]);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('<id>TAPI-Manager</id>');
    expect(text).toContain(`manager --config &quot;${file}&quot;</arguments>`);
  });

  it('refuses an unknown service or a bad configuration with status 2', async () => {
    expect((await runCli({}, 'service', 'install', 'pbx', '--config', 'x.toml', '--print')).status).toBe(2);
    const bad = await runCli({}, 'service', 'install', 'manager', '--config', join(dir, 'absent.toml'), '--print');
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/^error: config-not-found: /);
  });
});
