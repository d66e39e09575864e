// End to end through real processes and sockets: the manager's real connector
// gateway is cut off (a relay on the manual's port range), calls go on at the
// simulated PBX inside the connector process, that process is killed with
// SIGKILL, a new one starts on the same configuration, and the link comes
// back. With a BufferFile the gateway accepts every call event of the dead
// process exactly once, in order, with no eventsLost; without one those
// events are gone and the gateway's `synced` clean-up ends the open call.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RoutedCallEvent } from '../../../src/manager/contracts.ts';
import { startGateway, type TestGateway } from '../../manager/support/gateway.ts';
import { KEY } from '../../manager/support/raw-connector.ts';
import { until } from '../support/fake-manager.ts';
import { tempDir } from '../support/journal.ts';
import { RangeRelay } from '../support/relay.ts';

const BIN = new URL('../../../bin/crm-tapi.js', import.meta.url).pathname;
const HOST = 'durable.test';
const dir = tempDir('crm-tapi-durable-e2e-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class Proc {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly exit: Promise<number | null>;
  readonly child: ChildProcess;
  constructor(configPath: string) {
    this.child = spawn(process.execPath, [BIN, 'connector', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exit = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => this.out.push(d));
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => this.err.push(d));
  }
  /** The connector's log records (LogArt = Event writes JSON lines to stdout off Windows). */
  records(): Record<string, unknown>[] {
    return this.out
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  logged(msg: string | RegExp): boolean {
    return this.records().some((r) => (typeof msg === 'string' ? r.msg === msg : msg.test(String(r.msg))));
  }
  /** The call events this process handed to its buffer, in order. */
  callEvents(): string[] {
    return this.records()
      .filter((r) => r.msg === 'call event')
      .map((r) => `${String(r.callId)}:${String(r.state)}`);
  }
  control(): string {
    const url = this.records().find((r) => typeof r.control === 'string')?.control;
    if (typeof url !== 'string') throw new Error('no control URL logged');
    return url;
  }
}

const procs: Proc[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  for (const close of closers.splice(0).reverse()) await close();
});

function startProc(configPath: string): Proc {
  const p = new Proc(configPath);
  procs.push(p);
  return p;
}

async function post(base: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? '' : JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return res.status === 201 ? res.json() : undefined;
}

async function activeCalls(base: string): Promise<unknown[]> {
  return (await (await fetch(`${base}/calls`)).json()) as unknown[];
}

const real = (g: TestGateway): RoutedCallEvent[] => g.calls.filter((c) => c.connectorHost === HOST && !c.event.snapshot && c.synthetic === undefined);
const asText = (events: RoutedCallEvent[]): string[] => events.map((c) => `${c.event.callId}:${c.event.state}`);

interface Outage {
  gateway: TestGateway;
  a: Proc;
  b: Proc;
  config: string;
  x: string;
}

/**
 * The shared story: X rings while the manager listens; the link is cut; X is
 * answered and hung up, Y rings and is hung up; connector A is killed; B starts
 * on the same configuration; the link comes back and B catches up.
 */
async function outage(name: string, bufferFile: string | undefined): Promise<Outage> {
  const gateway = await startGateway();
  closers.push(() => gateway.stop());
  const relay = await RangeRelay.start(gateway.port);
  closers.push(() => relay.close());
  const base = join(dir, name);
  mkdirSync(base, { recursive: true });
  const config = join(base, 'connector.toml');
  writeFileSync(
    config,
    [
      'CRMTapiManagerServer = "127.0.0.1"',
      `CRMTapiManagerPort = ${relay.port}`,
      `ConnectorKey = "${KEY}"`,
      `ConnectorHost = "${HOST}"`,
      'LogLevel = 6',
      ...(bufferFile === undefined ? [] : [`BufferFile = "${bufferFile}"`]),
      '[Provider]',
      'Kind = "simulator"',
      'Lines = "20-21"',
      'ControlPort = 0',
      '',
    ].join('\n'),
  );
  const a = startProc(config);
  await until(() => gateway.gateway.lines().filter((l) => l.connectorHost === HOST && l.connectorOnline).length === 2, 30_000, 'connector A registered its lines');
  const pbx = a.control();
  const rang = (await post(pbx, '/calls', { from: '+49 30 1234567', to: '21' })) as { callIds: string[] };
  const x = rang.callIds[0] as string;
  await until(() => asText(real(gateway)).includes(`${x}:offering`), 10_000, 'the gateway accepted the ringing call');

  relay.cut();
  await post(pbx, `/calls/${x}/answer`);
  const y = (await post(pbx, '/calls', { from: '+49 89 7654321', to: '20' })) as { callIds: string[]; session: string };
  await post(pbx, `/sessions/${encodeURIComponent(y.session)}/remote-hangup`);
  await post(pbx, `/calls/${x}/drop`);
  await until(() => a.callEvents().filter((e) => e.endsWith(':idle')).length === 2, 10_000, 'both calls ended at the PBX');
  // A request served after the events: their commit (at the end of that event-loop turn) is done.
  expect(await activeCalls(pbx)).toEqual([]);

  a.child.kill('SIGKILL');
  await a.exit;
  const b = startProc(config);
  await until(() => b.logged('connector running'), 30_000, 'connector B running');
  relay.restore();
  // A synced once at its start; the second is B's catch-up.
  await until(() => gateway.logs.messages().filter((m) => m.startsWith('connector synced')).length === 2, 60_000, 'connector B synced');
  return { gateway, a, b, config, x };
}

describe('a connector process killed while the manager is away', () => {
  it('with a BufferFile: every event reaches the manager exactly once, in order, no eventsLost; a second process is refused', async () => {
    const { gateway, a, b, config, x } = await outage('durable', 'state/buffer.sqlite');
    const fromA = a.callEvents();
    expect(fromA.length).toBeGreaterThanOrEqual(6);
    expect(asText(real(gateway))).toEqual(fromA);
    const seqs = real(gateway).map((c) => c.event.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(gateway.lineEvents.filter((e) => e.kind === 'eventsLost')).toEqual([]);
    expect(gateway.calls.filter((c) => c.synthetic !== undefined)).toEqual([]);
    expect(asText(real(gateway)).filter((e) => e.startsWith(`${x}:`))).toEqual([`${x}:offering`, `${x}:connected`, `${x}:disconnected`, `${x}:idle`]);
    // B continued A's sequence and said so when registering.
    expect(b.logged(/^restored \d+ unacknowledged event\(s\) from BufferFile/)).toBe(true);
    const registered = gateway.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.msg === 'connector registered');
    expect(registered.length).toBeGreaterThanOrEqual(2);
    expect(registered[0]?.claimed).toBeUndefined();
    expect(typeof registered[registered.length - 1]?.claimed).toBe('number');

    const second = startProc(config);
    expect(await second.exit).toBe(1);
    expect(second.err.join('')).toBe(
      `error: buffer-file-locked: BufferFile ${join(dir, 'durable', 'state', 'buffer.sqlite')} is used by another connector process (it is locked); stop that process or give this connector its own BufferFile\n`,
    );
    b.child.kill('SIGTERM');
    expect(await b.exit).toBe(0);
  }, 150_000);

  it('without a BufferFile: the events of the outage are gone and synced ends the open call', async () => {
    const { gateway, a, b, x } = await outage('memory', undefined);
    expect(a.callEvents().length).toBeGreaterThanOrEqual(6);
    expect(asText(real(gateway))).toEqual([`${x}:offering`]);
    const ended = gateway.calls.filter((c) => c.synthetic !== undefined).map((c) => `${c.event.callId}:${c.event.state}:${c.synthetic}`);
    expect(ended).toEqual([`${x}:disconnected:connector-no-longer-reports`, `${x}:idle:connector-no-longer-reports`]);
    b.child.kill('SIGTERM');
    expect(await b.exit).toBe(0);
  }, 150_000);
});
