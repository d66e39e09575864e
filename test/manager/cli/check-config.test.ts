// Configuration checked once, the same way (issue 16 item 5):
// `crm-tapi manager --check-config` and `crm-tapi check` apply the manager's
// own rules (preflight.ts) before anything contacts the CRM, with hints that
// name the real cause; usage and configuration errors end with status 2.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedCpus, formatCpuList } from '../../../src/platform/cpu-affinity.ts';
import { runCli } from '../support/cli.ts';
import { TEST_TLS_DIR } from '../../../simulator/dataverse/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-check-config-'));
const VALID = {
  CrmType: 'OnPremise', CrmServer: 'http://127.0.0.1:1', CrmOrganisation: 'contoso', CrmUsername: 'CONTOSO\\svc', CrmPassword: 'env:CHECK_TEST_PASSWORD',
  ConnectorKeys: ['check-config-connector-key-01'], DataDir: 'state', LogLevel: 3,
};

function file(name: string, values: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(values));
  return path;
}

const cli = (...args: string[]) => runCli({ CHECK_TEST_PASSWORD: 'Test-only-check-password-1' }, ...args);

describe('crm-tapi manager --check-config', () => {
  it('prints what the manager will do with a valid file and exits 0, touching no CRM', async () => {
    const r = await cli('manager', '--config', file('ok.json', VALID), '--check-config');
    const unset = await runCli({}, 'manager', '--config', file('ok.json', VALID), '--check-config');
    expect(unset.status).toBe(2);
    expect(unset.err).toContain('CrmPassword: environment variable CHECK_TEST_PASSWORD is not set');
    expect(r).toMatchObject({ status: 0, err: '' });
    expect(r.out).toBe(`ok: CRM OnPremise http://127.0.0.1:1 organisation contoso, TAPI port 127.0.0.1:4505, WebSocket port 8080, DataDir ${join(dir, 'state')}, LogArt Event, LogLevel 3, 1 connector key(s), no DiagnoseKey\n`);
  });

  it('names every bad key and exits 2', async () => {
    const r = await cli('manager', '--config', file('bad.json', { ...VALID, CrmTapiPort: 80, ConnectorKeys: [], LogLevel: 9 }), '--check-config');
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/^error: config-invalid: .*bad\.json: 3 invalid setting\(s\):/);
    expect(r.err).toMatch(/CrmTapiPort: /);
    expect(r.err).toMatch(/ConnectorKeys: must list at least one connector key/);
    expect(r.err).toMatch(/LogLevel: /);
  });

  it('checks the certificate and the log directory as the start does', async () => {
    // A directory the log target could not create: below a plain file (root may write anywhere else).
    writeFileSync(join(dir, 'plain-file'), '');
    const r = await cli('manager', '--config', file('cert.json', { ...VALID, TlsCertFile: 'missing.pem', TlsKeyFile: 'missing-key.pem', LogArt: 'File', LogFile: 'plain-file/logs/manager.log' }), '--check-config');
    expect(r.status).toBe(2);
    expect(r.err).toContain(`TlsCertFile: cannot read ${join(dir, 'missing.pem')} (ENOENT)`);
    expect(r.err).toMatch(/LogFile: .*plain-file\/logs is not a writable directory for this user \((ENOTDIR|EEXIST)\)/);
  });

  it('checks EventLoopCpu against this host: a CPU the process may not use is refused with the CPUs it may use; a bad value names the range', async () => {
    const allowed = allowedCpus();
    const far = await cli('manager', '--config', file('cpu-far.json', { ...VALID, EventLoopCpu: 8191 }), '--check-config');
    expect(far.status).toBe(2);
    if (process.platform === 'linux') expect(far.err).toContain(`EventLoopCpu: CPU 8191 is not one this process may run on (${formatCpuList(allowed ?? [])})`);
    else expect(far.err).toContain('EventLoopCpu works on Linux only');
    const bad = await cli('manager', '--config', file('cpu-bad.json', { ...VALID, EventLoopCpu: -1 }), '--check-config');
    expect(bad.status).toBe(2);
    expect(bad.err).toContain('EventLoopCpu: must be a CPU number from 0 to 8191');
    const first = await cli('manager', '--config', file('cpu-ok.json', { ...VALID, EventLoopCpu: allowed?.[0] ?? 0 }), '--check-config');
    if (process.platform === 'linux' && (allowed ?? []).length >= 2) expect(first).toMatchObject({ status: 0, err: '' });
    else expect(first.status).toBe(2);
  });

  it('accepts a log directory that does not exist yet: the manager creates it, as it creates DataDir', async () => {
    const r = await cli('manager', '--config', file('newlogs.json', { ...VALID, LogArt: 'File', LogFile: 'new/logs/manager.log' }), '--check-config');
    expect(r.status).toBe(0);
  });

  it('refuses a health endpoint open to the network without a token', async () => {
    const r = await cli('manager', '--config', file('health.json', { ...VALID, HealthPort: 9464, HealthBindAddress: '0.0.0.0' }), '--check-config');
    expect(r.status).toBe(2);
    expect(r.err).toContain('HealthToken: is required when HealthBindAddress (0.0.0.0) is not a loopback address (or set DiagnoseKey)');
    const withKey = await cli('manager', '--config', file('health-key.json', { ...VALID, HealthPort: 9464, HealthBindAddress: '0.0.0.0', DiagnoseKey: 'diagnose-key-serves-as-token-1' }), '--check-config');
    expect(withKey.status).toBe(0);
  });

  it('an unreadable file is status 2 as well', async () => {
    const r = await cli('manager', '--config', join(dir, 'absent.toml'), '--check-config');
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/^error: config-not-found: /);
  });
});

describe('crm-tapi check applies the manager\'s rules before it contacts the CRM', () => {
  it('a file the manager would refuse is refused (2), not reported unreachable (3)', async () => {
    const { ConnectorKeys: _k, ...withoutKeys } = VALID;
    const r = await cli('check', '--config', file('no-keys.json', withoutKeys));
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/ConnectorKeys: is required/);
  });

  it('an http:// authority for CrmOnline says the authority must be https', async () => {
    const r = await cli('check', '--config', file('authority.json', {
      ...VALID, CrmType: 'CrmOnline', CrmServer: 'https://contoso.crm4.dynamics.com', CrmAuthority: 'http://login.microsoftonline.com/contoso.onmicrosoft.com',
      CrmClientId: '5f0c9a2e-1b7d-4c3e-9a8f-2d6e4b1c0a93', CrmClientSecret: 'env:CHECK_TEST_PASSWORD',
    }));
    expect(r.status).toBe(2);
    expect(r.err).toContain('CrmAuthority: must be an https:// URL for CrmOnline');
  });
});

describe('crm-tapi diagnose hints name the real cause', () => {
  let server: TlsServer;
  let port: number;
  beforeAll(async () => {
    server = createTlsServer({ key: readFileSync(`${TEST_TLS_DIR}server-key.pem`), cert: readFileSync(`${TEST_TLS_DIR}server.pem`) }, (s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('ws:// to a port that speaks TLS says to use wss://', async () => {
    const r = await cli('diagnose', '--manager', `ws://127.0.0.1:${port}`, '--config', file('key.json', { DiagnoseKey: 'diagnose-key-for-the-hint-test' }), '--timeout', '5');
    expect(r.status).toBe(1);
    expect(r.err).toContain(`port ${port} speaks TLS: use wss://127.0.0.1:${port}`);
  });

  it('wss:// to a certificate from an unknown CA suggests --ca', async () => {
    const r = await cli('diagnose', '--manager', `wss://127.0.0.1:${port}`, '--config', file('key.json', { DiagnoseKey: 'diagnose-key-for-the-hint-test' }), '--timeout', '5');
    expect(r.status).toBe(1);
    expect(r.err).toContain('pass the CA that issued it with --ca FILE');
  });
});
