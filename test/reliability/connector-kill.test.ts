// Fault case 15 (connector half): a real `crm-tapi connector` process with a
// BufferFile (its PBX, the simulated one, inside the process) is SIGKILLed at
// random points while calls ring, connect and end, and started again on the
// same configuration and BufferFile; the manager (`crm-tapi manager`, a child
// process) stays up. A call counts as finished once its hang-up was answered
// by the PBX's control port and a later request to the same process was
// served (the buffer commits at the end of the event-loop turn). Afterwards
// every finished call has exactly one call log entry and every finished call
// on an agent line exactly one phone call on behalf of the entitled agent:
// lost = duplicated = 0; nothing arrives that no process made. A call the
// kill cut off (ringing or connected in the dead PBX) may leave at most one
// call log (the manager ends it when the new process no longer reports it).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneCallIdOf } from '../../src/manager/records/ids.ts';
import { until } from '../e2e/support/wait.ts';
import { createSchema } from '../../src/dataverse/schema.ts';
import { USERS } from '../e2e/support/webapi.ts';
import { account, counts } from './support/accounting.ts';
import { prng, seed, sleep } from './support/load.ts';
import { FaultProxy } from './support/fault-proxy.ts';
import { CONNECTOR_KEY, HOST, startBridge, type Bridge } from './support/processes.ts';
import { freeTapiPort } from '../support/ports.ts';

const BIN = new URL('../../bin/crm-tapi.js', import.meta.url).pathname;
const CALLS = Number(process.env.RELIABILITY_CALLS ?? 80);
const KILLS = 3;
/** Each chunk between connector and manager waits this long: every kill leaves events the manager has not acknowledged. */
const LINK_DELAY_MS = 150;
const T0 = Date.now();
const elapsed = (): string => `${((Date.now() - T0) / 1000).toFixed(1)} s`;
const LINES = ['20', '21', '22', '23', '24', '25', '26', '27', '28', '29'];
const AGENT_LINES = new Set(['20', '21', '22', '23', '24']);
const SEED = seed();
const schema = createSchema();
const random = prng(SEED);

/** One `crm-tapi connector --config FILE` process; its PBX's control URL is in its log. */
class ConnectorProcess {
  out = '';
  readonly child: ChildProcess;
  readonly exit: Promise<void>;
  constructor(file: string) {
    this.child = spawn(process.execPath, [BIN, 'connector', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exit = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.out += d));
  }
  control(): string | undefined {
    for (const line of this.out.split('\n')) {
      if (!line.startsWith('{')) continue;
      const record = JSON.parse(line) as { control?: unknown };
      if (typeof record.control === 'string') return record.control;
    }
    return undefined;
  }
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exit;
  }
}

let bridge: Bridge;
let proc: ConnectorProcess | undefined;
let proxy: FaultProxy | undefined;

beforeAll(async () => {
  bridge = await startBridge({ agentLines: [...AGENT_LINES], faultSeed: SEED });
  // The in-process connector only set up the agent's lines; the connector process takes its place (same host, same lines).
  await bridge.connector.stop();
}, 300_000);

afterAll(async () => {
  await proc?.kill();
  await proxy?.close();
  await bridge?.close();
});

async function control(base: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? '' : JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return res.status === 201 ? res.json() : undefined;
}

describe('SIGKILL of a connector with a BufferFile at random points (case 15, connector half)', () => {
  it(`${CALLS} calls, ${KILLS} connector kills, manager up: every finished call has one call log and one phone call for the agent`, async () => {
    const { manager, crm } = bridge;
    console.info(`connector-kill: seed ${SEED}`);
    // A slow link: acknowledgements come 300 ms after the events, so every kill leaves calls that ended
    // at the PBX but whose events only the BufferFile still holds.
    proxy = await FaultProxy.start(manager.tapiPort, await freeTapiPort());
    proxy.delay(LINK_DELAY_MS);
    const file = join(manager.dir, 'connector.toml');
    writeFileSync(file, [
      'CRMTapiManagerServer = "127.0.0.1"', `CRMTapiManagerPort = ${proxy.port}`, `ConnectorKey = "${CONNECTOR_KEY}"`,
      `ConnectorHost = "${HOST}"`, 'LogLevel = 3', 'BufferFile = "connector-state/buffer.sqlite"',
      '[Provider]', 'Kind = "simulator"', 'Lines = "20-29"', 'ControlPort = 0', '',
    ].join('\n'));

    const finished: { callKey: string; ext: string }[] = [];
    const cutOff = new Set<string>(); // rang, and not seen finished (a kill cut them off)
    const finishedAt = new Map<string, number>(); // when the PBX had ended each call of the load
    let started = 0;
    let generation = 0;
    let base = '';

    const startProcess = async (): Promise<void> => {
      proc = new ConnectorProcess(file);
      const p = proc;
      await until(() => p.control() !== undefined || p.child.exitCode !== null, 'the connector process to start', 120_000, 20);
      const url = p.control();
      if (url === undefined) throw new Error(`the connector exited:\n${p.out.slice(-3000)}`);
      // Each process's PBX numbers its calls after its start (c<start>-1, …): ids never repeat across restarts,
      // as a real PBX's do not, so every key below is one call.
      console.info(`connector-kill ${elapsed()}: generation ${generation + 1} running`);
      base = url;
      generation += 1;
    };

    const line = async (ext: string): Promise<void> => {
      while (started < CALLS) {
        const gen = generation;
        const url = base;
        let callId: string | undefined;
        try {
          const ring = (await control(url, '/calls', { from: `+49 30 555${String(started + 1).padStart(4, '0')}`, to: ext })) as { callIds: string[] };
          started += 1;
          callId = ring.callIds[0] as string;
          const key = `${HOST}/${callId}`;
          cutOff.add(key);
          await sleep(30 + random() * 200);
          if (random() < 0.6) {
            await control(url, `/calls/${callId}/answer`);
            await sleep(30 + random() * 400);
          }
          await control(url, `/calls/${callId}/drop`);
          await fetch(`${url}/health`);
          cutOff.delete(key);
          finished.push({ callKey: key, ext });
          finishedAt.set(key, Date.now());
        } catch {
          // The process died under this call (or before it rang): wait for the next one.
          await until(() => generation !== gen, 'the next connector process', 180_000, 20);
        }
        await sleep(10 + random() * 50);
      }
    };

    await startProcess();
    const load = Promise.all(LINES.map(line));
    for (let k = 0; k < KILLS; k += 1) {
      const at = Math.floor((k + 0.5 + random() * 0.5) * (CALLS / (KILLS + 1)));
      await until(() => started >= at, `call ${at} to start`, 180_000, 10);
      await sleep(random() * 300);
      await proc?.kill();
      await sleep(random() * 1_000);
      await startProcess();
      console.info(`connector-kill ${elapsed()}: kill ${k + 1} after call ${started}, restarted`);
    }
    await load;
    console.info(`connector-kill ${elapsed()}: load done`);
    const last = proc as ConnectorProcess;
    expect(last.out).toMatch(/restored \d+ unacknowledged event\(s\) from BufferFile|connector running/);

    const logKeys = finished.map((c) => c.callKey);
    const phoneIds = finished.filter((c) => AGENT_LINES.has(c.ext)).map((c) => phoneCallIdOf(c.callKey, USERS.anna.id));
    const read = async (): Promise<{ logs: string[]; phones: string[]; ends: Map<string, number> }> => {
      const rows = await crm.callLogs();
      const ends = new Map<string, number>();
      for (const r of rows) {
        const end = Date.parse(String(r[schema.callLog.fields.end]));
        ends.set(crm.callKeyOf(r), Math.min(end, ends.get(crm.callKeyOf(r)) ?? Infinity));
      }
      return { logs: rows.map((r) => crm.callKeyOf(r)), ends, phones: (await crm.phoneCalls()).map((r) => r.activityid as string) };
    };
    await until(async () => {
      const { logs, phones } = await read();
      return account(logKeys, logs).lost.length === 0 && account(phoneIds, phones).lost.length === 0;
    }, 'every call log and phone call', 120_000, 500).catch(() => undefined);
    const { logs, phones, ends } = await read();
    // The end the CRM keeps is the PBX's hang-up, carried by the BufferFile across the kill; without it
    // the manager ends such a call itself when the next process no longer reports it, after the kill.
    const lateEnds = [...finishedAt].filter(([key, at]) => !((ends.get(key) ?? Infinity) <= at + 500)).map(([key]) => key);
    // A call the kill cut off (ringing or connected in the dead PBX) may leave one call log, never more.
    const callLogs = account(logKeys, logs.filter((k) => !cutOff.has(k)));
    const cutTwice = [...cutOff].filter((k) => logs.filter((l) => l === k).length > 1);
    // Phone call ids follow from call key and agent.
    const cutPhones = new Set([...cutOff].map((k) => phoneCallIdOf(k, USERS.anna.id)));
    const phoneCalls = account(phoneIds, phones.filter((id) => !cutPhones.has(id)));
    console.info(`connector-kill ${elapsed()}: ${finished.length} finished calls, ${cutOff.size} cut off; call logs ${JSON.stringify(counts(callLogs))}, phone calls ${JSON.stringify(counts(phoneCalls))}`);
    expect({ seed: SEED, ...counts(callLogs), lostKeys: callLogs.lost.slice(0, 5), dup: callLogs.duplicated.slice(0, 5) }).toEqual({ seed: SEED, lost: 0, duplicated: 0, unexpected: 0, lostKeys: [], dup: [] });
    expect({ seed: SEED, ...counts(phoneCalls), lostKeys: phoneCalls.lost.slice(0, 5) }).toEqual({ seed: SEED, lost: 0, duplicated: 0, unexpected: 0, lostKeys: [] });
    expect({ seed: SEED, lateEnds: lateEnds.slice(0, 5), cutTwice }).toEqual({ seed: SEED, lateEnds: [], cutTwice: [] });
    expect(started).toBeGreaterThanOrEqual(CALLS);
    expect(generation).toBe(KILLS + 1);
  }, 600_000);
});
