// `crm-tapi lab`: Kamailio and baresip phones on 127.0.0.1 in one command,
// driven and stopped from the command line (every PID gone afterwards); and
// the bridge: a real SIP call through the lab reaches the CRM's call log.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLabBridge } from '../../src/cli/commands/lab-bridge.ts';
import type { LabState } from '../../src/cli/commands/lab.ts';
import { CtrlClient } from '../../src/connector/providers/sip/ctrl-client.ts';
import type { CtrlEvent } from '../../src/connector/providers/sip/messages.ts';
import { createSchema } from '../../src/dataverse/schema.ts';
import { LAB_EXTERNAL_CALLER, missingPrograms, startLab } from '../../src/lab/lab.ts';
import { alive, crmTapi } from '../support/lab-cli.ts';
import { SIP_AVAILABLE, SIP_MISSING, waitFor } from '../support/sip-world.ts';

const dirs: string[] = [];


afterAll(async () => {
  // A test that failed before its `lab stop` leaves the lab running: stop it by its state file
  // before the directory (and with it the state file) goes, or its phones outlive the test run.
  for (const d of dirs) {
    const statePath = join(d, 'lab.json');
    if (existsSync(statePath)) await crmTapi(['lab', 'stop', '--state', statePath, '--kill-after', '2']);
    await rm(d, { recursive: true, force: true });
  }
}, 60_000);

it('says what to install when baresip or Kamailio is missing', () => {
  expect(missingPrograms({ baresip: '/nonexistent/baresip', kamailio: '/nonexistent/kamailio' })).toEqual([
    'baresip (/nonexistent/baresip): apt-get install --no-install-recommends baresip-core',
    'kamailio (/nonexistent/kamailio): apt-get install --no-install-recommends kamailio',
  ]);
});

describe('crm-tapi lab without its programs', () => {
  it.each([
    ['baresip', { CRM_TAPI_BARESIP: '/nonexistent/baresip' }, 'the lab needs baresip (/nonexistent/baresip): apt-get install --no-install-recommends baresip-core'],
    ['kamailio', { CRM_TAPI_KAMAILIO: '/nonexistent/kamailio' }, 'the lab needs kamailio (/nonexistent/kamailio): apt-get install --no-install-recommends kamailio'],
    [
      'both',
      { CRM_TAPI_BARESIP: '/nonexistent/baresip', CRM_TAPI_KAMAILIO: '/nonexistent/kamailio' },
      'the lab needs baresip (/nonexistent/baresip): apt-get install --no-install-recommends baresip-core; kamailio (/nonexistent/kamailio): apt-get install --no-install-recommends kamailio',
    ],
  ])('start with %s missing: says how to install it, exits 3, starts nothing', async (_what, env, sentence) => {
    const dir = await mkdtemp(join(tmpdir(), 'crm-tapi-lab-test-'));
    dirs.push(dir);
    const statePath = join(dir, 'lab.json');
    // A program given but absent counts as missing even where Debian's are installed.
    const { CRM_TAPI_BARESIP: _b, CRM_TAPI_KAMAILIO: _k, ...rest } = process.env;
    const started = await crmTapi(['lab', 'start', '--state', statePath], { ...rest, ...env });
    expect(started.stderr).toBe(`error: missing-program: ${sentence}\n`);
    expect(started.code).toBe(3);
    expect(started.stdout).toBe('');
    expect(existsSync(statePath)).toBe(false);
    expect(existsSync(`${statePath}.log`)).toBe(false);
  }, 60_000);
});

/** A process that notes SIGTERM in `file` and keeps running: a hung lab process or phone. */
function stubborn(file: string): Promise<{ child: ChildProcess; exited: Promise<NodeJS.Signals | null> }> {
  const code = `process.on('SIGTERM', () => require('node:fs').appendFileSync(${JSON.stringify(file)}, 'SIGTERM\\n')); setInterval(() => undefined, 1000); process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', () => resolve({ child, exited }));
  });
}

describe('crm-tapi lab stop', () => {
  it('kills by PID (SIGKILL) what still runs --kill-after seconds after SIGTERM: the lab process, its phones and Kamailio', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crm-tapi-lab-test-'));
    dirs.push(dir);
    const statePath = join(dir, 'lab.json');
    const [lab, kamailio, phone] = await Promise.all(['lab', 'kamailio', 'phone'].map((n) => stubborn(join(dir, `${n}.signals`))));
    const started: ChildProcess[] = [lab, kamailio, phone].map((p) => (p as { child: ChildProcess }).child);
    try {
      const [labPid, kamailioPid, phonePid] = started.map((c) => c.pid as number);
      const state: LabState = { pid: labPid as number, ready: true, log: `${statePath}.log`, kamailio: { pid: kamailioPid as number, port: 5060 }, phones: [{ users: ['25'], pid: phonePid as number, ctrlPort: 4444, sipPort: 5062 }] };
      writeFileSync(statePath, JSON.stringify(state));
      const t0 = Date.now();
      const stopped = await crmTapi(['lab', 'stop', '--state', statePath, '--kill-after', '1']);
      expect(stopped.stderr).toBe('');
      expect(stopped.code).toBe(0);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
      expect(stopped.stdout).toBe(`crm-tapi lab: killed ${labPid}, ${phonePid}, ${kamailioPid} (still running 1 s after SIGTERM)\ncrm-tapi lab: stopped (process ${labPid})\n`);
      expect(await Promise.all([lab, kamailio, phone].map((p) => p?.exited))).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL']);
      // The lab process was asked first; what it started is its to end, so only the fallback touches them.
      expect(readFileSync(join(dir, 'lab.signals'), 'utf8')).toBe('SIGTERM\n');
      expect(existsSync(join(dir, 'phone.signals'))).toBe(false);
      expect(existsSync(join(dir, 'kamailio.signals'))).toBe(false);
      expect(existsSync(statePath)).toBe(false);
    } finally {
      for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  }, 60_000);

  it('refuses a --kill-after that is not seconds', async () => {
    const r = await crmTapi(['lab', 'stop', '--state', join(tmpdir(), 'crm-tapi-lab-none.json'), '--kill-after', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: invalid-argument: --kill-after must be seconds from 0 to 3600, got "soon"\n');
  });
});

describe.runIf(SIP_AVAILABLE)('crm-tapi lab', () => {
  it('start: Kamailio and phones 25-27 plus the trunk; call, answer, hang up; a second start is refused; stop ends every PID', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crm-tapi-lab-test-'));
    dirs.push(dir);
    const statePath = join(dir, 'lab.json');
    const started = await crmTapi(['lab', 'start', '--state', statePath]);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/Kamailio on 127\.0\.0\.1:\d+/);
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as LabState;
    expect(state.phones?.map((p) => p.users.join(','))).toEqual(['25', '26', '27', `gateway,${LAB_EXTERNAL_CALLER}`]);
    const pids = [state.pid, state.kamailio?.pid as number, ...(state.phones ?? []).map((p) => p.pid)];
    expect(pids.every(alive)).toBe(true);
    // Every port differs: nothing fixed, nothing shared.
    const ports = [state.kamailio?.port, ...(state.phones ?? []).flatMap((p) => [p.sipPort, p.ctrlPort])];
    expect(new Set(ports).size).toBe(ports.length);

    expect((await crmTapi(['lab', 'start', '--state', statePath])).stderr).toMatch(/^error: lab-running: a lab is already running/);

    // Watch 27 through its ctrl_tcp (one client at a time) while the CLI drives 27 and 25.
    const phone27 = state.phones?.find((p) => p.users.includes('27'));
    const events: CtrlEvent[] = [];
    expect((await crmTapi(['lab', 'call', '--from', '25', '--to', '27', '--state', statePath])).code).toBe(0);
    expect((await crmTapi(['lab', 'answer', '--on', '27', '--state', statePath])).stdout).toMatch(/Answering incoming call/);
    const watcher = await CtrlClient.connect({ host: '127.0.0.1', port: phone27?.ctrlPort as number, onEvent: (e) => events.push(e), onClose: () => undefined });
    try {
      // `answer` returns once baresip takes the command, before 200 OK and ACK have crossed; a hang-up
      // in that window is a CANCEL racing the 200, which baresip may leave to the 32 s ACK timer.
      // Hang up an established call, as the test means to.
      // A deadline, not a count of polls: on a loaded host each `listcalls` can itself take long,
      // and 200 OK is retransmitted from 500 ms doubling, so the call may take seconds to settle.
      const deadline = Date.now() + 30_000;
      for (let calls = ''; !/ESTABLISHED/.test(calls); ) {
        calls = (await watcher.command('listcalls')).data;
        if (/ESTABLISHED/.test(calls)) break;
        if (Date.now() > deadline) throw new Error(`27 never showed the call ESTABLISHED in 30 s; its calls: ${JSON.stringify(calls)}; its events: ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await crmTapi(['lab', 'hangup', '--on', '25', '--state', statePath])).code).toBe(0);
      await waitFor('the call to close at 27', () => events.some((e) => e.type === 'CALL_CLOSED' && e.peeruri?.startsWith('sip:25@')));
    } finally {
      watcher.close();
    }
    expect((await crmTapi(['lab', 'call', '--from', '99', '--to', '25', '--state', statePath])).stderr).toMatch(/^error: unknown-phone: /);

    const stopped = await crmTapi(['lab', 'stop', '--state', statePath]);
    expect(stopped.code).toBe(0);
    await waitFor('every lab process to end', () => pids.every((pid) => !alive(pid)), 15_000);
    expect(existsSync(statePath)).toBe(false);
    expect((await crmTapi(['lab', 'stop', '--state', statePath])).stderr).toMatch(/^error: no-lab: /);
  }, 120_000);

  it('--with-bridge: an external call through the lab rings the connector\'s extension and lands in the CRM\'s call log', async () => {
    const lab = await startLab({ extensions: ['25', '26'], driven: ['25'] });
    let bridge: Awaited<ReturnType<typeof startLabBridge>> | undefined;
    try {
      bridge = await startLabBridge(lab, '25');
      const trunk = lab.phones.find((p) => p.users.includes(LAB_EXTERNAL_CALLER));
      const events: CtrlEvent[] = [];
      const caller = await CtrlClient.connect({ host: '127.0.0.1', port: trunk?.ctrlPort as number, onEvent: (e) => events.push(e), onClose: () => undefined });
      try {
        await caller.command('uafind', `sip:${LAB_EXTERNAL_CALLER}@${lab.kamailio.domain}`);
        await caller.command('dial', '25');
        await waitFor('25 to ring', () => events.some((e) => e.type === 'CALL_RINGING'));
        await caller.command('hangup');
      } finally {
        caller.close();
      }
      const log = createSchema().callLog;
      const dv = bridge.stack.dv;
      const entry = await waitFor('the call log entry', () => [...dv.store.all(log.logicalName)].find((r) => r[log.fields.number] === LAB_EXTERNAL_CALLER), 20_000);
      expect(entry[log.fields.line]).toBe(bridge.stack.line('25'));
      expect(entry[log.fields.missed]).toBe(true);
    } finally {
      await bridge?.stop();
      await lab.stop();
    }
  }, 120_000);
});

if (!SIP_AVAILABLE) {
  describe('crm-tapi lab', () => {
    it.skip(SIP_MISSING, () => undefined);
  });
}
