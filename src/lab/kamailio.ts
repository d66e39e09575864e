// Kamailio as the lab's stand-in PBX: a registrar and proxy on 127.0.0.1, on
// a UDP port free at start, its configuration and runtime files in a
// temporary directory. Calls to a registered extension are relayed; a number
// that looks external (leading 0 or +) goes to whatever registered as
// `gateway` (the lab's trunk); anything else gets 404 Not Found.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stopChild } from '../connector/providers/sip/child-process.ts';
import { freeSipPort } from '../connector/providers/sip/ports.ts';
import { CrmTapiError } from '../protocol/errors.ts';

export const DEFAULT_KAMAILIO = '/usr/sbin/kamailio';
export const DEFAULT_KAMAILIO_MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules';
export const GATEWAY_USER = 'gateway';
/**
 * How long the registrar keeps routing to a contact after it expired: until usrloc's next
 * clean-up, which runs every this many seconds. The lab's phones refresh every 3.6 s of a 4 s
 * registration (baresip refreshes at 90 %); on a loaded host a refresh can arrive after the 0.4 s
 * left, and without this grace a call in that moment got 404 (the lab test failed so in 2 of 12
 * runs with two or four busy cores). A phone that is gone still stops being routed to within 4 + 30 s.
 */
export const KEEP_EXPIRED_S = 30;

export class LabError extends CrmTapiError {
  constructor(
    readonly code: 'missing-program' | 'start-failed',
    message: string,
  ) {
    super(message);
  }
}

/** The line Kamailio logs when `traceInvites` is on, just before it relays a new INVITE to a registered phone. */
export const INVITE_TRACE = /crm-tapi-invite user=(\S+) call-id=(\S+) at=(\d+)\.(\d{6})/;

export interface InviteTrace {
  /** The user the caller dialled (the To header: the extension, not the contact Kamailio found). */
  readonly user: string;
  readonly callId: string;
  /** When Kamailio relayed it, on the wall clock (gettimeofday), in milliseconds with microseconds. */
  readonly epochMs: number;
}

export function parseInviteTrace(line: string): InviteTrace | undefined {
  const m = INVITE_TRACE.exec(line);
  if (m === null) return undefined;
  return { user: m[1] as string, callId: m[2] as string, epochMs: Number(m[3]) * 1000 + Number(m[4]) / 1000 };
}

export function kamailioConfig(o: { port: number; runDir: string; modulePath: string; traceInvites?: boolean }): string {
  // The trace is taken after the location lookup, right before t_relay sends the INVITE to the phone:
  // on loopback that is the moment it reaches the phone, give or take the kernel's microseconds.
  const trace = o.traceInvites === true ? `if (is_method("INVITE")) { xlog("L_ALERT", "crm-tapi-invite user=$tU call-id=$ci at=$TV(Sn)\\n"); } ` : '';
  return `#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=2
disable_tcp=yes
listen=udp:127.0.0.1:${o.port}
auto_aliases=no
alias="127.0.0.1:${o.port}"
mpath="${o.modulePath}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "ctl.so"
${o.traceInvites === true ? 'loadmodule "xlog.so"\n' : ''}modparam("ctl", "binrpc", "unix:${o.runDir}/ctl.sock")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 1)
modparam("registrar", "default_expires", 60)
modparam("registrar", "use_expired_contacts", 1)
modparam("usrloc", "timer_interval", ${KEEP_EXPIRED_S})
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
    sl_send_reply("404", "Not here"); exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  t_check_trans();
  if (is_method("REGISTER")) { save("location"); exit; }
  if (is_method("INVITE|SUBSCRIBE")) { record_route(); }
  if (lookup("location")) { ${trace}t_relay(); exit; }
  if ($rU =~ "^[+0][0-9]+$") {
    $rU = "${GATEWAY_USER}";
    if (lookup("location")) { ${trace}t_relay(); exit; }
  }
  sl_send_reply("404", "Not Found");
}
`;
}

export interface KamailioOptions {
  readonly binary?: string;
  readonly modulePath?: string;
  /** Reuse a port (a restart keeps the registrar's address); default: a free one. */
  readonly port?: number;
  /** Called for every new INVITE Kamailio relays to a registered phone, with its time (the SIP benchmark's clock start). */
  readonly onInvite?: (trace: InviteTrace) => void;
}

export interface RunningKamailio {
  readonly pid: number;
  readonly port: number;
  /** `127.0.0.1:<port>`: the domain of the lab's accounts. */
  readonly domain: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

const READY_DEADLINE_MS = 5_000;

export async function startKamailio(options: KamailioOptions = {}): Promise<RunningKamailio> {
  const binary = options.binary ?? DEFAULT_KAMAILIO;
  const port = options.port ?? (await freeSipPort());
  const dir = await mkdtemp(join(tmpdir(), 'crm-tapi-kamailio-'));
  const cfg = join(dir, 'kamailio.cfg');
  await writeFile(cfg, kamailioConfig({ port, runDir: dir, modulePath: options.modulePath ?? DEFAULT_KAMAILIO_MODULES, traceInvites: options.onInvite !== undefined }));
  // -DD: stay in the foreground with the workers as our grandchildren; SIGTERM to this PID ends them all.
  const child = spawn(binary, ['-f', cfg, '-DD', '-E', '-Y', dir, '-w', dir, '-m', '32', '-M', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const onInvite = options.onInvite;
  if (onInvite !== undefined && child.stderr !== null) {
    createInterface({ input: child.stderr }).on('line', (line) => {
      const trace = parseInviteTrace(line);
      if (trace !== undefined) onInvite(trace);
    });
  }
  const cleanup = () => rm(dir, { recursive: true, force: true }).catch(() => undefined);
  const problem = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(`no sign of life within ${READY_DEADLINE_MS} ms`), READY_DEADLINE_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve((err as NodeJS.ErrnoException).code === 'ENOENT' ? `${binary} is not installed (apt-get install kamailio)` : err.message);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(`kamailio exited with ${code}: ${output.trim().split('\n').slice(-3).join(' | ')}`);
    });
    const poll = setInterval(() => {
      // The ctl worker reports its listener last of all the processes.
      if (/io_listen_loop/.test(output)) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(undefined);
      }
    }, 20);
    child.once('exit', () => clearInterval(poll));
    child.once('error', () => clearInterval(poll));
  });
  if (problem !== undefined || child.pid === undefined) {
    await stopChild(child);
    await cleanup();
    throw new LabError(problem?.includes('not installed') === true ? 'missing-program' : 'start-failed', `Kamailio: ${problem ?? 'no process'}`);
  }
  return {
    pid: child.pid,
    port,
    domain: `127.0.0.1:${port}`,
    child,
    stop: async () => {
      await stopChild(child, { graceMs: 2_000 });
      await cleanup();
    },
  };
}
