// The CRM connection settings of the manager's configuration file: the
// manual's keys (CrmType, CrmServer, CrmOrganisation, CrmUsername,
// CrmPassword) plus ours for modern sign-in. Only these keys are validated
// here; the manager's loader validates its own keys beside them (unknown keys
// pass through untouched). Secrets may be given as `env:NAME` so they need
// not sit in the file.
import { z } from 'zod';
import { describeIssues } from '../config/file.ts';
import { DEFAULT_PUBLISHER_PREFIX } from './schema.ts';

export const CRM_TYPES = ['OnPremise', 'IFD', 'InternalIFD', 'CrmOnline'] as const;
export type CrmType = (typeof CRM_TYPES)[number];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const nonEmpty = z.string().trim().min(1, 'must not be empty');
const httpUrl = nonEmpty.refine((v) => /^https?:\/\/[^/\s]+/i.test(v), 'must be an http:// or https:// URL');

export const connectionConfigSchema = z
  .object({
    CrmType: z.enum(CRM_TYPES, { message: `must be one of ${CRM_TYPES.join(', ')}` }),
    /** Host name, host:port or URL (scheme decides http/https; OnPremise defaults to http, the others to https). */
    CrmServer: nonEmpty.refine((v) => !/\s/.test(v), 'must be a host name or URL without spaces'),
    /** Unique name of the organisation, case sensitive. */
    CrmOrganisation: nonEmpty.regex(/^[A-Za-z0-9_-]+$/, 'must be the organisation\'s unique name (letters, digits, _ and -)'),
    CrmUsername: nonEmpty.optional(),
    CrmPassword: nonEmpty.optional(),
    /** Entra tenant (GUID or domain) for CrmOnline. */
    CrmTenantId: nonEmpty.optional(),
    /** Application (client) id registered for the manager. */
    CrmClientId: nonEmpty.optional(),
    CrmClientSecret: nonEmpty.optional(),
    /** PEM file with the certificate and its private key (client credentials with a certificate). */
    CrmCertificateFile: nonEmpty.optional(),
    /**
     * Sign-in authority: Entra `https://login.microsoftonline.com/<tenant>` (the default for
     * CrmOnline), or the AD FS base `https://adfs.example.de/adfs` (required for IFD and InternalIFD).
     */
    CrmAuthority: httpUrl.optional(),
    /** Extra trusted CA certificates (PEM file), e.g. an on-premises company CA. */
    CrmCaFile: nonEmpty.optional(),
    /** Web API version; default v9.2 online, v9.1 on-premises (the newest each supports). */
    CrmWebApiVersion: z.string().regex(/^v?9\.[0-2]$/, 'must be 9.0, 9.1 or 9.2').optional(),
    /** Overrides the URL built from CrmType/CrmServer/CrmOrganisation (reverse proxies, tests). */
    CrmWebApiUrl: httpUrl.optional(),
    CrmPublisherPrefix: z.string().regex(/^[a-z][a-z0-9]{1,7}$/, 'must be 2–8 lower-case letters or digits starting with a letter').default(DEFAULT_PUBLISHER_PREFIX),
    /** Seconds per request attempt. */
    CrmRequestTimeout: z.number().int().min(1).max(600).default(30),
  })
  .superRefine((c, ctx) => {
    const need = (key: keyof typeof c, why: string): void => {
      if (c[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required ${why}` });
    };
    if (c.CrmType === 'CrmOnline') {
      need('CrmClientId', 'for CrmOnline (the application id registered in Entra ID)');
      if (c.CrmTenantId === undefined && c.CrmAuthority === undefined) need('CrmTenantId', 'for CrmOnline unless CrmAuthority is set');
      const appSecret = c.CrmClientSecret !== undefined || c.CrmCertificateFile !== undefined;
      if (!appSecret && (c.CrmUsername === undefined || c.CrmPassword === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['CrmClientSecret'], message: 'CrmOnline needs CrmClientSecret or CrmCertificateFile (recommended), or CrmUsername and CrmPassword' });
      }
      if (c.CrmClientSecret !== undefined && c.CrmCertificateFile !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['CrmCertificateFile'], message: 'give either CrmClientSecret or CrmCertificateFile, not both' });
      }
      if (c.CrmAuthority !== undefined && !/^https:\/\//i.test(c.CrmAuthority)) {
        ctx.addIssue({ code: 'custom', path: ['CrmAuthority'], message: 'must be an https:// URL for CrmOnline: Entra ID signs in over https only, e.g. https://login.microsoftonline.com/<tenant>' });
      }
      if (c.CrmTenantId !== undefined && !GUID.test(c.CrmTenantId) && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(c.CrmTenantId)) {
        ctx.addIssue({ code: 'custom', path: ['CrmTenantId'], message: 'must be the tenant id (GUID) or its domain, e.g. contoso.onmicrosoft.com' });
      }
    } else {
      need('CrmUsername', `for ${c.CrmType} (DOMAIN\\user or user@domain; Node has no Windows integrated sign-in)`);
      need('CrmPassword', `for ${c.CrmType}`);
      if (c.CrmType !== 'OnPremise') {
        need('CrmAuthority', `for ${c.CrmType} (the AD FS base URL, e.g. https://adfs.example.de/adfs)`);
        need('CrmClientId', `for ${c.CrmType} (the client id registered in AD FS)`);
      }
    }
  });

export type ConnectionConfig = z.infer<typeof connectionConfigSchema>;

/** Validates the CRM keys of a parsed configuration file; other keys are ignored. */
export function parseConnectionConfig(raw: unknown, origin: string): ConnectionConfig {
  const result = connectionConfigSchema.safeParse(raw);
  if (!result.success) throw describeIssues(result.error, origin);
  return result.data;
}

function splitServer(server: string, defaultScheme: 'http' | 'https'): { scheme: string; host: string; path: string } {
  const withScheme = /^https?:\/\//i.test(server) ? server : `${defaultScheme}://${server}`;
  const url = new URL(withScheme);
  return { scheme: url.protocol.replace(':', ''), host: url.host, path: url.pathname.replace(/\/+$/, '') };
}

export function webApiVersion(config: Pick<ConnectionConfig, 'CrmType' | 'CrmWebApiVersion'>): string {
  const raw = config.CrmWebApiVersion ?? (config.CrmType === 'CrmOnline' ? '9.2' : '9.1');
  return raw.startsWith('v') ? raw : `v${raw}`;
}

/**
 * The organisation's service root as the manual builds it (spec/vendor-manual.md 5):
 * OnPremise `http://crmserver/organisation`, IFD `https://organisation.crmserver.domain.de`,
 * InternalIFD `https://i.crmserver.domain.de` (CrmServer is the internal host),
 * CrmOnline `https://org.crm4.dynamics.com`.
 */
export function serviceUrl(config: Pick<ConnectionConfig, 'CrmType' | 'CrmServer' | 'CrmOrganisation'>): string {
  switch (config.CrmType) {
    case 'OnPremise': {
      const s = splitServer(config.CrmServer, 'http');
      return `${s.scheme}://${s.host}${s.path}/${config.CrmOrganisation}`;
    }
    case 'IFD': {
      const s = splitServer(config.CrmServer, 'https');
      const host = s.host.toLowerCase().startsWith(`${config.CrmOrganisation.toLowerCase()}.`) ? s.host : `${config.CrmOrganisation}.${s.host}`;
      return `${s.scheme}://${host.toLowerCase()}${s.path}`;
    }
    case 'InternalIFD':
    case 'CrmOnline': {
      const s = splitServer(config.CrmServer, 'https');
      return `${s.scheme}://${s.host}${s.path}`;
    }
  }
}

/** The Web API root, ending in a slash: `<service url>/api/data/v9.x/`. */
export function webApiUrl(config: Pick<ConnectionConfig, 'CrmType' | 'CrmServer' | 'CrmOrganisation' | 'CrmWebApiVersion' | 'CrmWebApiUrl'>): string {
  if (config.CrmWebApiUrl !== undefined) return config.CrmWebApiUrl.endsWith('/') ? config.CrmWebApiUrl : `${config.CrmWebApiUrl}/`;
  return `${serviceUrl(config)}/api/data/${webApiVersion(config)}/`;
}
