// `crm-tapi diagnose --manager URL`: the diagnose report of a running manager
// (connectors, lines, sockets, the outbox with every dead letter), or with
// --refresh "refresh phone numbers now"; `crm-tapi outbox retry|drop` act on
// the dead letters through the same channel. Proven with DiagnoseKey from the
// manager's configuration file or CRM_TAPI_DIAGNOSE_KEY.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConfigError, readConfigFile } from '../../config/file.ts';
import { resolveSecret } from '../../config/secret.ts';
import { DiagnoseClientError, requestDiagnose, type DiagnoseAnswer, type DiagnoseRequest } from '../../manager/diagnose-client.ts';
import { formatOutboxResult, formatRefresh, formatReport } from '../../manager/diagnose-format.ts';
import { EXIT, fail } from '../output.ts';
import { diagnoseHint } from './hints.ts';

export interface ChannelOptions {
  manager: string;
  config?: string;
  json?: boolean;
  timeout: string;
  ca?: string;
}

interface DiagnoseOptions extends ChannelOptions {
  refresh?: boolean;
}

export const DIAGNOSE_KEY_ENV = 'CRM_TAPI_DIAGNOSE_KEY';

/** DiagnoseKey of a manager configuration file (any case, env:NAME allowed); the rest of the file is not needed here. */
async function keyFrom(options: ChannelOptions): Promise<string> {
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

/** Sends one request on the diagnose channel; usage and configuration errors end with status 2, an unreachable or refusing manager with 1. */
export async function askManager(options: ChannelOptions, request: Pick<DiagnoseRequest, 'action' | 'id' | 'all'>): Promise<DiagnoseAnswer> {
  const timeout = Number(options.timeout);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 600) fail('invalid-option', `--timeout must be a whole number of seconds from 1 to 600, got "${options.timeout}"`, EXIT.usage);
  let key: string;
  let ca: Buffer | undefined;
  try {
    key = await keyFrom(options);
    ca = options.ca === undefined ? undefined : await readFile(options.ca).catch((err: NodeJS.ErrnoException) => {
      throw new ConfigError('config-unreadable', `--ca ${options.ca}: cannot read the file (${err.code ?? 'error'})`);
    });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.code, err.message, EXIT.usage);
    throw err;
  }
  try {
    return await requestDiagnose({ url: options.manager, key, ...request, timeoutMs: timeout * 1000, ...(ca ? { ca } : {}) });
  } catch (err) {
    if (err instanceof DiagnoseClientError) fail(err.managerCode ?? err.code, `${err.message}${await diagnoseHint(err, options.manager, options.ca !== undefined)}`, err.code === 'invalid-url' ? EXIT.usage : EXIT.failure);
    throw err;
  }
}

async function runDiagnose(options: DiagnoseOptions): Promise<void> {
  const answer = await askManager(options, { action: options.refresh ? 'refresh' : 'diagnose' });
  if (options.json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  else if (answer.command === 'diagnoseReport') process.stdout.write(formatReport(answer, Date.now()));
  else if (answer.command === 'refreshResult') process.stdout.write(formatRefresh(answer));
  if (answer.command === 'refreshResult' && !answer.ok) process.exitCode = EXIT.failure;
}

/** The options every diagnose-channel command takes. */
export function channelOptions(command: Command): Command {
  return command
    .requiredOption('-m, --manager <url>', "the manager's WebSocket URL, e.g. ws://127.0.0.1:8080 or wss://tapi.example.com:8080")
    .option('-c, --config <file>', `the manager's configuration file (for DiagnoseKey); else ${DIAGNOSE_KEY_ENV}`)
    .option('--json', 'print the answer as JSON')
    .option('--timeout <seconds>', 'how long to wait for the answer', '15')
    .option('--ca <file>', 'PEM CA certificate(s) to trust for wss://');
}

export function registerDiagnose(program: Command): void {
  channelOptions(
    program
      .command('diagnose')
      .description('Ask a running manager for its diagnose report (connectors, lines, sockets, waiting and failed CRM writes), or refresh its phone numbers'),
  )
    .option('--refresh', 'refresh the phone numbers now instead of printing the report')
    .addHelpText('after', '\nExit status: 0 ok, 1 manager unreachable or refused (or the refresh failed), 2 usage or configuration error.')
    .action(async (options: DiagnoseOptions) => {
      await runDiagnose(options);
    });
}

async function runOutbox(options: ChannelOptions & { id?: string; all?: boolean }, action: 'outboxRetry' | 'outboxDrop'): Promise<void> {
  if (action === 'outboxRetry' && (options.id === undefined) === (options.all !== true)) fail('invalid-option', 'give either --id ID (one dead letter) or --all', EXIT.usage);
  if (options.id !== undefined && !/^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i.test(options.id)) {
    fail('invalid-option', `--id must be the dead letter's GUID as crm-tapi diagnose prints it, not "${options.id.slice(0, 80)}"`, EXIT.usage);
  }
  const answer = await askManager(options, { action, ...(options.id === undefined ? {} : { id: options.id.replace(/[{}]/g, '') }), ...(options.all ? { all: true } : {}) });
  if (answer.command !== 'outboxResult') fail('bad-reply', `the manager answered ${answer.command} instead of outboxResult`, EXIT.failure);
  if (options.json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  else process.stdout.write(formatOutboxResult(answer, action));
  if (!answer.ok) process.exitCode = EXIT.failure;
}

export function registerOutbox(program: Command): void {
  const outbox = program
    .command('outbox')
    .description("Act on the manager's dead letters (CRM writes that failed for good; crm-tapi diagnose lists them); audited in the CRM's event log");
  channelOptions(outbox.command('retry').description('Put dead letters back into the outbox: one (--id) or all (--all)'))
    .option('--id <guid>', 'the dead letter to send again')
    .option('--all', 'every dead letter')
    .addHelpText('after', '\nExit status: 0 done, 1 manager unreachable or refused (e.g. not-found), 2 usage or configuration error.')
    .action(async (options: ChannelOptions & { id?: string; all?: boolean }) => runOutbox(options, 'outboxRetry'));
  channelOptions(outbox.command('drop').description('Forget one dead letter for good (it is never written to the CRM)'))
    .requiredOption('--id <guid>', 'the dead letter to drop')
    .addHelpText('after', '\nExit status: 0 done, 1 manager unreachable or refused (e.g. not-found), 2 usage or configuration error.')
    .action(async (options: ChannelOptions & { id: string }) => runOutbox(options, 'outboxDrop'));
}
