// `crm-tapi lab`: Kamailio and baresip phones on 127.0.0.1 in one command,
// driven and stopped from the command line (every PID gone afterwards); and
// the bridge: a real SIP call through the lab reaches the CRM's call log.
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLabBridge } from '../../src/cli/commands/lab-bridge.ts';
import type { LabState } from '../../src/cli/commands/lab.ts';
import { CtrlClient } from '../../src/connector/providers/sip/ctrl-client.ts';
import type { CtrlEvent } from '../../src/connector/providers/sip/messages.ts';
import { createSchema } from '../../src/dataverse/schema.ts';
import { LAB_EXTERNAL_CALLER, missingPrograms, startLab } from '../../src/lab/lab.ts';
import { SIP_AVAILABLE, SIP_MISSING, waitFor } from '../support/sip-world.ts';

const bin = fileURLToPath(new URL('../../bin/crm-tapi.js', import.meta.url));
const dirs: string[] = [];

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

it('says what to install when baresip or Kamailio is missing', () => {
  expect(missingPrograms({ baresip: '/nonexistent/baresip', kamailio: '/nonexistent/kamailio' })).toEqual([
    'baresip (/nonexistent/baresip): apt-get install --no-install-recommends baresip-core',
    'kamailio (/nonexistent/kamailio): apt-get install --no-install-recommends kamailio',
  ]);
});

describe.runIf(SIP_AVAILABLE)('crm-tapi lab', () => {
  it('start: Kamailio and phones 25-27 plus the trunk; call, answer, hang up; a second start is refused; stop ends every PID', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crm-tapi-lab-test-'));
    dirs.push(dir);
    const statePath = join(dir, 'lab.json');
    const started = await cli(['lab', 'start', '--state', statePath]);
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

    expect((await cli(['lab', 'start', '--state', statePath])).stderr).toMatch(/^error: lab-running: a lab is already running/);

    // Watch 27 through its ctrl_tcp (one client at a time) while the CLI drives 27 and 25.
    const phone27 = state.phones?.find((p) => p.users.includes('27'));
    const events: CtrlEvent[] = [];
    expect((await cli(['lab', 'call', '--from', '25', '--to', '27', '--state', statePath])).code).toBe(0);
    expect((await cli(['lab', 'answer', '--on', '27', '--state', statePath])).stdout).toMatch(/Answering incoming call/);
    const watcher = await CtrlClient.connect({ host: '127.0.0.1', port: phone27?.ctrlPort as number, onEvent: (e) => events.push(e), onClose: () => undefined });
    try {
      expect((await cli(['lab', 'hangup', '--on', '25', '--state', statePath])).code).toBe(0);
      await waitFor('the call to close at 27', () => events.some((e) => e.type === 'CALL_CLOSED' && e.peeruri?.startsWith('sip:25@')));
    } finally {
      watcher.close();
    }
    expect((await cli(['lab', 'call', '--from', '99', '--to', '25', '--state', statePath])).stderr).toMatch(/^error: unknown-phone: /);

    const stopped = await cli(['lab', 'stop', '--state', statePath]);
    expect(stopped.code).toBe(0);
    await waitFor('every lab process to end', () => pids.every((pid) => !alive(pid)), 15_000);
    expect(existsSync(statePath)).toBe(false);
    expect((await cli(['lab', 'stop', '--state', statePath])).stderr).toMatch(/^error: no-lab: /);
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
