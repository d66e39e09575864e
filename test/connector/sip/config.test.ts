import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/file.ts';
import { validateConnectorConfig } from '../../../src/connector/config/load.ts';
import { sipProviderFromConfig } from '../../../src/connector/providers/sip/from-config.ts';

const base = { CRMTapiManagerServer: '127.0.0.1', ConnectorKey: 'a-connector-key-of-some-length' };

function problemsOf(raw: unknown): string[] {
  try {
    validateConnectorConfig(raw, 'test', { baseDir: '/tmp', hostname: () => 'pbx' });
    return [];
  } catch (err) {
    return err instanceof ConfigError ? [...err.problems] : [String(err)];
  }
}

describe('connector configuration, Kind = "sip"', () => {
  it('accepts phones with account lines and keeps the secrets out of the line names', () => {
    const config = validateConnectorConfig(
      { ...base, Provider: { kind: 'SIP', phones: [{ Accounts: ['<sip:25@pbx.example.com>;auth_pass=s3cret;regint=60', 'sip:27@pbx.example.com'] }, { Accounts: ['<sip:26@pbx.example.com>'], Control: '127.0.0.1:4444' }] } },
      'test',
      { baseDir: '/tmp', hostname: () => 'pbx' },
    );
    expect(config.Provider.Kind).toBe('sip');
    const provider = sipProviderFromConfig(config.Provider as Parameters<typeof sipProviderFromConfig>[0]);
    expect(provider.lines().map((l) => [l.name, l.permanentId])).toEqual([
      ['25', 'sip:25@pbx.example.com'],
      ['27', 'sip:27@pbx.example.com'],
      ['26', 'sip:26@pbx.example.com'],
    ]);
    expect(JSON.stringify(provider.lines())).not.toContain('s3cret');
  });

  it('names every bad key', () => {
    expect(problemsOf({ ...base, Provider: { Kind: 'sip' } })).toEqual(['Provider.Phones: must be a list of phones ([[Provider.Phones]] tables)']);
    expect(problemsOf({ ...base, Provider: { Kind: 'sip', Phones: [] } })).toEqual(['Provider.Phones: must name at least one phone']);
    expect(problemsOf({ ...base, Provider: { Kind: 'sip', Phones: [{ Accounts: ['25'] }] } })[0]).toMatch(/^Provider\.Phones\.0\.Accounts\.0: must be a baresip account line/);
    expect(problemsOf({ ...base, Provider: { Kind: 'sip', Phones: [{ Accounts: ['sip:25@pbx\nmodule evil.so'] }] } })[0]).toMatch(/Accounts\.0: must be a baresip account line/);
    expect(problemsOf({ ...base, Provider: { Kind: 'sip', Phones: [{ Accounts: ['sip:25@pbx'], Control: 'nowhere' }] } })[0]).toMatch(/Control: must be "host:port"/);
    expect(problemsOf({ ...base, Provider: { Kind: 'sip', Phones: [{ Accounts: ['sip:25@pbx'] }], Lines: '20' } })[0]).toMatch(/^Provider\.Lines: unknown setting for Kind = sip/);
    expect(problemsOf({ ...base, Provider: { Kind: 'sip', Phones: [{ Accounts: ['sip:25@pbx'] }], SipAddress: 'localhost' } })[0]).toMatch(/SipAddress: must be the IP address/);
  });

  it('refuses two accounts that give one line name', () => {
    const config = validateConnectorConfig({ ...base, Provider: { Kind: 'sip', Phones: [{ Accounts: ['sip:25@a.example.com'] }, { Accounts: ['sip:25@b.example.com'] }] } }, 'test', { baseDir: '/tmp', hostname: () => 'pbx' });
    expect(() => sipProviderFromConfig(config.Provider as Parameters<typeof sipProviderFromConfig>[0])).toThrow(/two accounts give the line name "25"/);
  });
});
