import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/file.ts';
import type { SECRET_KEYS } from '../../../src/manager/config/keys.ts';
import { ALL_KEYS, DEFAULTS } from '../../../src/manager/config/keys.ts';
import { loadManagerConfig, secretsOf, validateManagerConfig } from '../../../src/manager/config/load.ts';
import { applyLive, diffConfig } from '../../../src/manager/config/watch.ts';

const KEY = 'a-connector-key-of-16+chars';
const BASE = { CrmType: 'OnPremise', CrmServer: 'http://crm.local', CrmOrganisation: 'contoso', CrmUsername: 'CONTOSO\\svc', CrmPassword: 'pw', ConnectorKeys: [KEY] };

function problems(raw: Record<string, unknown>): string[] {
  try {
    validateManagerConfig(raw, 'manager.toml', { baseDir: '/etc/crm-tapi', env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('config-invalid');
    return [...(err as ConfigError).problems];
  }
  return [];
}

describe('manager configuration', () => {
  it('fills the manual\'s defaults and a safe bind address', () => {
    const c = validateManagerConfig(BASE, 'manager.toml', { baseDir: '/etc/crm-tapi', env: {} });
    expect(c).toMatchObject({
      CrmTapiPort: 4505, CrmTapiWebSocketPort: 8080, ListenerTestIntervall: 120, ListenerTestLog: false, LogArt: 'Event', LogLevel: 0,
      RefreshTelephoneNumberIntervall: 1800, RefreshTelephoneNumberTime: '4:00', ConnectionKeepAliveIntervall: 20, BindAddress: '127.0.0.1',
      DataDir: '/etc/crm-tapi/data', ConnectorTls: false, ConnectorKeys: [KEY],
    });
    expect(c.crm).toMatchObject({ CrmType: 'OnPremise', CrmServer: 'http://crm.local', CrmOrganisation: 'contoso' });
    expect(DEFAULTS.BindAddress).toBe('127.0.0.1');
  });

  it('matches keys without regard to case and resolves relative paths against the file', () => {
    const c = validateManagerConfig({ ...BASE, crmtapiport: 4510, LOGART: 'file', logfile: 'logs/m.log', TLSCERTFILE: 'c.pem', tlskeyfile: '/abs/k.pem' }, 'm', { baseDir: '/etc/crm-tapi', env: {} });
    expect(c).toMatchObject({ CrmTapiPort: 4510, LogArt: 'File', LogFile: '/etc/crm-tapi/logs/m.log', TlsCertFile: '/etc/crm-tapi/c.pem', TlsKeyFile: '/abs/k.pem', ConnectorTls: true });
  });

  it('says one sentence per bad key, naming the key', () => {
    expect(
      problems({ ...BASE, CrmTapiPort: 4501, CrmTapiWebSocketPort: 70000, LogLevel: 9, LogArt: 'Syslog', ListenerTestLog: 2, RefreshTelephoneNumberTime: '25:00', BindAddress: 'everywhere', ConnectorKeys: ['short'], AllowedOrigins: ['https://crm.example.com/'], Colour: 'blue' }),
    ).toEqual([
      'Colour: unknown setting (see docs/manager.md for the list)',
      'CrmTapiPort: must be an integer from 4502 to 4534 (the manual\'s range)',
      'CrmTapiWebSocketPort: must be a TCP port from 1 to 65535',
      'ListenerTestLog: must be 0 or 1',
      'LogArt: must be Event or File',
      'LogLevel: must be 0 (errors), 1 (+warnings), 3 (+information) or 6 (+details)',
      'RefreshTelephoneNumberTime: must be a time of day H:MM from 0:00 to 23:59, e.g. "4:00" or "18:32"',
      'ConnectorKeys.0: must be a connector key: 16 to 256 characters without leading or trailing spaces, or env:NAME',
      'BindAddress: must be an IPv4 or IPv6 address, e.g. 127.0.0.1 (this host only) or 0.0.0.0 (every interface)',
      'AllowedOrigins.0: must be an origin scheme://host[:port] without path or trailing slash, e.g. https://crm.example.com',
    ]);
  });

  it('OutboxMaxRetryDelay: 300 s by default, whole seconds from 1 to 3600', () => {
    expect(validateManagerConfig(BASE, 'm', { baseDir: '/', env: {} }).OutboxMaxRetryDelay).toBe(300);
    expect(validateManagerConfig({ ...BASE, OutboxMaxRetryDelay: 2 }, 'm', { baseDir: '/', env: {} }).OutboxMaxRetryDelay).toBe(2);
    for (const bad of [0, -5, 3601, 1.5, 'soon']) {
      expect(problems({ ...BASE, OutboxMaxRetryDelay: bad })).toEqual(['OutboxMaxRetryDelay: must be a number of seconds from 1 to 3600']);
    }
  });

  it('CrmMaxRetryWait: 30 s by default, whole seconds from 1 to 300', () => {
    expect(validateManagerConfig(BASE, 'm', { baseDir: '/', env: {} }).CrmMaxRetryWait).toBe(30);
    expect(validateManagerConfig({ ...BASE, CrmMaxRetryWait: 2 }, 'm', { baseDir: '/', env: {} }).CrmMaxRetryWait).toBe(2);
    for (const bad of [0, -1, 301, 2.5, 'later']) {
      expect(problems({ ...BASE, CrmMaxRetryWait: bad })).toEqual(['CrmMaxRetryWait: must be a number of seconds from 1 to 300']);
    }
  });

  it('checks the CRM keys beside its own', () => {
    expect(problems({ ConnectorKeys: [KEY], CrmType: 'Cloud', CrmServer: 'crm', CrmOrganisation: 'contoso' })).toEqual([expect.stringMatching(/^CrmType: /)]);
    expect(problems({ ...BASE, CrmUsername: undefined })).toEqual([expect.stringMatching(/^CrmUsername: required for OnPremise/)]);
  });

  it('requires the connector keys and reports cross-key rules', () => {
    const { ConnectorKeys: _k, ...withoutKeys } = BASE;
    expect(problems({ ...withoutKeys, LogArt: 'File', TlsCertFile: 'c.pem', TlsPfxPassword: 'x', ConnectorTls: 1 })).toEqual([
      'ConnectorKeys: is required: a list of the keys connectors may register with, e.g. ["…"]',
      'LogFile: is required when LogArt = File',
      'TlsKeyFile: TlsCertFile and TlsKeyFile go together',
      'TlsPfxPassword: has no effect without TlsPfxFile',
    ]);
    expect(problems({ ...BASE, ConnectorKeys: [KEY, KEY] })).toEqual(['ConnectorKeys: lists the same key twice']);
    expect(problems({ ...BASE, crmtapiport: 4505, CRMTAPIPORT: 4506 })).toEqual(['CrmTapiPort: given twice (as crmtapiport and CRMTAPIPORT)']);
  });

  it('accepts CertificateThumbprint with spaces or colons, and refuses anything else', () => {
    const c = validateManagerConfig({ ...BASE, CertificateThumbprint: 'ab cd ef 01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef 01' }, 'm', { baseDir: '/', env: {} });
    expect(c.CertificateThumbprint).toBe('abcdef0123456789abcdef0123456789abcdef01');
    expect(problems({ ...BASE, CertificateThumbprint: 'xyz' })).toEqual(['CertificateThumbprint: must be the certificate thumbprint (40 hexadecimal digits)']);
  });

  it('resolves env: secrets at load and lists every secret for the log scrubber', () => {
    const env = { CK: 'connector-key-from-the-environment', DK: 'diagnose-key-from-the-environment' };
    const c = validateManagerConfig({ ...BASE, ConnectorKeys: ['env:CK'], DiagnoseKey: 'env:DK', CrmPassword: 'env:PW' }, 'm', { baseDir: '/', env });
    expect(c.ConnectorKeys).toEqual([env.CK]);
    expect(c.DiagnoseKey).toBe(env.DK);
    expect(secretsOf(c, { PW: 'the-crm-password' })).toEqual([env.CK, env.DK, 'the-crm-password']);
    expect(() => validateManagerConfig({ ...BASE, ConnectorKeys: ['env:MISSING'] }, 'm', { baseDir: '/', env: {} })).toThrow(/ConnectorKeys\[0\]: environment variable MISSING is not set/);
  });

  it('gives the log scrubber the value of every secret key (SECRET_KEYS)', () => {
    // A Record over SECRET_KEYS: a secret key added to the configuration must be given a value here.
    const values: Record<(typeof SECRET_KEYS)[number], string | string[]> = {
      CrmPassword: 'crm-password-value-1', CrmClientSecret: 'crm-client-secret-value-1', ServicePassword: 'service-password-value-1',
      TlsPfxPassword: 'pfx-password-value-1', ConnectorKeys: ['connector-key-value-0001', 'connector-key-value-0002'],
      DiagnoseKey: 'diagnose-key-value-00001', HealthToken: 'health-token-value-00001',
    };
    const c = validateManagerConfig({ ...BASE, ...values, TlsPfxFile: 'manager.pfx' }, 'm', { baseDir: '/', env: {} });
    expect(new Set(secretsOf(c, {}))).toEqual(new Set(Object.values(values).flat()));
  });

  it('never quotes a secret in its messages', () => {
    const secret = 'a secret with spaces ';
    expect(problems({ ...BASE, ConnectorKeys: [secret], DiagnoseKey: ' another secret value ' }).join('\n')).not.toContain('secret');
  });

  it('reads the example file of fixtures/config', async () => {
    const c = await loadManagerConfig(new URL('../../../fixtures/config/manager.toml', import.meta.url).pathname, {
      env: { CRM_TAPI_CRM_PASSWORD: 'p', CRM_TAPI_CONNECTOR_KEY: 'connector-key-from-env-1', CRM_TAPI_DIAGNOSE_KEY: 'diagnose-key-from-env-01' },
    });
    expect(c).toMatchObject({ BindAddress: '0.0.0.0', LogArt: 'File', ConnectorKeys: ['connector-key-from-env-1'] });
    expect(c.LogFile).toMatch(/fixtures\/config\/logs\/manager\.log$/);
  });

  it('reports a missing file, bad syntax and a non-table file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcfg-'));
    await expect(loadManagerConfig(join(dir, 'none.toml'))).rejects.toMatchObject({ code: 'config-not-found' });
    writeFileSync(join(dir, 'bad.toml'), 'CrmTapiPort = = 4505');
    await expect(loadManagerConfig(join(dir, 'bad.toml'))).rejects.toMatchObject({ code: 'config-syntax' });
    writeFileSync(join(dir, 'list.json'), '[1, 2]');
    await expect(loadManagerConfig(join(dir, 'list.json'))).rejects.toMatchObject({ code: 'config-invalid', problems: ['(file): must hold a table of settings'] });
  });

  it('every key of the table is known to exactly one group', () => {
    expect(new Set(ALL_KEYS).size).toBe(ALL_KEYS.length);
  });
});

describe('live keys', () => {
  it('applies live keys, keeps restart keys at their start values and names them', () => {
    const before = validateManagerConfig(BASE, 'm', { baseDir: '/', env: {} });
    const after = validateManagerConfig({ ...BASE, LogLevel: 6, ListenerTestIntervall: 30, CrmTapiPort: 4510, CrmServer: 'http://other' }, 'm', { baseDir: '/', env: {} });
    expect(diffConfig(before, after)).toEqual({ live: ['LogLevel', 'ListenerTestIntervall'], restartNeeded: ['CrmTapiPort', 'CrmServer'] });
    const running = applyLive(before, after);
    expect(running).toMatchObject({ LogLevel: 6, ListenerTestIntervall: 30, CrmTapiPort: 4505 });
    expect(running.crm.CrmServer).toBe('http://crm.local');
  });
});
