// `crm-tapi lab start|stop|call|hangup`: real SIP on this machine in one
// command. `start` runs the lab in a background process of its own (it writes
// a state file with every PID and port and exits once everything is up);
// `stop` asks that process to end (SIGTERM) and it ends Kamailio and the
// phones by PID; if it does not, `stop` ends them itself. `--with-bridge` adds
// the simulated Dataverse, the manager and a connector that drives extension
// 25 through its own baresip, so a real SIP call pops up in the panel.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CtrlClient } from '../../connector/providers/sip/ctrl-client.ts';
import { GATEWAY_USER } from '../../lab/kamailio.ts';
import { LAB_EXTERNAL_CALLER, missingPrograms, startLab, type Lab } from '../../lab/lab.ts';
import { CliExit, fail } from '../output.ts';

export const LAB_STATUS = { ok: 0, failure: 1, usage: 2, missing: 3 } as const;
const BRIDGE_LINE = '25';
const START_DEADLINE_MS = 90_000;

export interface LabState {
  pid: number;
  ready: boolean;
  error?: string;
  log: string;
  kamailio?: { pid: number; port: number };
  phones?: { users: readonly string[]; pid: number; ctrlPort: number; sipPort: number }[];
  bridge?: { panelUrl: string; line: string; webSocketUrl: string };
}

/** How long `stop` waits for the lab process to end its own before it kills what the state file names. */
const KILL_AFTER_S = 20;

interface StartOptions {
  state?: string;
  withBridge?: boolean;
  extensions: string;
}

function statePath(given?: string): string {
  return given ?? join(tmpdir(), `crm-tapi-lab-${process.getuid?.() ?? 'user'}.json`);
}

function readState(path: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function extensionsOf(text: string): string[] {
  const list = text.split(',').map((e) => e.trim());
  if (list.length === 0 || list.some((e) => !/^\d{1,8}$/.test(e)) || new Set(list).size !== list.length) {
    fail('invalid-argument', `--extensions must be distinct extensions (digits) separated by commas, e.g. "25,26,27"; got "${text}"`, LAB_STATUS.usage);
  }
  return list;
}

async function start(o: StartOptions): Promise<void> {
  const path = statePath(o.state);
  const extensions = extensionsOf(o.extensions);
  const missing = missingPrograms();
  if (missing.length > 0) fail('missing-program', `the lab needs ${missing.join('; ')}`, LAB_STATUS.missing);
  const existing = readState(path);
  if (existing !== undefined && alive(existing.pid)) fail('lab-running', `a lab is already running (process ${existing.pid}, state ${path}); stop it with: crm-tapi lab stop`, LAB_STATUS.failure);
  rmSync(path, { force: true });
  const logPath = `${path}.log`;
  const out = openSync(logPath, 'w');
  const args = [...process.execArgv, process.argv[1] as string, 'lab', 'run', '--state', path, '--extensions', extensions.join(','), ...(o.withBridge === true ? ['--with-bridge'] : [])];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  const deadline = Date.now() + START_DEADLINE_MS;
  for (;;) {
    const state = readState(path);
    if (state?.error !== undefined) fail('lab-start-failed', `${state.error} (log: ${logPath})`, LAB_STATUS.failure);
    if (state?.ready === true) return printStarted(state, path);
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.pid !== undefined && alive(child.pid)) process.kill(child.pid, 'SIGTERM');
      fail('lab-start-failed', `the lab did not come up (log: ${logPath})`, LAB_STATUS.failure);
    }
    await sleep(100);
  }
}

function printStarted(state: LabState, path: string): void {
  const lines = [`crm-tapi lab: Kamailio on 127.0.0.1:${state.kamailio?.port} (pid ${state.kamailio?.pid}), lab process ${state.pid}`];
  for (const p of state.phones ?? []) lines.push(`  phone ${p.users.join(', ').padEnd(26)} pid ${p.pid}, SIP 127.0.0.1:${p.sipPort}, ctrl_tcp 127.0.0.1:${p.ctrlPort}`);
  if (state.bridge !== undefined) {
    lines.push(`  extension ${state.bridge.line} is driven by the connector; manager ${state.bridge.webSocketUrl}`, '', `Open the softphone panel (signed in as Emily Carter, line ${state.bridge.line}):`, `  ${state.bridge.panelUrl}`);
  }
  lines.push('', 'Ring a phone:', `  crm-tapi lab call --from ${LAB_EXTERNAL_CALLER} --to ${state.bridge?.line ?? '25'}    (an external caller through the trunk)`, '  crm-tapi lab call --from 26 --to 25', 'Stop everything:', '  crm-tapi lab stop', `(state: ${path})`, '');
  process.stdout.write(lines.join('\n'));
}

async function runLab(o: StartOptions): Promise<void> {
  const path = statePath(o.state);
  const extensions = extensionsOf(o.extensions);
  const state: LabState = { pid: process.pid, ready: false, log: `${path}.log` };
  const save = () => writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`);
  let lab: Lab | undefined;
  let bridge: { stop(): Promise<void> } | undefined;
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    await bridge?.stop().catch(() => undefined);
    await lab?.stop();
    rmSync(path, { force: true });
  };
  const stopped = new Promise<void>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => void stopAll().then(resolve));
  });
  try {
    lab = await startLab({ extensions, driven: o.withBridge === true ? [BRIDGE_LINE] : [] });
    state.kamailio = { pid: lab.kamailio.pid, port: lab.kamailio.port };
    state.phones = lab.phones.map((p) => ({ ...p }));
    if (o.withBridge === true) {
      const { startLabBridge } = await import('./lab-bridge.ts');
      const b = await startLabBridge(lab, BRIDGE_LINE);
      bridge = b;
      state.bridge = { panelUrl: b.panelUrl, line: BRIDGE_LINE, webSocketUrl: b.webSocketUrl };
    }
    state.ready = true;
    save();
  } catch (err) {
    state.error = err instanceof Error ? err.message : String(err);
    save();
    await stopAll();
    throw new CliExit(LAB_STATUS.failure);
  }
  await stopped;
}

interface StopOptions {
  state?: string;
  killAfter: string;
}

async function stop(o: StopOptions): Promise<void> {
  const killAfter = Number(o.killAfter);
  if (!(Number.isFinite(killAfter) && killAfter >= 0 && killAfter <= 3_600)) fail('invalid-argument', `--kill-after must be seconds from 0 to 3600, got "${o.killAfter}"`, LAB_STATUS.usage);
  const path = statePath(o.state);
  const state = readState(path);
  if (state === undefined) fail('no-lab', `no lab is running (no state file ${path})`, LAB_STATUS.failure);
  if (alive(state.pid)) process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + killAfter * 1000;
  while (alive(state.pid) && Date.now() < deadline) await sleep(100);
  // The lab process did not end (or left something behind): end what it started, by the PIDs it wrote down.
  const pids = [state.pid, ...(state.phones ?? []).map((p) => p.pid), ...(state.kamailio ? [state.kamailio.pid] : [])];
  const killed = pids.filter(alive);
  for (const pid of killed) process.kill(pid, 'SIGKILL');
  rmSync(path, { force: true });
  if (killed.length > 0) process.stdout.write(`crm-tapi lab: killed ${killed.join(', ')} (still running ${killAfter} s after SIGTERM)\n`);
  process.stdout.write(`crm-tapi lab: stopped (process ${state.pid})\n`);
}

/** Sends commands to one lab phone's ctrl_tcp and prints baresip's answers. */
async function drive(o: { state?: string }, user: string, commands: [string, string][]): Promise<void> {
  const state = readState(statePath(o.state));
  if (state === undefined || !state.ready) fail('no-lab', 'no lab is running; start one with: crm-tapi lab start', LAB_STATUS.failure);
  const phone = (state.phones ?? []).find((p) => p.users.includes(user));
  if (phone === undefined) fail('unknown-phone', `no lab phone has the account ${user} (phones: ${(state.phones ?? []).map((p) => p.users.join('/')).join(', ')})`, LAB_STATUS.usage);
  const domain = `127.0.0.1:${state.kamailio?.port}`;
  let client: CtrlClient;
  try {
    client = await CtrlClient.connect({ host: '127.0.0.1', port: phone.ctrlPort, onEvent: () => undefined, onClose: () => undefined });
  } catch (err) {
    fail('phone-busy', `phone ${user} does not answer on ctrl_tcp 127.0.0.1:${phone.ctrlPort} (${(err as Error).message})`, LAB_STATUS.failure);
  }
  try {
    await client.command('uafind', `sip:${user}@${domain}`);
    for (const [command, params] of commands) {
      const r = await client.command(command, params);
      if (r.data.trim() !== '') process.stdout.write(`${r.data.trim()}\n`);
    }
  } finally {
    client.close();
  }
}

export function registerLab(program: Command): void {
  const lab = program.command('lab').description('Real SIP on this machine: Kamailio and baresip phones on 127.0.0.1 (docs/sip.md)');
  lab
    .command('start')
    .description('start Kamailio and baresip phones in the background (with --with-bridge also the manager, a connector and the simulated Dataverse)')
    .option('--with-bridge', 'also run the simulated Dataverse, the manager and a connector driving extension 25')
    .option('--extensions <list>', 'extensions to register', '25,26,27')
    .option('--state <file>', 'state file with the PIDs and ports (default: in the temp directory)')
    .addHelpText('after', `\nExit status: 0 started, 1 failed, 2 bad arguments, 3 baresip-core or kamailio missing.\nExternal caller through the trunk: ${LAB_EXTERNAL_CALLER}; the trunk registers as "${GATEWAY_USER}".`)
    .action(async (o: StartOptions) => {
      await start(o);
      throw new CliExit(LAB_STATUS.ok);
    });
  lab
    .command('run', { hidden: true })
    .option('--with-bridge')
    .option('--extensions <list>', '', '25,26,27')
    .option('--state <file>')
    .action(async (o: StartOptions) => {
      await runLab(o);
      throw new CliExit(LAB_STATUS.ok);
    });
  lab
    .command('stop')
    .description('stop the lab: every process it started, by PID')
    .option('--state <file>', 'state file of the lab')
    .option('--kill-after <seconds>', 'kill (SIGKILL) what is still running this long after SIGTERM', String(KILL_AFTER_S))
    .action(async (o: StopOptions) => {
      await stop(o);
      throw new CliExit(LAB_STATUS.ok);
    });
  lab
    .command('call')
    .description('make a lab phone call a number')
    .requiredOption('--from <account>', `the calling phone's account: an extension, or ${LAB_EXTERNAL_CALLER} (the external caller)`)
    .requiredOption('--to <number>', 'the number to dial')
    .option('--state <file>', 'state file of the lab')
    .action(async (o: { from: string; to: string; state?: string }) => {
      if (!/^\+?[0-9*#]{1,32}$/.test(o.to)) fail('invalid-argument', `--to must be a number (digits, +, *, #), got "${o.to}"`, LAB_STATUS.usage);
      await drive(o, o.from, [['dial', o.to]]);
      throw new CliExit(LAB_STATUS.ok);
    });
  lab
    .command('answer')
    .description('answer the ringing call of a lab phone')
    .requiredOption('--on <account>', 'the phone')
    .option('--state <file>', 'state file of the lab')
    .action(async (o: { on: string; state?: string }) => {
      await drive(o, o.on, [['accept', '']]);
      throw new CliExit(LAB_STATUS.ok);
    });
  lab
    .command('hangup')
    .description('hang up the current call of a lab phone')
    .requiredOption('--on <account>', 'the phone')
    .option('--state <file>', 'state file of the lab')
    .action(async (o: { on: string; state?: string }) => {
      await drive(o, o.on, [['hangup', '']]);
      throw new CliExit(LAB_STATUS.ok);
    });
}

