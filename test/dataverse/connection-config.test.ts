// Connection settings: the Web API URL each CrmType builds (spec/vendor-manual.md 5)
// and one clear sentence per bad key.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/file.ts';
import { resolveSecret } from '../../src/config/secret.ts';
import { parseConnectionConfig, serviceUrl, webApiUrl } from '../../src/dataverse/connection-config.ts';

const online = { CrmType: 'CrmOnline', CrmServer: 'https://onlinecrm.crm4.dynamics.com', CrmOrganisation: 'org1a2b3c', CrmTenantId: '11111111-2222-3333-4444-555555555555', CrmClientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', CrmClientSecret: 'env:CRM_SECRET' };

function problems(raw: unknown): string[] {
  try {
    parseConnectionConfig(raw, 'manager.toml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  return [];
}

describe('Web API URL per CrmType', () => {
  it.each([
    [{ CrmType: 'OnPremise', CrmServer: 'crmserver', CrmOrganisation: 'Organisation' }, 'http://crmserver/Organisation', 'http://crmserver/Organisation/api/data/v9.1/'],
    [{ CrmType: 'OnPremise', CrmServer: 'https://crmsrv.domain.local:444', CrmOrganisation: 'CRM' }, 'https://crmsrv.domain.local:444/CRM', 'https://crmsrv.domain.local:444/CRM/api/data/v9.1/'],
    [{ CrmType: 'IFD', CrmServer: 'crmserver.domain.de', CrmOrganisation: 'organisation' }, 'https://organisation.crmserver.domain.de', 'https://organisation.crmserver.domain.de/api/data/v9.1/'],
    [{ CrmType: 'IFD', CrmServer: 'https://Organisation.crmserver.domain.de/', CrmOrganisation: 'Organisation' }, 'https://organisation.crmserver.domain.de', 'https://organisation.crmserver.domain.de/api/data/v9.1/'],
    [{ CrmType: 'InternalIFD', CrmServer: 'i.crmserver.domain.de', CrmOrganisation: 'organisation' }, 'https://i.crmserver.domain.de', 'https://i.crmserver.domain.de/api/data/v9.1/'],
    [{ CrmType: 'CrmOnline', CrmServer: 'https://onlinecrm.crm4.dynamics.com', CrmOrganisation: 'x' }, 'https://onlinecrm.crm4.dynamics.com', 'https://onlinecrm.crm4.dynamics.com/api/data/v9.2/'],
    [{ CrmType: 'CrmOnline', CrmServer: 'onlinecrm.crm4.dynamics.com', CrmOrganisation: 'x', CrmWebApiVersion: '9.0' }, 'https://onlinecrm.crm4.dynamics.com', 'https://onlinecrm.crm4.dynamics.com/api/data/v9.0/'],
  ] as const)('%j', (config, service, api) => {
    expect(serviceUrl(config)).toBe(service);
    expect(webApiUrl(config)).toBe(api);
  });

  it('an explicit CrmWebApiUrl wins', () => {
    expect(webApiUrl({ CrmType: 'IFD', CrmServer: 'x', CrmOrganisation: 'o', CrmWebApiUrl: 'http://127.0.0.1:1234/api/data/v9.2' })).toBe('http://127.0.0.1:1234/api/data/v9.2/');
  });
});

describe('validation', () => {
  it('accepts a complete CrmOnline setup, ignores the manager\'s other keys and fills defaults', () => {
    const config = parseConnectionConfig({ ...online, CrmTapiPort: 4505, LogLevel: 3 }, 'manager.toml');
    expect(config.CrmPublisherPrefix).toBe('ctapi');
    expect(config.CrmRequestTimeout).toBe(30);
    expect(config).not.toHaveProperty('CrmTapiPort');
  });

  it('names each bad key in one sentence', () => {
    expect(problems({ CrmType: 'Online', CrmServer: 'x', CrmOrganisation: 'o' })[0]).toMatch(/^CrmType: must be one of OnPremise, IFD, InternalIFD, CrmOnline/);
    expect(problems({ ...online, CrmClientSecret: undefined })).toEqual([
      'CrmClientSecret: CrmOnline needs CrmClientSecret or CrmCertificateFile (recommended), or CrmUsername and CrmPassword',
    ]);
    expect(problems({ CrmType: 'OnPremise', CrmServer: 'crm', CrmOrganisation: 'CRM' })).toEqual([
      'CrmUsername: required for OnPremise (DOMAIN\\user or user@domain; Node has no Windows integrated sign-in)',
      'CrmPassword: required for OnPremise',
    ]);
    expect(problems({ CrmType: 'IFD', CrmServer: 'crm', CrmOrganisation: 'CRM', CrmUsername: 'u', CrmPassword: 'p' }).map((p) => p.split(':')[0])).toEqual(['CrmAuthority', 'CrmClientId']);
    expect(problems({ ...online, CrmOrganisation: 'has space' })[0]).toMatch(/^CrmOrganisation: /);
    expect(problems({ ...online, CrmTenantId: 'not a tenant' })[0]).toMatch(/^CrmTenantId: /);
    expect(problems({ ...online, CrmPublisherPrefix: 'Bad-Prefix' })[0]).toMatch(/^CrmPublisherPrefix: /);
  });

  it('never echoes a secret value in its messages', () => {
    const all = problems({ CrmType: 'IFD', CrmServer: 'crm', CrmOrganisation: 'CRM', CrmPassword: 'Sup3rSecret!', CrmClientSecret: 'Sup3rSecret!' }).join('\n');
    expect(all).not.toContain('Sup3rSecret');
  });
});

describe('secrets from the environment', () => {
  it('resolves env:NAME and reports a missing variable without its value', () => {
    expect(resolveSecret('env:CRM_SECRET', 'CrmClientSecret', { CRM_SECRET: 's3' })).toBe('s3');
    expect(resolveSecret('plain', 'CrmPassword', {})).toBe('plain');
    expect(() => resolveSecret('env:NOPE', 'CrmPassword', {})).toThrow(/CrmPassword: environment variable NOPE is not set/);
  });
});
