// From a file (or an already parsed object) to a validated ConnectorConfig.
// Keys are matched without regard to case (the original lived in the Windows
// registry, where case never mattered); unknown keys are reported, not ignored,
// because a misspelt key would otherwise silently fall back to its default.
import { healthKeyProblems } from '../../config/health-keys.ts';
import { resolveSecret } from '../../config/secret.ts';
import { hostname as osHostname } from 'node:os';
import { dirname } from 'node:path';
import { canonicaliseKeys, ConfigError, describeIssues, isConfigTable, readConfigFile, type ConfigTable } from '../../config/file.ts';
import { REPLAY_KEYS, SIMULATOR_KEYS, SIP_KEYS, TAPI_KEYS, TOP_LEVEL_KEYS } from './keys.ts';
import { connectorConfigSchema, resolvePaths, type ParsedConnectorConfig } from './schema.ts';

export interface ConnectorConfig extends Omit<ParsedConnectorConfig, 'ConnectorHost'> {
  /** Prefix of every line name `<host>:<line>`; defaults to the machine's host name. */
  ConnectorHost: string;
}

export interface ValidateOptions {
  /** Directory relative paths are resolved against (the config file's). */
  baseDir: string;
  /** Source of the default ConnectorHost (tests pin it). */
  hostname?: () => string;
}

type Table = ConfigTable;
const isTable = isConfigTable;

function normalise(raw: unknown, origin: string): { table: Table; problems: string[] } {
  if (!isTable(raw)) throw new ConfigError('config-invalid', `${origin}: the file must hold a table of settings`, ['(file): must hold a table of settings']);
  const problems: string[] = [];
  const table = canonicaliseKeys(raw, TOP_LEVEL_KEYS, problems, { unknownHint: ` (known settings: ${TOP_LEVEL_KEYS.join(', ')})` });
  const provider = table.Provider;
  if (isTable(provider)) {
    const kindKey = Object.keys(provider).find((k) => k.toLowerCase() === 'kind');
    const kind = kindKey === undefined ? undefined : provider[kindKey];
    const kindText = typeof kind === 'string' ? kind.trim().toLowerCase() : kind;
    const known = kindText === 'replay' ? REPLAY_KEYS : kindText === 'simulator' ? SIMULATOR_KEYS : kindText === 'tapi' ? TAPI_KEYS : kindText === 'sip' ? SIP_KEYS : ['Kind'];
    const hint = typeof kindText === 'string' && known.length > 1 ? ` for Kind = ${kindText} (known: ${known.join(', ')})` : '';
    const canon = canonicaliseKeys(kindText === undefined || known.length > 1 ? provider : { Kind: kind }, known, problems, { prefix: 'Provider.', unknownHint: hint });
    if (typeof canon.Kind === 'string') canon.Kind = canon.Kind.trim().toLowerCase();
    table.Provider = canon;
  }
  return { table, problems };
}

/**
 * Rules across two keys, checked on the raw values so they are reported even
 * when another key is bad too (zod skips object refinements after an issue).
 */
function crossKeyProblems(table: Table): string[] {
  const problems: string[] = [];
  const logArt = typeof table.LogArt === 'string' ? table.LogArt.trim().toLowerCase() : undefined;
  if (logArt === 'file' && table.LogFile === undefined) problems.push('LogFile: is required when LogArt = File');
  const tls = table.ManagerTls === 1 || table.ManagerTls === true;
  for (const key of ['ManagerCaFile', 'ManagerServerName']) {
    if (!tls && table[key] !== undefined) problems.push(`${key}: has no effect unless ManagerTls = 1`);
  }
  problems.push(...healthKeyProblems(table));
  return problems;
}

/** Validates parsed configuration text; throws one `ConfigError` listing every bad key. */
export function validateConnectorConfig(raw: unknown, origin: string, options: ValidateOptions): ConnectorConfig {
  const { table, problems } = normalise(raw, origin);
  const result = connectorConfigSchema.safeParse(table);
  const zodProblems = result.success ? [] : describeIssues(result.error, origin).problems;
  const all = [...problems, ...zodProblems, ...crossKeyProblems(table)];
  if (!result.success || all.length > 0) {
    throw new ConfigError('config-invalid', `${origin}: ${all.length} invalid setting(s):\n  ${all.join('\n  ')}`, all);
  }
  const parsed = resolvePaths(result.data, options.baseDir);
  return { ...parsed, ConnectorHost: parsed.ConnectorHost ?? (options.hostname ?? osHostname)() };
}

/** Reads, parses and validates a connector configuration file. */
export async function loadConnectorConfig(path: string, options: Partial<ValidateOptions> = {}): Promise<ConnectorConfig> {
  const raw = await readConfigFile(path);
  return validateConnectorConfig(raw, path, { baseDir: options.baseDir ?? dirname(path), ...(options.hostname ? { hostname: options.hostname } : {}) });
}

/**
 * Every secret value in the configuration, for the log scrubber: the connector key, the health token as the
 * endpoint uses it (an `env:NAME` resolved; a variable that is not set is reported when the endpoint starts)
 * and the `auth_pass` of each SIP account line.
 */
export function connectorSecrets(config: ConnectorConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  let health: string | undefined;
  try {
    health = resolveSecret(config.HealthToken, 'HealthToken', env);
  } catch {
    health = undefined;
  }
  const sip = config.Provider.Kind === 'sip' ? config.Provider.Phones.flatMap((p) => p.Accounts).map(authPassOf) : [];
  return [config.ConnectorKey, health, ...sip].filter((v): v is string => v !== undefined && v !== '');
}

/** The `auth_pass` parameter of a baresip account line (quoted or not), if any. */
function authPassOf(account: string): string | undefined {
  const m = /;\s*auth_pass=(?:"([^"]*)"|([^;\s>]*))/i.exec(account);
  return m === null ? undefined : (m[1] ?? m[2]);
}
