// `crm-tapi diagnose --manager URL`: the diagnose report of a running manager
// (or, with --refresh, "refresh phone numbers now"), proven with DiagnoseKey
// from the manager's configuration file or CRM_TAPI_DIAGNOSE_KEY.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConfigError, readConfigFile } from '../../config/file.ts';
import { resolveSecret } from '../../dataverse/connection-config.ts';
import { DiagnoseClientError, requestDiagnose } from '../../manager/diagnose-client.ts';
import { formatRefresh, formatReport } from '../../manager/diagnose-format.ts';
import { fail } from '../output.ts';

interface DiagnoseOptions {
  manager: string;
  config?: string;
  json?: boolean;
  refresh?: boolean;
  timeout: string;
  ca?: string;
}

export const DIAGNOSE_KEY_ENV = 'CRM_TAPI_DIAGNOSE_KEY';

/** DiagnoseKey of a manager configuration file (any case, env:NAME allowed); the rest of the file is not needed here. */
async function keyFrom(options: DiagnoseOptions): Promise<string> {
  if (options.config !== undefined) {
    const raw = await readConfigFile(options.config);
    const table = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const entry = Object.entries(table).find(([k]) => k.toLowerCase() === 'diagnosekey');
    if (entry === undefined || typeof entry[1] !== 'string' || entry[1].length === 0) {
      throw new ConfigError('config-invalid', `${options.config}: DiagnoseKey is not set; add it to the manager's configuration (and restart the manager)`);
    }
    return resolveSecret(entry[1], 'DiagnoseKey') as string;
  }
  const fromEnv = process.env[DIAGNOSE_KEY_ENV];
  if (fromEnv === undefined || fromEnv === '') {
    throw new ConfigError('config-invalid', `no DiagnoseKey: give --config with the manager's configuration file or set ${DIAGNOSE_KEY_ENV}`);
  }
  return fromEnv;
}

async function runDiagnose(options: DiagnoseOptions): Promise<void> {
  const timeout = Number(options.timeout);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 600) fail('invalid-option', `--timeout must be a whole number of seconds from 1 to 600, got "${options.timeout}"`, 2);
  let key: string;
  let ca: Buffer | undefined;
  try {
    key = await keyFrom(options);
    ca = options.ca === undefined ? undefined : await readFile(options.ca).catch((err: NodeJS.ErrnoException) => {
      throw new ConfigError('config-unreadable', `--ca ${options.ca}: cannot read the file (${err.code ?? 'error'})`);
    });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.code, err.message, 2);
    throw err;
  }
  try {
    const answer = await requestDiagnose({ url: options.manager, key, action: options.refresh ? 'refresh' : 'diagnose', timeoutMs: timeout * 1000, ...(ca ? { ca } : {}) });
    if (options.json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    else process.stdout.write(answer.command === 'diagnoseReport' ? formatReport(answer, Date.now()) : formatRefresh(answer));
    if (answer.command === 'refreshResult' && !answer.ok) process.exitCode = 1;
  } catch (err) {
    if (err instanceof DiagnoseClientError) fail(err.managerCode ?? err.code, err.message, err.code === 'invalid-url' ? 2 : 1);
    throw err;
  }
}

export function registerDiagnose(program: Command): void {
  program
    .command('diagnose')
    .description("Ask a running manager for its diagnose report (connectors, lines, sockets), or refresh its phone numbers")
    .requiredOption('-m, --manager <url>', "the manager's WebSocket URL, e.g. ws://127.0.0.1:8080 or wss://tapi.example.com:8080")
    .option('-c, --config <file>', `the manager's configuration file (for DiagnoseKey); else ${DIAGNOSE_KEY_ENV}`)
    .option('--refresh', 'refresh the phone numbers now instead of printing the report')
    .option('--json', 'print the answer as JSON')
    .option('--timeout <seconds>', 'how long to wait for the answer', '15')
    .option('--ca <file>', 'PEM CA certificate(s) to trust for wss://')
    .action(async (options: DiagnoseOptions) => {
      await runDiagnose(options);
    });
}
