// From the vendor's registry keys (manual 4.5.1 TAPI-Manager, 4.5.2
// TAPI-Connector) to our TOML: the manual's names are ours, so most values
// carry over as they are (REG_SZ numbers become numbers); the rest get one
// line each saying why not and what to do instead.
import { ALL_KEYS as MANAGER_KEYS } from '../../manager/config/keys.ts';
import { TOP_LEVEL_KEYS as CONNECTOR_KEYS } from '../../connector/config/keys.ts';
import type { RegKey } from './reg-file.ts';

export type Service = 'manager' | 'connector';

const NUMERIC: Record<Service, readonly string[]> = {
  manager: ['CrmTapiPort', 'CrmTapiWebSocketPort', 'ListenerTestIntervall', 'ListenerTestLog', 'LogLevel', 'RefreshTelephoneNumberIntervall'],
  connector: ['CRMTapiManagerPort', 'ConnectionKeepAliveIntervall', 'IncludeMediaTypeVideo', 'LogLevel', 'RejectViaDisconnect'],
};

/** Keys of the vendor we know and deliberately do not carry over, with the reason. */
const NOT_CARRIED: Record<string, string> = {
  crmpassword: 'stored encrypted by the vendor\'s installer (DPAPI), not readable elsewhere: set CrmPassword = "env:CRM_TAPI_CRM_PASSWORD" and put the password into that variable',
  servicepassword: 'stored encrypted by the vendor\'s installer; the service account is part of the service definition (crm-tapi service install --user)',
  serviceaccount: 'the account is part of the service definition: crm-tapi service install manager --user NAME (Windows: WinSW <serviceaccount>)',
  crmtypevalues: 'documentation of the allowed CrmType values only (manual 4.5.1), not a setting',
  logartvalues: 'documentation of the allowed LogArt values only, not a setting',
};

export interface ImportResult {
  toml: string;
  /** One sentence per value not carried over. */
  skipped: string[];
}

function tomlValue(value: string | number): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

export function importRegistry(keys: readonly RegKey[], service: Service): ImportResult {
  const known = service === 'manager' ? MANAGER_KEYS : CONNECTOR_KEYS;
  const byLower = new Map(known.map((k) => [k.toLowerCase(), k]));
  const out = new Map<string, string | number>();
  const skipped: string[] = [];
  for (const key of keys) {
    for (const v of key.values) {
      if (v.name === '') continue; // the key's unnamed "(Standard)" value: empty in the vendor's keys
      const where = `${v.name} (${key.path})`;
      const reason = NOT_CARRIED[v.name.toLowerCase()];
      if (reason !== undefined) {
        skipped.push(`${where}: ${reason}`);
        continue;
      }
      const ours = byLower.get(v.name.toLowerCase());
      if (ours === undefined) {
        skipped.push(`${where}: not a setting of the crm-tapi ${service} (docs/${service}.md lists them)`);
        continue;
      }
      if (v.type === 'other') {
        skipped.push(`${where}: a ${v.typeName} value; only REG_SZ and REG_DWORD are read`);
        continue;
      }
      if (v.type === 'REG_SZ' && v.data.trim() === '') {
        skipped.push(`${where}: empty in the registry; the default applies`);
        continue;
      }
      let value: string | number = v.data;
      if (NUMERIC[service].includes(ours) && v.type === 'REG_SZ') {
        const n = Number(v.data.trim());
        if (!Number.isInteger(n)) {
          skipped.push(`${where}: "${v.data}" is not a whole number`);
          continue;
        }
        value = n;
      }
      if (ours === 'CrmType' && typeof value === 'string' && value.trim().toLowerCase() === 'internallfd') value = 'InternalIFD'; // the manual's value list spells it with two l
      out.set(ours, value);
    }
  }
  const required = service === 'manager'
    ? ['# Required by crm-tapi, no registry value to take it from:', '# ConnectorKeys = ["env:CRM_TAPI_CONNECTOR_KEY"]   # the keys connectors register with', '# CrmPassword = "env:CRM_TAPI_CRM_PASSWORD"']
    : ['# Required by crm-tapi, no registry value to take it from:', '# ConnectorKey = "env:CRM_TAPI_CONNECTOR_KEY"   # one of the manager\'s ConnectorKeys', '# [Provider]   # Kind = "tapi" on Windows (docs/connector.md)'];
  if (service === 'manager' && out.has('CertificateThumbprint')) skipped.push('CertificateThumbprint: carried over, but read from no certificate store: export the certificate and set TlsPfxFile (or TlsCertFile and TlsKeyFile)');
  const lines = [
    `# crm-tapi ${service} configuration imported from a registry export of the vendor's ${service === 'manager' ? 'TAPI-Manager (manual 4.5.1)' : 'TAPI-Connector (manual 4.5.2)'}.`,
    '',
    ...[...out].map(([k, v]) => `${k} = ${tomlValue(v)}`),
    '',
    ...required,
    ...(skipped.length === 0 ? [] : ['', '# Not carried over:', ...skipped.map((s) => `#   ${s}`)]),
    '',
  ];
  return { toml: lines.join('\n'), skipped };
}
