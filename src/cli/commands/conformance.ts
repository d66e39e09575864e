// `crm-tapi conformance manager|connector|client`: the conformance suite of
// spec/conformance.md against a live implementation. Prints each case as it
// ends and a summary; --junit and --json write the reports. Exit status: 0
// every MUST case passed (and with --strict every SHOULD case), 1 not
// conformant, 2 bad usage. Secrets come from the environment, never from
// options that `ps` shows: CRM_TAPI_CONFORMANCE_PASSWORD (the proving user's
// password) and CRM_TAPI_CONFORMANCE_CONNECTOR_KEY (or --connector-key).
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  CLIENT_CASES, ClientContext, ClientListener, CONNECTOR_CASES, ConnectorContext, ConnectorListener, DataverseProver, formatResult, formatSummary, HookProver,
  MANAGER_CASES, ManagerContext, runSuite, toJson, toJUnit, type Case, type Prover, type Report,
} from '../../conformance/index.ts';
import { CliExit, fail } from '../output.ts';

interface Common {
  strict?: boolean;
  junit?: string;
  json?: string;
  only?: string;
  caseTimeout: string;
  replyTimeout: string;
  list?: boolean;
}

const seconds = (value: string, what: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) fail('invalid-option', `${what} must be a number of seconds from 0 to 3600, got "${value}"`, 2);
  return n;
};

const port = (value: string, what: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) fail('invalid-option', `${what} must be a port from 0 to 65535, got "${value}"`, 2);
  return n;
};

function commonOptions(c: Command): Command {
  return c
    .option('--strict', 'SHOULD cases decide the verdict too')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--json <file>', 'write a JSON report')
    .option('--only <ids>', 'run only these cases or groups of ids, comma-separated (e.g. M-REG,M-CALL-02)')
    .option('--case-timeout <s>', 'deadline of each case in seconds', '30')
    .option('--reply-timeout <s>', 'how long a reply may take in seconds', '5')
    .option('--list', 'list the cases (id, level, clause, title) and exit');
}

function listCases(cases: readonly Case<unknown>[]): void {
  for (const c of cases) process.stdout.write(`${c.id.padEnd(11)} ${c.level.padEnd(6)} ${c.clause.padEnd(18)} ${c.title}${c.needs?.length ? ` [needs ${c.needs.join(', ')}]` : ''}\n`);
}

async function finish(report: Report, o: Common): Promise<void> {
  process.stdout.write(`${formatSummary(report)}\n`);
  try {
    if (o.junit) await writeFile(o.junit, toJUnit(report));
    if (o.json) await writeFile(o.json, toJson(report));
  } catch (err) {
    fail('report-unwritable', `could not write the report: ${(err as Error).message}`, 2);
  }
  if (!report.passed) throw new CliExit(1);
}

async function run<C>(role: 'manager' | 'connector' | 'client', target: string, cases: readonly Case<C>[], ctx: C, o: Common): Promise<void> {
  process.stdout.write(`crm-tapi conformance ${role}: ${target}\n`);
  const report = await runSuite(role, target, cases, ctx, {
    caseTimeoutMs: seconds(o.caseTimeout, '--case-timeout') * 1000,
    strict: o.strict === true,
    ...(o.only ? { only: o.only.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    onResult: (r) => process.stdout.write(`${formatResult(r)}\n`),
  });
  await finish(report, o);
}

function connectorKey(option: string | undefined): string | undefined {
  return option ?? process.env.CRM_TAPI_CONFORMANCE_CONNECTOR_KEY;
}

interface ManagerOptions extends Common {
  tcp: string;
  ws: string;
  connectorKey?: string;
  connectorHost: string;
  lines: string;
  origin?: string;
  dataverse?: string;
  tokenUrl?: string;
  clientId?: string;
  user?: string;
  publisherPrefix?: string;
  proveHook?: string;
  keepaliveGrace: string;
  quiet: string;
}

function prover(o: ManagerOptions): Prover | undefined {
  if (o.proveHook) return new HookProver(o.proveHook);
  if (o.dataverse === undefined) return undefined;
  if (!o.tokenUrl || !o.clientId || !o.user) fail('invalid-option', '--dataverse needs --token-url, --client-id and --user (the password in CRM_TAPI_CONFORMANCE_PASSWORD)', 2);
  const password = process.env.CRM_TAPI_CONFORMANCE_PASSWORD;
  if (!password) fail('invalid-option', `--user ${o.user} needs the password in the environment variable CRM_TAPI_CONFORMANCE_PASSWORD`, 2);
  try {
    new URL(o.dataverse);
    new URL(o.tokenUrl);
  } catch {
    fail('invalid-option', '--dataverse and --token-url must be URLs', 2);
  }
  return new DataverseProver({ webApiUrl: o.dataverse, tokenUrl: o.tokenUrl, clientId: o.clientId, username: o.user, password, ...(o.publisherPrefix ? { publisherPrefix: o.publisherPrefix } : {}) });
}

async function runManagerRole(o: ManagerOptions): Promise<void> {
  if (o.list) return listCases(MANAGER_CASES as readonly Case<unknown>[]);
  const m = /^(.+):(\d+)$/.exec(o.tcp ?? '');
  if (!m) fail('invalid-option', `--tcp must be HOST:PORT, got "${o.tcp ?? ''}"`, 2);
  if (!/^wss?:\/\//.test(o.ws ?? '')) fail('invalid-option', `--ws must be a ws:// or wss:// URL, got "${o.ws ?? ''}"`, 2);
  const key = connectorKey(o.connectorKey);
  if (!key) fail('invalid-option', 'give a connector key the manager accepts: --connector-key or CRM_TAPI_CONFORMANCE_CONNECTOR_KEY', 2);
  const lines = o.lines.split(',').map((s) => s.trim()).filter(Boolean);
  if (lines.length === 0) fail('invalid-option', '--lines names no line', 2);
  const p = prover(o);
  const ctx = new ManagerContext({
    tcpHost: (m[1] as string).replace(/^\[|\]$/g, ''), tcpPort: port(m[2] as string, '--tcp port'), wsUrl: o.ws, connectorKey: key, connectorHost: o.connectorHost, lines,
    ...(o.origin ? { origin: o.origin } : {}), ...(p ? { prover: p } : {}),
    replyMs: seconds(o.replyTimeout, '--reply-timeout') * 1000, quietMs: seconds(o.quiet, '--quiet') * 1000, keepAliveGraceSeconds: seconds(o.keepaliveGrace, '--keepalive-grace'),
  });
  if (p === undefined) process.stdout.write('note: no --dataverse/--prove-hook: the cases that need a proven client are skipped\n');
  await run('manager', `${o.tcp} + ${o.ws}`, MANAGER_CASES, ctx, o);
}

interface ListenOptions extends Common {
  listen: string;
  host: string;
  acceptTimeout: string;
  hookTimeout: string;
}

/** The timing every listening role shares, from the options. */
function listenTiming(o: ListenOptions): { acceptMs: number; replyMs: number; hookTimeoutMs: number } {
  return { acceptMs: seconds(o.acceptTimeout, '--accept-timeout') * 1000, replyMs: seconds(o.replyTimeout, '--reply-timeout') * 1000, hookTimeoutMs: seconds(o.hookTimeout, '--hook-timeout') * 1000 };
}

async function runConnectorRole(o: ListenOptions & { connectorKey?: string; onRing?: string; ringLine?: string; keepaliveInterval: string }): Promise<void> {
  if (o.list) return listCases(CONNECTOR_CASES as readonly Case<unknown>[]);
  const listener = await ConnectorListener.listen(port(o.listen, '--listen'), o.host).catch((err: NodeJS.ErrnoException) => fail('listen-failed', `cannot listen on ${o.host}:${o.listen}: ${err.code ?? err.message}`, 2));
  try {
    process.stdout.write(`listening on ${o.host}:${listener.port}; point the connector's CRMTapiManagerServer/CRMTapiManagerPort here\n`);
    const key = connectorKey(o.connectorKey);
    const ctx = new ConnectorContext({
      ...(key ? { connectorKey: key } : {}), ...(o.onRing ? { onRing: o.onRing } : {}), ...(o.ringLine ? { ringLine: o.ringLine } : {}),
      ...listenTiming(o), keepAliveInterval: Math.round(seconds(o.keepaliveInterval, '--keepalive-interval')),
    }, listener);
    await run('connector', `connector on port ${listener.port}`, CONNECTOR_CASES, ctx, o);
  } finally {
    await listener.close();
  }
}

type ClientRoleOptions = ListenOptions & { onDial?: string; onControl?: string; showCall?: string; heartbeatInterval: string };

async function runClientRole(o: ClientRoleOptions): Promise<void> {
  if (o.list) return listCases(CLIENT_CASES as readonly Case<unknown>[]);
  const listener = await ClientListener.listen(port(o.listen, '--listen'), o.host).catch((err: NodeJS.ErrnoException) => fail('listen-failed', `cannot listen on ${o.host}:${o.listen}: ${err.code ?? err.message}`, 2));
  try {
    process.stdout.write(`listening on ws://${o.host}:${listener.port}/; point the client's manager URL here\n`);
    const ctx = new ClientContext({
      ...(o.onDial ? { onDial: o.onDial } : {}), ...(o.onControl ? { onControl: o.onControl } : {}), ...(o.showCall ? { showCall: o.showCall } : {}), ...listenTiming(o), heartbeatInterval: Math.round(seconds(o.heartbeatInterval, '--heartbeat-interval')),
    }, listener);
    await run('client', `client on port ${listener.port}`, CLIENT_CASES, ctx, o);
  } finally {
    await listener.close();
  }
}

function listenOptions(c: Command): Command {
  return c
    .option('--listen <port>', 'port to listen on (0 = any free port, printed)', '0')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--accept-timeout <s>', 'how long to wait for the implementation to (re)connect', '30')
    .option('--hook-timeout <s>', 'how long a hook command may run', '20');
}

export function registerConformance(program: Command): void {
  const conformance = program.command('conformance').description('Run the conformance suite (spec/conformance.md) against a manager, connector or client implementation');
  commonOptions(conformance.command('manager')
    .description('Play connectors and browser clients against a manager')
    .option('--tcp <host:port>', "the manager's TAPI port (connectors)")
    .option('--ws <url>', "the manager's WebSocket URL (browser clients)")
    .option('--connector-key <key>', 'a connector key the manager accepts (or CRM_TAPI_CONFORMANCE_CONNECTOR_KEY)')
    .option('--connector-host <name>', 'connector host name the suite registers as', 'conformance')
    .option('--lines <names>', 'line names the suite reports; assign <host>:<line> of one to --user for the call cases', '701,702')
    .option('--origin <origin>', 'Origin header of the WebSocket (one of the manager\'s AllowedOrigins)')
    .option('--dataverse <url>', 'Web API URL where the suite creates session records (identity proof), e.g. https://org.crm4.dynamics.com/api/data/v9.2/')
    .option('--token-url <url>', 'OAuth 2.0 token endpoint for the password grant')
    .option('--client-id <id>', 'application (client) id allowed to use the password grant')
    .option('--user <upn>', 'CRM user that proves itself (password in CRM_TAPI_CONFORMANCE_PASSWORD)')
    .option('--publisher-prefix <prefix>', 'the solution\'s publisher prefix (CrmPublisherPrefix)')
    .option('--prove-hook <command>', 'instead of --dataverse: a command that creates the session record (CONFORMANCE_NONCE, CONFORMANCE_CLIENT_INSTANCE) and prints its id')
    .option('--keepalive-grace <s>', "the manager's grace after the keep-alive interval", '15')
    .option('--quiet <s>', 'how long "nothing arrives" is watched where nothing later bounds it', '1'))
    .action(async (o: ManagerOptions) => runManagerRole(o));
  commonOptions(listenOptions(conformance.command('connector')
    .description('Play the manager for a connector that connects to --listen')
    .option('--connector-key <key>', 'the key the connector must present (or CRM_TAPI_CONFORMANCE_CONNECTOR_KEY)')
    .option('--on-ring <command>', 'a command that makes the PBX ring a line (CONFORMANCE_LINE, CONFORMANCE_FROM), e.g. crm-tapi simulate call')
    .option('--ring-line <name>', 'the line to ring (default: the reported lines in turn)')
    .option('--keepalive-interval <s>', 'keepAliveInterval announced in registered', '2')))
    .action(async (o: ListenOptions & { connectorKey?: string; onRing?: string; ringLine?: string; keepaliveInterval: string }) => runConnectorRole(o));
  commonOptions(listenOptions(conformance.command('client')
    .description('Play the manager for a browser or other client that connects to --listen')
    .option('--on-dial <command>', 'a command that makes the client dial (CONFORMANCE_LINE, CONFORMANCE_NUMBER)')
    .option('--on-control <command>', 'a command that makes the client carry out a call control (CONFORMANCE_CALL_KEY, CONFORMANCE_NUMBER, CONFORMANCE_ACTION, CONFORMANCE_TARGET); prints not-offered when the client does not offer it')
    .option('--show-call <command>', 'a command that prints what the client shows of a call (CONFORMANCE_CALL_KEY, CONFORMANCE_NUMBER) as lines state=, offers=, message=, consultation=')
    .option('--heartbeat-interval <s>', 'heartbeatInterval announced in welcome', '2')))
    .action(async (o: ClientRoleOptions) => runClientRole(o));
}
