// Everything the manager checks before it contacts the CRM, in one place so
// `crm-tapi manager --check-config`, `crm-tapi check` and the start itself
// apply the same rules: the configuration (every key, one sentence each),
// the certificate (readable, usable), DataDir (creatable, writable) and the
// log file (its directory creatable, writable).
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../../config/file.ts';
import { resolveSecret } from '../../config/secret.ts';
import { AffinityError, allowedCpus, planAffinity } from '../../platform/cpu-affinity.ts';
import { readTlsMaterial } from '../startup/tls.ts';
import { loadManagerConfig, type ManagerConfig } from './load.ts';

async function writable(dir: string, key: string, create: boolean): Promise<string | undefined> {
  try {
    if (create) await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return undefined;
  } catch (err) {
    return `${key}: ${dir} is not a writable directory for this user (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

/** Reads and validates the file, then the certificate, DataDir, LogFile and EventLoopCpu (on this host); throws one ConfigError naming every problem. */
export async function preflightManagerConfig(path: string): Promise<ManagerConfig> {
  const config = await loadManagerConfig(path);
  const problems: string[] = [];
  try {
    await readTlsMaterial(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  // The CRM secrets are read when the connection is built: an unset env:NAME stops the start there.
  for (const key of ['CrmPassword', 'CrmClientSecret'] as const) {
    try {
      resolveSecret(config.crm[key], key);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  const data = await writable(config.DataDir, 'DataDir', true);
  if (data !== undefined) problems.push(data);
  if (config.LogArt === 'File' && config.LogFile !== undefined) {
    // Created as the log target creates it at start (src/logging/file-target.ts): a missing directory is fine, an unwritable one is not.
    const log = await writable(dirname(config.LogFile), 'LogFile', true);
    if (log !== undefined) problems.push(log);
  }
  if (config.EventLoopCpu !== undefined) {
    const plan = planAffinity(config.EventLoopCpu, allowedCpus() ?? [], process.platform);
    if (plan instanceof AffinityError) problems.push(plan.message);
  }
  if (problems.length > 0) throw new ConfigError('config-invalid', `${path}: ${problems.length} invalid setting(s):\n  ${problems.join('\n  ')}`, problems);
  return config;
}

/** One line an operator reads after `--check-config`: what the manager will do with this file. */
export function configSummary(config: ManagerConfig): string {
  const tls = config.TlsCertFile !== undefined || config.TlsPfxFile !== undefined;
  return (
    `ok: CRM ${config.crm.CrmType} ${config.crm.CrmServer} organisation ${config.crm.CrmOrganisation}, ` +
    `TAPI port ${config.BindAddress}:${config.CrmTapiPort}${config.ConnectorTls ? ' (TLS)' : ''}, ` +
    `WebSocket port ${config.CrmTapiWebSocketPort}${tls ? ' (wss)' : ''}, DataDir ${config.DataDir}, ` +
    `LogArt ${config.LogArt}, LogLevel ${config.LogLevel}, ${config.ConnectorKeys.length} connector key(s)${config.DiagnoseKey === undefined ? ', no DiagnoseKey' : ''}\n`
  );
}
