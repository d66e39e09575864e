// From a file (or an already parsed object) to a validated ManagerConfig.
// Keys are matched without regard to case (the original lived in the Windows
// registry); unknown keys are reported, not ignored, because a misspelt key
// would otherwise silently fall back to its default. Every bad key is one
// sentence in one ConfigError.
import { dirname, isAbsolute, resolve } from 'node:path';
import { canonicaliseKeys, ConfigError, describeIssues, isConfigTable, readConfigFile, type ConfigTable } from '../../config/file.ts';
import { resolveSecret } from '../../config/secret.ts';
import { connectionConfigSchema, type ConnectionConfig } from '../../dataverse/connection-config.ts';
import { ALL_KEYS, CRM_KEYS } from './keys.ts';
import { crossKeyProblems, managerKeysSchema, type ParsedManagerKeys } from './schema.ts';

export interface ManagerConfig extends Omit<ParsedManagerKeys, 'ConnectorKeys' | 'DiagnoseKey' | 'TimeZone' | 'ConnectorTls'> {
  /** Secrets with `env:NAME` already resolved. */
  ConnectorKeys: string[];
  DiagnoseKey?: string;
  /** The zone RefreshTelephoneNumberTime is read in (default: the system's). */
  TimeZone: string;
  /** TLS on the TAPI port (default: on whenever a certificate is configured). */
  ConnectorTls: boolean;
  /** The CRM connection settings (src/dataverse). */
  crm: ConnectionConfig;
  /** Where the configuration came from (file path or a label). */
  origin: string;
}

export interface ValidateOptions {
  /** Directory relative paths are resolved against (the config file's). */
  baseDir: string;
  env?: NodeJS.ProcessEnv;
}

type Table = ConfigTable;
const isTable = isConfigTable;

function pick(table: Table, keys: readonly string[]): Table {
  return Object.fromEntries(Object.entries(table).filter(([k]) => keys.includes(k)));
}

function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Validates parsed configuration text; throws one `ConfigError` listing every bad key. */
export function validateManagerConfig(raw: unknown, origin: string, options: ValidateOptions): ManagerConfig {
  if (!isTable(raw)) throw new ConfigError('config-invalid', `${origin}: the file must hold a table of settings`, ['(file): must hold a table of settings']);
  const problems: string[] = [];
  const table = canonicaliseKeys(raw, ALL_KEYS, problems, { unknownHint: ' (see docs/manager.md for the list)' });
  const own = managerKeysSchema.safeParse(pick(table, ALL_KEYS.filter((k) => !CRM_KEYS.includes(k))));
  const crm = connectionConfigSchema.safeParse(pick(table, CRM_KEYS));
  if (!own.success) problems.push(...describeIssues(own.error, origin).problems);
  if (!crm.success) problems.push(...describeIssues(crm.error, origin).problems);
  problems.push(...crossKeyProblems(table));
  if (!own.success || !crm.success || problems.length > 0) {
    throw new ConfigError('config-invalid', `${origin}: ${problems.length} invalid setting(s):\n  ${problems.join('\n  ')}`, problems);
  }
  const env = options.env ?? process.env;
  const abs = (p: string | undefined): string | undefined => (p === undefined || isAbsolute(p) ? p : resolve(options.baseDir, p));
  const data = own.data;
  // env:NAME secrets are resolved now, so a missing variable stops the start, not the first registration.
  const secret = (value: string | undefined, key: string): string | undefined => resolveSecret(value, key, env);
  const connectorKeys = data.ConnectorKeys.map((k, i) => secret(k, `ConnectorKeys[${i}]`) as string);
  const diagnoseKey = secret(data.DiagnoseKey, 'DiagnoseKey');
  const hasCertificate = data.TlsCertFile !== undefined || data.TlsPfxFile !== undefined;
  const { DiagnoseKey: _d, TimeZone: _t, ConnectorTls: _c, ...rest } = data;
  return {
    ...rest,
    ConnectorKeys: connectorKeys,
    ...(diagnoseKey === undefined ? {} : { DiagnoseKey: diagnoseKey }),
    TimeZone: data.TimeZone ?? systemTimeZone(),
    ConnectorTls: data.ConnectorTls ?? hasCertificate,
    LogFile: abs(data.LogFile),
    TlsCertFile: abs(data.TlsCertFile),
    TlsKeyFile: abs(data.TlsKeyFile),
    TlsPfxFile: abs(data.TlsPfxFile),
    TlsPfxPassword: secret(data.TlsPfxPassword, 'TlsPfxPassword'),
    HealthToken: secret(data.HealthToken, 'HealthToken'),
    DataDir: abs(data.DataDir) as string,
    crm: { ...crm.data, CrmCaFile: abs(crm.data.CrmCaFile), CrmCertificateFile: abs(crm.data.CrmCertificateFile) },
    origin,
  };
}

/** Reads, parses and validates a manager configuration file. */
export async function loadManagerConfig(path: string, options: Partial<ValidateOptions> = {}): Promise<ManagerConfig> {
  const raw = await readConfigFile(path);
  return validateManagerConfig(raw, path, { baseDir: options.baseDir ?? dirname(path), ...(options.env ? { env: options.env } : {}) });
}

/** Every secret value in the configuration (for the log scrubber). */
export function secretsOf(config: ManagerConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const values = [...config.ConnectorKeys, config.DiagnoseKey, config.ServicePassword, config.TlsPfxPassword, config.HealthToken];
  for (const key of ['CrmPassword', 'CrmClientSecret'] as const) {
    try {
      values.push(resolveSecret(config.crm[key], key, env));
    } catch {
      // an unset variable is reported when the connection is built
    }
  }
  return values.filter((v): v is string => typeof v === 'string' && v.length > 0);
}
