// `crm-tapi simulate pbx | call | scenario`: the simulated PBX for people and
// for CI. `pbx` runs it on the wall clock with its control endpoint; `call`
// rings a line of a running PBX (or of a connector hosting one); `scenario`
// plays a scenario file on the virtual clock in an instant and prints the
// events, or records them as a session for the replay provider.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { WallClock } from '../../../simulator/pbx/clock.ts';
import { controlRequest } from '../../../simulator/pbx/control-client.ts';
import { DEFAULT_CONTROL_PORT, startControlServer } from '../../../simulator/pbx/control-server.ts';
import { parseDuration } from '../../../simulator/pbx/duration.ts';
import { parseLineSpec } from '../../../simulator/pbx/lines.ts';
import { SimulatedPbx } from '../../../simulator/pbx/pbx.ts';
import { SimulatedLineProvider } from '../../../simulator/pbx/provider.ts';
import { parseScenario } from '../../../simulator/pbx/scenario.ts';
import type { Scenario } from '../../../simulator/pbx/scenario.ts';
import { pbxForScenario, scheduleScenario } from '../../../simulator/pbx/scenario-runner.ts';
import { playScenario } from '../../../simulator/pbx/record-scenario.ts';
import { RecordingProvider } from '../../connector/recording/recorder.ts';
import { fileSink } from '../../connector/recording/sink.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { EXIT, fail, stdoutPrinter } from '../output.ts';

/** Runs `fn`, turning any typed error into the CLI's `error: code: message` line. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CrmTapiError) fail(err.code, err.message);
    throw err;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function huntGroups(specs: readonly string[]): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const spec of specs) {
    const match = /^(\d{1,12})=(.+)$/.exec(spec.trim());
    if (match === null) fail('invalid-hunt-group', `"${spec}" is not NUMBER=LINES, e.g. 600=21,22,23`, EXIT.usage);
    groups[match[1] as string] = parseLineSpec(match[2] as string);
  }
  return groups;
}

async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fail(code === 'ENOENT' ? 'scenario-not-found' : 'scenario-unreadable', `${path}: ${code === 'ENOENT' ? 'no such scenario file' : `cannot read it (${code ?? 'error'})`}`);
  }
  return parseScenario(text, path);
}

function port(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) fail('invalid-port', `"${text}" is not a TCP port (0–65535)`, EXIT.usage);
  return value;
}

interface PbxOptions {
  lines: string;
  controlPort: string;
  huntGroup: string[];
  scenario?: string;
  record?: string;
  printEvents?: boolean;
}

async function runPbx(options: PbxOptions): Promise<void> {
  const scenario = options.scenario === undefined ? undefined : await loadScenario(options.scenario);
  const clock = new WallClock();
  const pbx =
    scenario === undefined
      ? new SimulatedPbx({ clock, lines: parseLineSpec(options.lines), huntGroups: huntGroups(options.huntGroup) })
      : pbxForScenario(scenario, clock);
  const provider = new SimulatedLineProvider(pbx);
  const recorder = options.record === undefined ? undefined : new RecordingProvider(provider, fileSink(options.record));
  if (options.printEvents === true) {
    const print = stdoutPrinter(() => undefined);
    pbx.subscribe((event) => print(`${JSON.stringify(event)}\n`));
  }
  await (recorder ?? provider).open();
  let server;
  try {
    server = await startControlServer(pbx, { port: port(options.controlPort), onProblem: (message) => process.stderr.write(`warning: ${message}\n`) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') fail('port-in-use', `port ${options.controlPort} on 127.0.0.1 is taken; choose another with --control-port`);
    throw err;
  }
  const lines = pbx.lines().map((line) => line.address);
  process.stderr.write(`simulated PBX: ${lines.length} lines (${lines.slice(0, 12).join(', ')}${lines.length > 12 ? ', …' : ''})\n`);
  process.stderr.write(`control endpoint: ${server.url}  (events: ${server.url}/events; ring a line: crm-tapi simulate call --to ${lines[0] ?? '20'} --from "+49 30 1234567")\n`);
  if (scenario !== undefined) scheduleScenario(pbx, scenario, (error) => process.stderr.write(`warning: ${error.message}\n`));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await recorder?.close();
  pbx.close();
}

interface CallOptions {
  from: string;
  to: string;
  name?: string;
  answerAfter?: string;
  hangupAfter?: string;
  pbx?: string;
  controlPort: string;
}

async function runCall(options: CallOptions): Promise<void> {
  const port = Number(options.controlPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail('invalid-option', `--control-port must be a TCP port from 1 to 65535, not "${options.controlPort}"`, 2);
  const body = {
    from: options.from,
    to: options.to,
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.answerAfter === undefined ? {} : { answerAfter: parseDuration(options.answerAfter) }),
    ...(options.hangupAfter === undefined ? {} : { hangupAfter: parseDuration(options.hangupAfter) }),
  };
  const result = (await controlRequest(options.pbx ?? `http://127.0.0.1:${port}`, 'POST', '/calls', body)) as { session: string; callIds: string[]; outcome: string };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.outcome !== 'ringing') fail(`line-${result.outcome}`, `line ${options.to} did not ring: it is ${result.outcome}`);
}

async function runScenarioFile(path: string, options: { record?: string }): Promise<void> {
  const scenario = await loadScenario(path);
  const { events, errors } = await playScenario(scenario, options.record === undefined ? undefined : fileSink(options.record));
  if (options.record === undefined) {
    const print = stdoutPrinter(() => undefined);
    for (const event of events) print(`${JSON.stringify(event)}\n`);
  }
  for (const error of errors) process.stderr.write(`warning: ${error.message}\n`);
  if (errors.length > 0) fail('scenario-step-failed', `${errors.length} step(s) of ${path} could not be carried out`);
}

export function registerSimulatePbx(simulate: Command): void {
  simulate
    .command('pbx')
    .description('Start the simulated PBX on the wall clock with its control endpoint on 127.0.0.1')
    .option('--lines <spec>', 'extensions, e.g. 20-29 or 20-29,40', '20-29')
    .option('--control-port <port>', 'control endpoint port (0 = any free port)', String(DEFAULT_CONTROL_PORT))
    .option('--hunt-group <number=lines>', 'a hunt group, e.g. 600=21,22,23 (repeatable)', collect, [])
    .option('--scenario <file>', 'play this scenario file (its lines replace --lines)')
    .option('--record <file>', 'record the session to this JSON Lines file')
    .option('--print-events', 'print every PBX event as a JSON line on stdout')
    .action((options: PbxOptions) => guarded(() => runPbx(options)));

  simulate
    .command('call')
    .description('Ring a line of a running simulated PBX from an external number')
    .requiredOption('--from <number>', 'the calling number, e.g. "+49 30 1234567"')
    .requiredOption('--to <line>', 'the extension or hunt group to ring, e.g. 25')
    .option('--name <name>', "the caller's display name")
    .option('--answer-after <duration>', 'the line answers after this long, e.g. 3s')
    .option('--hangup-after <duration>', 'the caller hangs up this long after the answer (or after the first ring), e.g. 20s')
    // The same option name as `simulate pbx --control-port` and `demo --control-port`.
    .option('--control-port <port>', 'control endpoint of the simulated PBX on this host', String(DEFAULT_CONTROL_PORT))
    .option('--pbx <url>', 'control endpoint of a simulated PBX on another host (instead of --control-port)')
    .action((options: CallOptions) => guarded(() => runCall(options)));

  simulate
    .command('scenario')
    .description('Play a scenario file on the virtual clock at once; print its events as JSON lines, or record them')
    .argument('<file>', 'scenario file (YAML), see fixtures/scenarios/')
    .option('--record <file>', 'write the session as a recording instead of printing events')
    .action((file: string, options: { record?: string }) => guarded(() => runScenarioFile(file, options)));
}
