// bench/manager.ts — popup latency of the manager: a call-state frame into
// the connector gateway (TCP) until the notification leaves the client
// gateway (WebSocket) and reaches the user's client, at a steady rate with
// many connected clients and lines, beside a bare relay measured in the same
// run (a TCP frame in, a WebSocket message out, no logic) as the floor; and
// the heap each idle proven client costs.
//
//   npx tsx bench/manager.ts [--clients 2000] [--rate 200] [--seconds 10] [--backlog 2000] [--trace]
//
// Three manager runs: records only queued (the outbox does not deliver); the
// outbox delivering flat out (its transport answers at once); and the same
// with a backlog of --backlog writes waiting when the calls start, as after a
// CRM outage. Each run also reports the event-loop delay and the synchronous
// outbox store work done on the loop (--trace: per store method).
//
// The CRM is an in-memory stand-in (line records, users, session proofs): the
// bench measures the manager, not Dataverse; records go to a real SQLite
// outbox whose transport does nothing. Everything runs on loopback in one
// process, so clients and servers share the CPU in both measurements alike.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { PhoneDirectory } from '../src/dataverse/directory/directory.ts';
import { dialingKeys } from '../src/dataverse/directory/dialing-keys.ts';
import { DEFAULT_PHONE_FIELDS } from '../src/dataverse/directory/phone-fields.ts';
import type { DirectorySource } from '../src/dataverse/directory/source.ts';
import { Outbox } from '../src/dataverse/outbox/outbox.ts';
import { SqliteOutboxStore } from '../src/dataverse/outbox/sqlite-store.ts';
import type { OutboxStore } from '../src/dataverse/outbox/store.ts';
import type { LineConfigRecord, Repositories } from '../src/dataverse/repositories/index.ts';
import { createSchema } from '../src/dataverse/schema.ts';
import { effectiveSettings } from '../src/dialing/index.ts';
import { createUserSide } from '../src/manager/clients/index.ts';
import { DEFAULTS } from '../src/manager/config/keys.ts';
import type { ManagerConfig } from '../src/manager/config/load.ts';
import { ConnectorGateway } from '../src/manager/gateway/gateway.ts';
import { MemorySeqStore } from '../src/manager/gateway/seq-store.ts';
import { decodeMessage, encodeMessage, encodeMessageFrame, FrameDecoder, type TapiMessage } from '../src/protocol/index.ts';
import { numberArg } from './support.ts';

const CLIENTS = numberArg('clients', 2000);
const RATE = numberArg('rate', 200);
const SECONDS = numberArg('seconds', 10);
const BACKLOG = numberArg('backlog', 2000);
const HOSTS = Math.max(1, Math.ceil(CLIENTS / 200));
const KEY = 'bench-connector-key-0000000001';
const uid = (prefix: number, i: number) => `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const lineOf = (i: number) => `bench${i % HOSTS}.example:${1000 + i}`;
// A collectable heap before and after connecting the clients, without asking for --expose-gc.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

// ---------------------------------------------------------------- the CRM stand-in
const def: LineConfigRecord = { id: uid(1, 0), kind: 'default', name: 'Standard', dialing: { countryCode: '49', internationalPrefix: '00', nationalPrefix: '0', areaCode: '30' }, popup: {} };
const site: LineConfigRecord = { id: uid(1, 1), kind: 'site', name: 'Standort', parentId: def.id, dialing: { maxInternalLength: 3 }, popup: {} };
const records: LineConfigRecord[] = Array.from({ length: CLIENTS }, (_, i) => ({ id: uid(2, i), kind: 'userLine', name: lineOf(i), line: lineOf(i), parentId: site.id, userId: uid(3, i), dialing: {}, popup: { openPhoneCall: 'incoming' } }));
const repositories = {
  lineConfigs: { listAll: async () => [def, site, ...records] },
  shares: { all: async () => [] },
  users: {
    byId: async (id: string) => ({ id, fullName: `User ${id.slice(-4)}`, isDisabled: false }),
    isAdmin: async () => false,
    membersOf: async () => [],
  },
  // The session record id is the user id: the stand-in "Dataverse" says that user created it.
  sessions: { verify: async (id: string) => ({ sessionId: id, userId: id, createdOn: new Date() }), remove: async () => undefined },
} as unknown as Repositories;
const source: DirectorySource = {
  readAll: async (spec, onPage) => {
    if (spec.entity === 'account') onPage(Array.from({ length: 5000 }, (_, i) => ({ id: uid(4, i), name: `Account ${i}`, phones: [`030 ${5_000_000 + i}`] })));
    return { kind: 'modifiedon', since: new Date(0).toISOString() };
  },
  readChanges: async (_spec, cursor) => cursor,
};

// ---------------------------------------------------------------- clients
interface Receiver {
  ws: WebSocket;
  onMessage?: (text: string) => void;
}

async function openClients(url: string, count: number, prove: boolean): Promise<Receiver[]> {
  const out: Receiver[] = [];
  const batch = 100;
  for (let start = 0; start < count; start += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - start) }, async (_, k) => {
      const i = start + k;
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const r: Receiver = { ws };
      ws.on('message', (data: Buffer) => r.onMessage?.(data.toString('utf8')));
      await once(ws, 'open');
      if (prove) {
        const welcomed = new Promise<void>((resolve) => {
          r.onMessage = (text) => {
            const m = decodeMessage(text);
            if (m.command === 'challenge') ws.send(encodeMessage({ channel: 'intincall', command: 'prove', nonce: m.nonce, sessionRecordId: uid(3, i), clientInstanceId: 'tab' }));
            if (m.command === 'welcome') resolve();
          };
        });
        ws.send(encodeMessage({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '9.0.0' }));
        await welcomed;
      }
      out[i] = r;
    }));
  }
  return out;
}

// ---------------------------------------------------------------- a connector speaking raw frames
async function connector(port: number, host: number, lines: number[]): Promise<Socket> {
  const socket = tcpConnect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  socket.setNoDelay(true);
  const decoder = new FrameDecoder();
  const registered = new Promise<void>((resolve) => socket.on('data', (chunk) => {
    for (const payload of decoder.push(chunk)) if (decodeMessage(Buffer.from(payload).toString('utf8')).command === 'registered') resolve();
  }));
  socket.write(encodeMessageFrame({ channel: 'connector', command: 'register', protocolVersion: '1.0', connectorVersion: '1.0.0', host: `bench${host}.example`, connectorKey: KEY }));
  await registered;
  socket.write(encodeMessageFrame({ channel: 'connector', command: 'lines', lines: lines.map((i) => ({ name: String(1000 + i), address: String(1000 + i), permanentId: String(i), mediaModes: ['audio'], inService: true })) }));
  return socket;
}

function callFrame(seq: number, i: number, callId: string, state: 'offering' | 'idle'): Uint8Array {
  return encodeMessageFrame({
    channel: 'connector', command: 'callState', seq, timestamp: new Date().toISOString(), line: String(1000 + i), callId, state, origin: 'inbound',
    callerNumber: `030 ${5_000_000 + (seq % 5000)}`, snapshot: false,
  } as TapiMessage);
}

/** Sends RATE events/s for SECONDS: offering then idle of one call per line pair; returns latencies (ms) of the offerings. */
async function drive(send: (i: number, frame: Uint8Array) => void, receivers: Receiver[], match: (text: string) => string | undefined): Promise<number[]> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  receivers.forEach((r) => {
    r.onMessage = (text) => {
      const id = match(text);
      const t = id === undefined ? undefined : sentAt.get(id);
      if (id !== undefined && t !== undefined) {
        latencies.push(performance.now() - t);
        sentAt.delete(id);
      }
    };
  });
  const total = RATE * SECONDS;
  const seqs = new Map<number, number>();
  const start = performance.now();
  for (let n = 0; n < total; n += 2) {
    const due = start + (n / RATE) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const i = (n * 7919) % CLIENTS;
    const host = i % HOSTS;
    const callId = `c${n}`;
    const s1 = (seqs.get(host) ?? 0) + 1;
    seqs.set(host, s1 + 1);
    sentAt.set(`bench${host}.example/${callId}`, performance.now());
    send(i, callFrame(s1, i, callId, 'offering'));
    send(i, callFrame(s1 + 1, i, callId, 'idle'));
  }
  await sleep(1000);
  return latencies;
}

// ---------------------------------------------------------------- the bare relay (floor)
async function bareRelay(): Promise<number[]> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws) => sockets.push(ws));
  const receivers = await openClients(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, CLIENTS, false);
  while (sockets.length < CLIENTS) await sleep(10);
  // Frame in: the line index rides in front of the payload; no decoding beyond the length prefix.
  const tcp = createServer((socket) => {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      for (const payload of decoder.push(chunk)) {
        const i = Buffer.from(payload).readUInt32BE(0);
        sockets[i]?.send(Buffer.from(payload).subarray(4).toString('utf8'));
      }
    });
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  const client = tcpConnect({ host: '127.0.0.1', port: (tcp.address() as { port: number }).port });
  await once(client, 'connect');
  client.setNoDelay(true);
  const latencies = await drive((i, frame) => {
    const body = Buffer.concat([Buffer.alloc(4), Buffer.from(frame.subarray(2))]);
    body.writeUInt32BE(i, 0);
    const out = Buffer.alloc(2 + body.length);
    out.writeUInt16BE(body.length, 0);
    body.copy(out, 2);
    client.write(out);
  }, receivers, (text) => {
    const m = /<callId>([^<]+)<\/callId>.*<state>offering</.exec(text);
    const host = /<seq>(\d+)<\/seq>/.exec(text);
    if (m === null || host === null) return undefined;
    return `bench${(Number(/<line>(\d+)<\/line>/.exec(text)?.[1]) - 1000) % HOSTS}.example/${m[1]}`;
  });
  client.destroy();
  for (const r of receivers) r.ws.terminate();
  tcp.close();
  wss.close();
  return latencies;
}

// ---------------------------------------------------------------- where the time goes
interface Trace {
  /** Event-loop delay while the calls ran (ms): how long a ready popup can wait for the loop. */
  loopP99: number;
  loopMax: number;
  /** Synchronous outbox store work on the loop: calls, total and longest (ms). */
  storeCalls: number;
  storeMs: number;
  storeMax: number;
  storeMaxMethod: string;
  /** Writes still waiting when the calls ended (the queued run keeps every record). */
  pendingAfter: number;
  byMethod: Map<string, { calls: number; ms: number }>;
}

/** Times every store method: all of them run on the manager's event loop. */
function timedStore(store: OutboxStore, trace: Trace): OutboxStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const t = performance.now();
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } finally {
          const ms = performance.now() - t;
          trace.storeCalls += 1;
          trace.storeMs += ms;
          const m = trace.byMethod.get(String(key)) ?? { calls: 0, ms: 0 };
          m.calls += 1;
          m.ms += ms;
          trace.byMethod.set(String(key), m);
          if (ms > trace.storeMax) {
            trace.storeMax = ms;
            trace.storeMaxMethod = String(key);
          }
        }
      };
    },
  });
}

// ---------------------------------------------------------------- the manager
/**
 * `queued`: records are stored, never sent. `flat-out`: the delivery loop runs and its transport answers
 * at once. `backlog`: as flat-out, with BACKLOG writes waiting; delivery starts with the first call.
 */
async function manager(mode: 'queued' | 'flat-out' | 'backlog'): Promise<{ latencies: number[]; heapPerClient: number; trace: Trace }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-manager-'));
  const logger = pino({ level: 'silent' });
  const gateway = new ConnectorGateway({
    bindAddress: '127.0.0.1', port: 0, seqs: new MemorySeqStore(), logger,
    settings: () => ({ connectorKeys: [KEY], keepAliveSeconds: 600, commandTimeoutMs: 5000, maxConnections: 64, maxUnregistered: 64, maxUnregisteredPerPeer: 64, registrationTimeoutMs: 10_000, frameTimeoutMs: 10_000, maxBadFrames: 3, maxSendBuffer: 4 << 20, maxFrameLength: 65_535 }),
  });
  const port = await gateway.start();
  const settings = effectiveSettings(def.dialing, site.dialing);
  if (!settings.ok) throw settings.error;
  const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dialingKeys(settings.settings), source });
  await directory.refresh('full');
  const trace: Trace = { loopP99: 0, loopMax: 0, storeCalls: 0, storeMs: 0, storeMax: 0, storeMaxMethod: '', pendingAfter: 0, byMethod: new Map() };
  const store = timedStore(new SqliteOutboxStore(join(dir, 'outbox.db'), { synchronous: 'NORMAL' }), trace);
  const outbox = new Outbox({ store, transport: { deliver: async () => 'created' } });
  if (mode === 'flat-out') outbox.start();
  // Every client comes from 127.0.0.1 at once: the pre-upgrade caps are raised past the client count.
  const config = { ...DEFAULTS, MaxPendingUpgrades: 100_000, MaxPendingUpgradesPerPeer: 100_000, BindAddress: '127.0.0.1', CrmTapiWebSocketPort: 8080, ListenerTestLog: false } as ManagerConfig;
  const side = createUserSide({
    connectorSide: gateway, config: () => config, onConfigChange: () => () => undefined, logger,
    crm: { api: {} as never, repositories, schema: createSchema(), serviceUrl: 'http://crm.example/org' },
    directory, refreshPhoneNumbers: async () => ({ numbers: 0 }), outbox, lineRecords: { default: def, site }, version: 'bench',
  }, { port: 0, maxUnproven: CLIENTS + 10, heartbeatSeconds: 600 });
  const ws = await side.start();
  const sockets: Socket[] = [];
  for (let h = 0; h < HOSTS; h += 1) sockets.push(await connector(port, h, records.map((_, i) => i).filter((i) => i % HOSTS === h)));
  gc();
  const before = process.memoryUsage().heapUsed;
  const receivers = await openClients(`ws://127.0.0.1:${ws.port}/`, CLIENTS, true);
  gc();
  await sleep(200);
  const heapPerClient = (process.memoryUsage().heapUsed - before) / CLIENTS;
  if (mode === 'backlog') {
    for (let n = 0; n < BACKLOG; n += 1) {
      outbox.enqueue({ id: uid(5, n), kind: 'callLog', entitySet: 'ctapi_calllogs', body: { ctapi_name: `backlog ${n}`, ctapi_number: `+49301234${n}`, ctapi_direction: 1 } });
    }
  }
  Object.assign(trace, { storeCalls: 0, storeMs: 0, storeMax: 0, storeMaxMethod: '', byMethod: new Map() });
  if (mode === 'backlog') outbox.start();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const latencies = await drive((i, frame) => sockets[i % HOSTS]?.write(frame), receivers, (text) => {
    if (!text.includes('<state>offering</state>')) return undefined;
    return /<callKey>([^<]+)<\/callKey>/.exec(text)?.[1];
  });
  loop.disable();
  const measured = { ...trace, byMethod: new Map(trace.byMethod) };
  measured.loopP99 = loop.percentile(99) / 1e6;
  measured.loopMax = loop.max / 1e6;
  measured.pendingAfter = outbox.stats().pending;
  for (const r of receivers) r.ws.terminate();
  for (const s of sockets) s.destroy();
  await side.stop();
  await gateway.stop();
  await outbox.close();
  rmSync(dir, { recursive: true, force: true });
  return { latencies, heapPerClient, trace: measured };
}

const fmt = (n: number) => n.toFixed(2).padStart(8);
const floor = await bareRelay();
const quiet = await manager('queued');
const real = await manager('flat-out');
const backlog = await manager('backlog');
const expected = (RATE * SECONDS) / 2;
console.log(`popup latency, ${CLIENTS} clients, ${CLIENTS} lines, ${RATE} call events/s for ${SECONDS} s (${expected} popups)`);
console.log(`                             p50 ms    p99 ms   delivered   ratio to floor p50 / p99`);
console.log(`bare relay (floor)         ${fmt(percentile(floor, 50))}  ${fmt(percentile(floor, 99))}   ${floor.length}/${expected}`);
const runs = [['manager, records queued', quiet], ['manager + outbox flat out', real], [`  + backlog of ${BACKLOG}`, backlog]] as const;
for (const [name, run] of runs) {
  console.log(`${name.padEnd(26)} ${fmt(percentile(run.latencies, 50))}  ${fmt(percentile(run.latencies, 99))}   ${run.latencies.length}/${expected}   ratio ${(percentile(run.latencies, 50) / percentile(floor, 50)).toFixed(1)}x / ${(percentile(run.latencies, 99) / percentile(floor, 99)).toFixed(1)}x`);
}
console.log(`same-run ratios to the queued run p99: flat out ${(percentile(real.latencies, 99) / percentile(quiet.latencies, 99)).toFixed(2)}x, with backlog ${(percentile(backlog.latencies, 99) / percentile(quiet.latencies, 99)).toFixed(2)}x`);
for (const [name, run] of runs) {
  const t = run.trace;
  console.log(`${name.trim()}: event-loop delay p99 ${t.loopP99.toFixed(1)} ms, max ${t.loopMax.toFixed(1)} ms; outbox store on the loop: ${t.storeCalls} calls, ${t.storeMs.toFixed(0)} ms, longest ${t.storeMax.toFixed(1)} ms (${t.storeMaxMethod}); ${t.pendingAfter} writes waiting at the end`);
  if (process.argv.includes('--trace')) console.log(`  ${[...t.byMethod].map(([k, v]) => `${k} ${v.calls}× ${v.ms.toFixed(0)} ms`).join(', ')}`);
}
console.log(`heap per idle proven client: ${(quiet.heapPerClient / 1024).toFixed(1)} KiB (server and client ends of each WebSocket: both live in this process)`);
