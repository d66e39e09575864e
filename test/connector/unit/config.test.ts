import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/config/file.ts';
import { connectorSecrets, loadConnectorConfig, validateConnectorConfig } from '../../../src/connector/config/load.ts';
import { parseLineList } from '../../../src/connector/config/schema.ts';

const KEY = 'test-connector-key-0123456789';
const base = { CRMTapiManagerServer: 'tapimanager.example.com', ConnectorKey: KEY, Provider: { Kind: 'simulator', Lines: '20-22' } };

function problemsOf(raw: unknown): string[] {
  try {
    validateConnectorConfig(raw, 'c.toml', { baseDir: '/etc/crm-tapi', hostname: () => 'pbx' });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

describe('connector configuration', () => {
  it('fills the manual defaults', () => {
    const c = validateConnectorConfig(base, 'c.toml', { baseDir: '/etc/crm-tapi', hostname: () => 'pbx' });
    expect(c).toMatchObject({
      CRMTapiManagerPort: 4505,
      ConnectionKeepAliveIntervall: 20,
      IncludeMediaTypeVideo: false,
      RejectViaDisconnect: false,
      LogArt: 'Event',
      LogLevel: 0,
      EventBufferSize: 10_000,
      ManagerTls: false,
      ConnectorHost: 'pbx',
      Provider: { Kind: 'simulator', Lines: ['20', '21', '22'] },
    });
    expect(c.NewInitTime).toBeUndefined();
  });

  it('matches keys and enum values without regard to case, as the registry did', () => {
    const c = validateConnectorConfig(
      { crmtapimanagerserver: '10.0.0.5', CrMtapIManagerPort: 4510, connectorkey: KEY, logart: 'file', LOGFILE: 'logs/c.log', provider: { kind: 'Replay', file: 's.jsonl' } },
      'c.toml',
      { baseDir: '/etc/crm-tapi' },
    );
    expect(c.CRMTapiManagerServer).toBe('10.0.0.5');
    expect(c.CRMTapiManagerPort).toBe(4510);
    expect(c.LogArt).toBe('File');
    expect(c.LogFile).toBe('/etc/crm-tapi/logs/c.log');
    expect(c.Provider).toEqual({ Kind: 'replay', File: '/etc/crm-tapi/s.jsonl', Speed: 1 });
  });

  it.each(['tapimanager', 'tapi2011.chd.de', '192.168.1.10', '::1', '[fe80::1]', '2001:db8::5'])('accepts manager host %s', (host) => {
    expect(problemsOf({ ...base, CRMTapiManagerServer: host })).toEqual([]);
  });

  it.each(['bad host', 'under_score', '-lead.example', 'a..b', ''])('refuses manager host %j', (host) => {
    expect(problemsOf({ ...base, CRMTapiManagerServer: host })).toEqual([expect.stringMatching(/^CRMTapiManagerServer: must be a host name/)]);
  });

  it('gives one sentence per bad key, naming the key', () => {
    const problems = problemsOf({
      CRMTapiManagerServer: 'mgr',
      CRMTapiManagerPort: 4501,
      ConnectionKeepAliveIntervall: 0,
      IncludeMediaTypeVideo: 2,
      RejectViaDisconnect: 'yes',
      NewInitTime: '24:00',
      LogArt: 'syslog',
      LogLevel: 7,
      ConnectorKey: 'short',
      EventBufferSize: 5,
      Colour: 'blue',
      Provider: { Kind: 'simulator', Lines: '29-20', ControlPort: 70000 },
    });
    const keys = problems.map((p) => p.split(':')[0]).sort();
    expect(keys).toEqual(
      [
        'Colour',
        'CRMTapiManagerPort',
        'ConnectionKeepAliveIntervall',
        'IncludeMediaTypeVideo',
        'RejectViaDisconnect',
        'NewInitTime',
        'LogArt',
        'LogLevel',
        'ConnectorKey',
        'EventBufferSize',
        'Provider.Lines',
        'Provider.ControlPort',
      ].sort(),
    );
    expect(problems).toContain("CRMTapiManagerPort: must be an integer from 4502 to 4534 (the manual's range)");
    expect(problems).toContain('LogLevel: must be 0 (errors), 1 (+warnings), 3 (+information) or 6 (+details)');
    expect(problems.find((p) => p.startsWith('Colour'))).toMatch(/unknown setting/);
  });

  it('never quotes the connector key in a message', () => {
    const secret = 'x'.repeat(15);
    const problems = problemsOf({ ...base, ConnectorKey: secret });
    expect(problems).toHaveLength(1);
    expect(problems.join()).not.toContain(secret);
  });

  it('requires the manager, the key and a provider', () => {
    expect(problemsOf({}).map((p) => p.split(':')[0])).toEqual(['CRMTapiManagerServer', 'ConnectorKey', 'Provider']);
  });

  it('checks rules across keys even when other keys are bad', () => {
    const problems = problemsOf({ ...base, LogArt: 'File', ManagerCaFile: 'ca.pem', LogLevel: 'x' });
    expect(problems).toEqual(
      expect.arrayContaining(['LogFile: is required when LogArt = File', 'ManagerCaFile: has no effect unless ManagerTls = 1', expect.stringMatching(/^LogLevel/)]),
    );
  });

  it('refuses unknown provider kinds and unknown provider keys', () => {
    expect(problemsOf({ ...base, Provider: { Kind: 'fax' } })).toEqual(['Provider.Kind: must be one of simulator, replay, tapi, sip, got "fax"']);
    expect(problemsOf({ ...base, Provider: { Kind: 'tapi', RequestTimeout: 0, Lines: '1' } })).toEqual([
      'Provider.Lines: unknown setting for Kind = tapi (known: Kind, AppName, RequestTimeout)',
      expect.stringMatching(/^Provider\.RequestTimeout: /),
    ]);
    expect(problemsOf({ ...base, Provider: { Kind: 'replay', File: 'a', Lines: '1' } })).toEqual([
      'Provider.Lines: unknown setting for Kind = replay (known: Kind, File, Speed)',
    ]);
  });

  it('parses NewInitTime as the manual writes it', () => {
    const c = validateConnectorConfig({ ...base, NewInitTime: '4:00' }, 'c', { baseDir: '/' });
    expect(c.NewInitTime).toEqual({ hour: 4, minute: 0 });
    expect(validateConnectorConfig({ ...base, NewInitTime: '18:32' }, 'c', { baseDir: '/' }).NewInitTime).toEqual({ hour: 18, minute: 32 });
    expect(problemsOf({ ...base, NewInitTime: '4:0' })).toHaveLength(1);
  });

  it('reads TOML with a [Provider] table and JSON alike', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-conncfg-'));
    writeFileSync(
      join(dir, 'c.toml'),
      `CRMTapiManagerServer = "mgr"\nConnectorKey = "${KEY}"\nRejectViaDisconnect = 1\n[Provider]\nKind = "simulator"\nLines = "20-29,40"\nControlPort = 0\n`,
    );
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ ...base, RejectViaDisconnect: 1 }));
    const t = await loadConnectorConfig(join(dir, 'c.toml'));
    const j = await loadConnectorConfig(join(dir, 'c.json'));
    expect(t.RejectViaDisconnect).toBe(true);
    expect(t.Provider).toMatchObject({ Kind: "simulator", ControlPort: 0 });
    expect(t.Provider.Kind === 'simulator' && t.Provider.Lines).toHaveLength(11);
    expect(j.RejectViaDisconnect).toBe(true);
  });
});

describe('simulator line lists', () => {
  it('expands ranges and lists', () => {
    expect(parseLineList('20-22,40, 45')).toEqual(['20', '21', '22', '40', '45']);
    expect(parseLineList('25')).toEqual(['25']);
  });
  it.each(['22-20', '1-2000', '20,20', 'a b', 'alice', ''])('refuses %j', (text) => {
    expect(parseLineList(text)).toBeUndefined();
  });
});

describe('the secrets the log scrubber gets', () => {
  const valid = (raw: Record<string, unknown>) => validateConnectorConfig({ ...base, ...raw }, 'c.toml', { baseDir: '/etc/crm-tapi', hostname: () => 'pbx' });

  it('the connector key and a literal health token', () => {
    expect(connectorSecrets(valid({ HealthToken: 'a-literal-health-token-01' }), {})).toEqual([KEY, 'a-literal-health-token-01']);
  });

  it('the health token an env:NAME names, not the reference; nothing when the variable is not set', () => {
    const c = valid({ HealthToken: 'env:CRM_TAPI_HEALTH' });
    expect(connectorSecrets(c, { CRM_TAPI_HEALTH: 'the-token-from-the-environment' })).toEqual([KEY, 'the-token-from-the-environment']);
    expect(connectorSecrets(c, {})).toEqual([KEY]);
  });

  it('the auth_pass of every SIP account line, quoted or not', () => {
    const c = valid({
      Provider: {
        Kind: 'sip',
        Phones: [
          { Accounts: ['<sip:25@pbx.example.com>;auth_pass=s3cret-one;regint=60', 'sip:27@pbx.example.com'] },
          { Accounts: ['"Desk" <sip:26@pbx.example.com>;auth_user=26;auth_pass="two words"'] },
        ],
      },
    });
    expect(connectorSecrets(c, {})).toEqual([KEY, 's3cret-one', 'two words']);
  });
});
