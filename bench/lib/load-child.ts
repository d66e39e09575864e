// The far end of bench/manager-split.ts, in its own process: the WebSocket
// clients and the connectors (raw frames), so the measured server (the
// manager, or the bare relay) has its process to itself, as in production,
// and neither side runs out of file descriptors at 10,000 clients (each end
// of a socket is one). Driven over the IPC channel of `fork`: `setup` opens
// the connectors and the clients (paced: a batch at a time, each batch's
// handshakes finished before the next); `drive` sends the popups and answers
// the latencies measured here (send and arrival on this process's clock);
// `reconnect` drops one connector and registers it again, counting the
// welcomes each client receives meanwhile; `close` ends everything.
import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { decodeMessage } from '../../src/protocol/index.ts';
import { ackedSeq, allAcknowledged, keepLastFrame } from './acks.ts';
import { drive, openClients, schedule, sleep, type Popup, type Receiver } from './popups.ts';
import { capture, type Captured } from './relay.ts';
import { connector, linesOfHost } from './stack.ts';

export type ChildRequest =
  | { type: 'setup'; target: 'manager' | 'relay'; wsUrl: string; tcpPort: number; clients: number; hosts: number; batch: number }
  | { type: 'drive'; rate: number; popups: number; capture: boolean; /** The target acknowledges (the manager, the journal relay): the run's tail waits for it. */ acknowledged: boolean }
  | { type: 'reconnect'; host: number; downMs: number; settleMs: number }
  | { type: 'close' };

export type ChildReply =
  | { type: 'ready'; connectMs: number }
  | {
    type: 'driven'; latencies: number[]; captured: [string, { offering: string[]; after: string[] }][];
    /** Per connector host: the seq of the last `ack` it received (0 if none) and the seq of its last event so far. */
    acked: number[]; lastSeqs: number[];
  }
  | { type: 'reconnected'; welcomed: number; maxPerClient: number; strangers: number; reregisterMs: number }
  | { type: 'closed' }
  | { type: 'failed'; message: string };

let receivers: Receiver[] = [];
let sockets: Socket[] = [];
let state: Extract<ChildRequest, { type: 'setup' }> | undefined;
let round = 0;
let seqs: number[] = [];
const keyOf = (p: Popup) => `bench${p.host}.example/${p.callId}`;
const reply = (m: ChildReply) => process.send?.(m);

async function setup(m: Extract<ChildRequest, { type: 'setup' }>): Promise<ChildReply> {
  state = m;
  seqs = new Array<number>(m.hosts).fill(0);
  const t = performance.now();
  if (m.target === 'manager') {
    for (let h = 0; h < m.hosts; h += 1) sockets.push(await connector(m.tcpPort, h, linesOfHost(m.clients, m.hosts, h)));
    receivers = await openClients(m.wsUrl, m.clients, true, m.batch);
  } else {
    receivers = await openClients(m.wsUrl, m.clients, false, m.batch);
    for (let h = 0; h < m.hosts; h += 1) {
      const link = tcpConnect({ host: '127.0.0.1', port: m.tcpPort });
      await once(link, 'connect');
      link.setNoDelay(true);
      // As the manager's connectors: what comes back (the journal relay's acknowledgements) is kept, not decoded.
      keepLastFrame(link);
      // The relay takes the n-th link it accepts as host n: each link is in the kernel's (FIFO) accept queue before the next starts.
      sockets.push(link);
    }
  }
  return { type: 'ready', connectMs: performance.now() - t };
}

async function run(m: Extract<ChildRequest, { type: 'drive' }>): Promise<ChildReply> {
  if (state === undefined) throw new Error('drive before setup');
  const captured: Captured = new Map();
  const popups = schedule(m.popups, state.clients, state.hosts, round, seqs);
  round += 1;
  const settled = m.acknowledged ? allAcknowledged(sockets, seqs) : undefined;
  const latencies = await drive(popups, m.rate, receivers, (host, frame) => sockets[host]?.write(frame), keyOf, m.capture ? capture(captured) : undefined, [], 0, settled);
  const acked = sockets.map(ackedSeq);
  return { type: 'driven', latencies, captured: [...captured], acked, lastSeqs: [...seqs] };
}

async function reconnect(m: Extract<ChildRequest, { type: 'reconnect' }>): Promise<ChildReply> {
  if (state === undefined || state.target !== 'manager') throw new Error('reconnect needs a manager setup');
  const lines = linesOfHost(state.clients, state.hosts, m.host);
  const own = new Set(lines);
  const welcomes = new Array<number>(receivers.length).fill(0);
  receivers.forEach((r, i) => {
    r.onMessage = (text) => {
      if (decodeMessage(text).command === 'welcome') welcomes[i] = (welcomes[i] ?? 0) + 1;
    };
  });
  sockets[m.host]?.destroy();
  await sleep(m.downMs);
  const t = performance.now();
  sockets[m.host] = await connector(state.tcpPort, m.host, lines);
  const reregisterMs = performance.now() - t;
  await sleep(m.settleMs);
  const welcomed = welcomes.filter((n) => n > 0).length;
  // Clients welcomed whose line is not on the connector that went: re-welcomed for nothing.
  const strangers = welcomes.filter((n, i) => n > 0 && !own.has(i)).length;
  return { type: 'reconnected', welcomed, maxPerClient: Math.max(...welcomes), strangers, reregisterMs };
}

process.on('message', (m: ChildRequest) => {
  const handle = async (): Promise<ChildReply> => {
    if (m.type === 'setup') return setup(m);
    if (m.type === 'drive') return run(m);
    if (m.type === 'reconnect') return reconnect(m);
    for (const r of receivers) r.ws.terminate();
    for (const s of sockets) s.destroy();
    receivers = [];
    sockets = [];
    return { type: 'closed' };
  };
  handle().then(reply, (err: unknown) => reply({ type: 'failed', message: (err as Error).stack ?? String(err) })).finally(() => {
    if (m.type === 'close') process.disconnect();
  });
});
