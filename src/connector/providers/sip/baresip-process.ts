// Starts one baresip process with a configuration of its own in a temporary
// directory: SIP, ctrl_tcp and RTP on loopback ports free at this moment,
// audio through `aubridge` (no sound card; `stdio.so` is never loaded, it
// would read the terminal), G.711 only. Account lines are written as given
// (they may hold `auth_pass`, so they are never logged).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineProviderError } from '../../line-provider.ts';
import { stopChild } from './child-process.ts';
import { freeChildTcpPort, freeSipPort, freeUdpRange } from './ports.ts';

export const DEFAULT_BARESIP = '/usr/bin/baresip';
/** Where Debian's baresip-core installs its modules. */
export const DEFAULT_MODULE_PATH = '/usr/lib/baresip/modules';
const RTP_PORTS = 20;

export interface BaresipSpawnOptions {
  readonly binary?: string;
  readonly modulePath?: string;
  /** Account lines as baresip's `accounts` file takes them: `<sip:25@pbx>;auth_pass=…`. */
  readonly accounts: readonly string[];
  /** The address SIP and RTP bind to (default 127.0.0.1). */
  readonly host?: string;
}

export interface BaresipProcess {
  readonly pid: number;
  readonly ctrlPort: number;
  readonly sipPort: number;
  readonly child: ChildProcess;
  /** The last lines baresip printed (for error messages; account secrets are not printed by baresip). */
  output(): string;
  stop(): Promise<void>;
}

function configText(o: { host: string; sipPort: number; ctrlPort: number; rtp: { from: number; to: number }; modulePath: string; device: string }): string {
  return [
    'poll_method epoll',
    `sip_listen ${o.host}:${o.sipPort}`,
    'sip_transports udp',
    `net_interface ${o.host}`,
    'call_local_timeout 120',
    'call_max_calls 8',
    `audio_player aubridge,${o.device}`,
    `audio_source aubridge,${o.device}`,
    `audio_alert aubridge,${o.device}`,
    `rtp_ports ${o.rtp.from}-${o.rtp.to}`,
    `ctrl_tcp_listen 127.0.0.1:${o.ctrlPort}`,
    `module_path ${o.modulePath}`,
    'module g711.so',
    'module aubridge.so',
    'module_app account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    '',
  ].join('\n');
}

/** Makes every account answer manually (the agent answers, not baresip) unless it says otherwise. */
function accountLine(account: string): string {
  return /;answermode=/.test(account) ? account : `${account};answermode=manual`;
}

export async function spawnBaresip(options: BaresipSpawnOptions): Promise<BaresipProcess> {
  const host = options.host ?? '127.0.0.1';
  const dir = await mkdtemp(join(tmpdir(), 'crm-tapi-baresip-'));
  const sipPort = await freeSipPort(host);
  const ctrlPort = await freeChildTcpPort();
  const rtp = await freeUdpRange(RTP_PORTS, host);
  await writeFile(join(dir, 'config'), configText({ host, sipPort, ctrlPort, rtp, modulePath: options.modulePath ?? DEFAULT_MODULE_PATH, device: `p${sipPort}` }));
  await writeFile(join(dir, 'accounts'), `${options.accounts.map(accountLine).join('\n')}\n`, { mode: 0o600 });
  const binary = options.binary ?? DEFAULT_BARESIP;
  const child = spawn(binary, ['-f', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (err) => resolve(err));
  });
  const cleanup = () => rm(dir, { recursive: true, force: true }).catch(() => undefined);
  if (spawned !== undefined || child.pid === undefined) {
    await cleanup();
    throw new LineProviderError('provider-down', `cannot start ${binary}: ${spawned?.message ?? 'no process'} (install it: apt-get install baresip-core)`, { cause: spawned });
  }
  child.once('exit', () => void cleanup());
  return {
    pid: child.pid,
    ctrlPort,
    sipPort,
    child,
    output: () => tail,
    stop: async () => {
      await stopChild(child);
      await cleanup();
    },
  };
}
