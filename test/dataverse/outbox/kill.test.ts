// The outbox survives a SIGKILL between sending a write and hearing back.
// A child process enqueues three writes and starts sending them through a
// TCP relay in front of the simulated Dataverse. The relay swallows the
// answer to write A (the server committed it), the simulator stalls write B
// before handling it, write C waits for B... then the child is killed.
// A restarted child drains the same outbox file: each record exists exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { callLogWrite, eventLogWrite } from '../../../src/dataverse/outbox/records.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';
import { startSim } from '../directory/sim-fixture.ts';

const CHILD = fileURLToPath(new URL('./kill-child.ts', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'outbox-kill-'));
let dv: SimulatedDataverse;
let relay: Relay;
const children: ChildProcess[] = [];

/** A byte-for-byte TCP relay (NTLM stays bound to its connection) that can hold back answers. */
interface Relay {
  port: number;
  /** A success answering a request that contains this text is swallowed, and the connection goes silent. */
  holdAnswersTo: string | undefined;
  held: number;
  server: Server;
  sockets: Set<Socket>;
}

function startRelay(target: number): Promise<Relay> {
  const relay: Relay = { port: 0, holdAnswersTo: undefined, held: 0, server: createServer(), sockets: new Set() };
  relay.server.on('connection', (client) => {
    const upstream = tcpConnect(target, '127.0.0.1');
    let holding = false;
    let askedFor = false;
    for (const s of [client, upstream]) {
      relay.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        relay.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (bytes) => {
      askedFor = relay.holdAnswersTo !== undefined && bytes.toString('latin1').includes(relay.holdAnswersTo);
      upstream.write(bytes);
    });
    upstream.on('data', (bytes) => {
      // Only a success is held back: the NTLM challenge (401) before it must get through.
      if (askedFor && !holding && bytes.toString('latin1').startsWith('HTTP/1.1 2')) {
        holding = true;
        relay.held += 1;
      }
      if (!holding) client.write(bytes);
    });
  });
  return new Promise((resolve) => relay.server.listen(0, '127.0.0.1', () => {
    relay.port = (relay.server.address() as { port: number }).port;
    resolve(relay);
  }));
}

beforeAll(async () => {
  dv = await startSim();
  relay = await startRelay(dv.port);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const s of relay.sockets) s.destroy();
  await new Promise((r) => relay.server.close(r));
  await dv.close();
  rmSync(tmp, { recursive: true, force: true });
});

function run(args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter((l) => l !== '')));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(stderr);
    resolve(code);
  }));
  return { child, lines, exited };
}

async function until(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

it('a write sent but not acknowledged before a SIGKILL is sent again after the restart: exactly one record each', async () => {
  const schema = createSchema();
  const a = callLogWrite(schema, { number: 'A', line: 'kill:1', start: new Date(), direction: 'incoming', missed: false });
  const b = callLogWrite(schema, { number: 'B', line: 'kill:1', start: new Date(), direction: 'incoming', missed: true });
  const c = eventLogWrite(schema, { id: randomUUID(), name: 'C', level: 'information', source: 'kill', message: 'after B', occurredOn: new Date() });
  const db = join(tmp, 'outbox.db');
  const writesFile = join(tmp, 'writes.json');
  writeFileSync(writesFile, JSON.stringify([a, b, c]));
  relay.holdAnswersTo = a.id;
  dv.faults.latency(30_000, { path: b.id, method: 'PATCH', times: 1 }); // B stalls before the server handles it
  const server = `http://127.0.0.1:${relay.port}`;

  const first = run(['send', db, server, dv.orgName, writesFile]);
  await until('the child to enqueue', () => first.lines.includes('enqueued'));
  await until('A to be committed with its answer held', () => relay.held > 0 && dv.store.get('ctapi_calllog', a.id) !== undefined);
  await until('the child to have forgotten C', () => first.lines.includes(`delivered ${c.id}`));
  expect(dv.store.get('ctapi_calllog', b.id)).toBeUndefined();
  first.child.kill('SIGKILL');
  expect(await first.exited).toBeNull();

  relay.holdAnswersTo = undefined;
  dv.faults.clear();
  const second = run(['drain', db, server, dv.orgName]);
  expect(await second.exited).toBe(0);
  expect(second.lines).toContain('drained 0 0');
  for (const [entity, w] of [['ctapi_calllog', a], ['ctapi_calllog', b], ['ctapi_eventlog', c]] as const) {
    expect(dv.store.get(entity, w.id), w.id).toBeDefined();
  }
  const answered = (id: string) => dv.requestLog.filter((r) => r.method === 'PATCH' && r.path.includes(id) && r.status !== 401).map((r) => r.status);
  expect(answered(a.id)).toEqual([204, 412]); // created before the kill, found on the resend
  expect(answered(b.id).at(-1)).toBe(204);
  expect(answered(c.id)).toEqual([204]); // delivered and forgotten before the kill: not sent again
  const calllogs = [...dv.store.all('ctapi_calllog')].filter((r) => r.ctapi_line === 'kill:1');
  expect(calllogs).toHaveLength(2);
}, 60_000);
