// The floor of bench/manager.ts: a bare relay with no logic. The same
// connector frames come in over TCP (one connection per connector host, as
// for the manager), and for each frame the relay sends, over the client's
// WebSocket, exactly the text messages the manager sent for it in this run
// (captured from a manager run: same sizes, same frame type, decoded by the
// client the same way). Its only work per frame is the length prefix, a table
// lookup and `ws.send`: what any server must do at least.
//
// With `codec` it is the protocol's floor instead (bench/manager.ts --codec-relay): each frame's payload is
// decoded by the codec as the manager's connector gateway decodes it, and each text it sends is encoded
// from its message, decoded when the table is built, by the codec's encoder. No routing, identification,
// journal, records or acknowledgements: what any server speaking this protocol must do at least.
//
// With `journal` as well it is the floor of a server that also keeps the protocol's acknowledgement promise
// (bench/manager.ts --journal-relay): each decoded call event is journaled in a SeqStore (the bench gives it the
// manager's own SqliteSeqStore with production's options, in its worker thread), a call's events are forgotten
// when its `idle` arrives (the manager forgets them once their records are queued, later), and each connection
// gets one `ack` frame per turn once the journal is durable, as the manager's connector gateway writes them.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SeqStore } from '../../src/manager/gateway/seq-store.ts';
import { SqliteSeqStore } from '../../src/manager/gateway/sqlite-seq-store.ts';
import { JOURNAL_OPTIONS } from '../../src/manager/manager.ts';
import { decodeMessage, decodePayload, encodeMessage, encodeMessageFrame, FrameDecoder, MAX_FRAME_LENGTH, type TapiMessage } from '../../src/protocol/index.ts';
import { ackedSeq, allAcknowledged, keepLastFrame } from './acks.ts';
import type { StageWatch } from './stages.ts';
import { decodeNotification, drive, openClients, sleep, timeline, watchBusy, watchCores, watchGc, watchLoopDelay, type CoreTime, type GcPauses, type LoopDelay, type Popup, type PopupWatch } from './popups.ts';

/** What the manager sent per call key: the `offering` popup, and what followed the `idle` frame. */
export type Captured = Map<string, { offering: string[]; after: string[] }>;

export function capture(into: Captured): (text: string) => void {
  return (text) => {
    const m = decodeNotification(text);
    if (m === undefined) return;
    const entry = into.get(m.callKey) ?? { offering: [], after: [] };
    (m.state === 'offering' ? entry.offering : entry.after).push(text);
    into.set(m.callKey, entry);
  };
}

export interface RelayServer {
  wsUrl: string;
  tcpPort: number;
  /** WebSocket clients connected so far. */
  clients(): number;
  /** Connector links accepted so far (the n-th is host n). */
  links(): number;
  /** Frames the codec relay's decoder refused (their popups are not relayed, so the run counts them lost). */
  refused(): number;
  close(): void;
}

export interface RelayOptions {
  hosts: number;
  popups: readonly Popup[];
  rate: number;
  callMs?: number;
  captured: Captured;
  keyOf: (p: Popup) => string;
  stages?: StageWatch;
  /** Decode each frame and encode each text it sends with the protocol's codec (the protocol's floor). */
  codec?: boolean;
  /** With `codec`: journal each call event here and acknowledge it once durable (the acknowledgement promise's floor). */
  journal?: SeqStore;
  /** With `journal`: each connector host's last seq, which the run's tail waits to see acknowledged. */
  lastSeqs?: readonly number[];
}

/** The codec relay's name in the output: with a journal it journals and acknowledges too. */
export const codecRelayLabel = (journal: boolean) => (journal ? 'relay + codec + journal' : 'relay + codec');

/** A journal for one journal-relay run: the manager's SqliteSeqStore with production's options, in a new directory that `close` removes. */
export function relayJournal(): { journal: SqliteSeqStore; close(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-journal-relay-'));
  const journal = new SqliteSeqStore(join(dir, 'manager-state.sqlite'), JOURNAL_OPTIONS);
  return {
    journal,
    async close() {
      journal.close();
      await journal.exited();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether every run of `label` left each connector acknowledged up to its last event (a run that did not counts as lost). */
export const ackReport = (label: string, unackedRuns: number) =>
  `${label}: ${unackedRuns === 0 ? 'every connector acknowledged up to its last event in every run' : `${unackedRuns} run(s) left connectors unacknowledged below their last event`}`;

/** The relay's two ports, replaying `captured` for `popups`; connectors must connect in host order. */
export async function startRelay(options: RelayOptions): Promise<RelayServer> {
  const { hosts, popups, captured, keyOf } = options;
  const anyKey = [...captured.keys()].find((k) => captured.get(k)!.offering.length > 0);
  if (anyKey === undefined) throw new Error('bare relay: nothing captured from the manager run to replay');
  const any = captured.get(anyKey)!;
  // A popup the manager run did not deliver in time: another call's messages, carrying this call's key.
  const stand = (key: string) => ({ offering: any.offering.map((t) => t.replaceAll(anyKey, key)), after: any.after.map((t) => t.replaceAll(anyKey, key)) });
  // Per connector host, in the order its frames arrive: which client gets which texts.
  const table = Array.from({ length: hosts }, () => [] as { i: number; texts: string[]; messages: TapiMessage[]; offering?: string }[]);
  // The codec relay's messages are decoded here, before the calls: the manager builds its messages, it does not parse them.
  const messagesOf = (texts: string[]) => (options.codec === true ? texts.map((t) => decodeMessage(t)) : []);
  for (const { p, state } of timeline(popups, options.rate, options.callMs)) {
    const c = captured.get(keyOf(p)) ?? stand(keyOf(p));
    const texts = state === 'offering' ? c.offering : c.after;
    table[p.host]!.push({ i: p.i, texts, messages: messagesOf(texts), ...(state === 'offering' ? { offering: keyOf(p) } : {}) });
  }
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws) => sockets.push(ws));
  const accepted: Socket[] = [];
  let refused = 0;
  // As the manager's connector gateway decodes a frame (src/manager/gateway/connection.ts).
  const decodes = (payload: Uint8Array): TapiMessage | undefined => {
    try {
      return decodePayload(payload, { limits: { maxDocumentBytes: MAX_FRAME_LENGTH } });
    } catch {
      refused += 1;
      return undefined;
    }
  };
  const { journal } = options;
  // As ConnectorConnection.ack (src/manager/gateway/connection.ts): the acks of one turn become one frame.
  const acker = (socket: Socket) => {
    let pending: number | undefined;
    return (seq: number) => {
      if (pending !== undefined) {
        pending = Math.max(pending, seq);
        return;
      }
      pending = seq;
      setImmediate(() => {
        const frame = encodeMessageFrame({ channel: 'connector', command: 'ack', seq: pending! });
        pending = undefined;
        if (!socket.destroyed) socket.write(frame);
      });
    };
  };
  // As the connector gateway's registry journals a sequenced call event (src/manager/gateway/registry.ts).
  const journaled = (host: string, message: TapiMessage, ack: (seq: number) => void) => {
    if (journal === undefined || message.channel !== 'connector' || message.command !== 'callState') return;
    const key = `${host}/${message.callId}`;
    journal.set(host, message.seq, { host, key, message });
    if (message.state === 'idle') journal.forget([key]);
    const { seq } = message;
    journal.whenDurable(() => ack(seq));
  };
  const tcp = createServer((socket) => {
    const rows = table[accepted.length] ?? [];
    const host = `relay-host-${accepted.length}`;
    const ack = acker(socket);
    accepted.push(socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
    let k = 0;
    socket.on('data', (chunk) => {
      for (const payload of decoder.push(chunk)) {
        const row = rows[k++];
        if (options.codec === true) {
          const message = decodes(payload);
          if (message === undefined) continue;
          journaled(host, message, ack);
        }
        const takenAt = options.stages === undefined ? 0 : performance.now();
        if (row === undefined) continue;
        if (options.codec === true) for (const message of row.messages) sockets[row.i]?.send(encodeMessage(message));
        else for (const text of row.texts) sockets[row.i]?.send(text);
        if (row.offering !== undefined) options.stages?.relayed(row.offering, takenAt);
      }
    });
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  return {
    wsUrl: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`,
    tcpPort: (tcp.address() as { port: number }).port,
    clients: () => sockets.length,
    links: () => accepted.length,
    refused: () => refused,
    close() {
      for (const s of accepted) s.destroy();
      tcp.close();
      wss.close();
    },
  };
}

export interface RelayRun {
  latencies: number[];
  gc: GcPauses;
  busyMs: number;
  cores: CoreTime | undefined;
  /** The event loop's delay while the popups ran, watched as in the manager's runs. */
  loop: LoopDelay;
  /** Per connector host, the seq of the last `ack` it received (0 if none): only the journal relay acknowledges. */
  acked: number[];
}

export async function bareRelay(options: RelayOptions & { clients: number; beforeDrive?: () => void; watch?: PopupWatch; around?: { start(): Promise<void>; stop(): Promise<void> } }): Promise<RelayRun> {
  const { clients, hosts, popups, keyOf } = options;
  const relay = await startRelay(options);
  const receivers = await openClients(relay.wsUrl, clients, false);
  while (relay.clients() < clients) await sleep(10);
  const links: Socket[] = [];
  for (let h = 0; h < hosts; h += 1) {
    const link = tcpConnect({ host: '127.0.0.1', port: relay.tcpPort });
    await once(link, 'connect');
    link.setNoDelay(true);
    // As the manager runs' connectors: acknowledgements are kept, decoded only at the end.
    keepLastFrame(link);
    while (relay.links() <= h) await sleep(1); // accepted in host order
    links.push(link);
  }
  // As the manager's runs do: the garbage of connecting the clients is collected before the calls start.
  options.beforeDrive?.();
  // --profile relay: started before the watches and stopped after them, as the manager's runs do, so that the
  // profiler's own start and stop are not counted as the run's work.
  await options.around?.start();
  await sleep(200);
  // The same watches as a manager's run (bench/lib/manager-run.ts), the loop-delay timer too: both loops carry them.
  const loopWatch = watchLoopDelay();
  const gcWatch = watchGc();
  const busyWatch = watchBusy();
  const coreWatch = watchCores();
  const settled = options.journal === undefined || options.lastSeqs === undefined ? undefined : allAcknowledged(links, options.lastSeqs);
  const latencies = await drive(popups, options.rate, receivers, (host, frame) => links[host]?.write(frame), keyOf, undefined, [options.watch, options.stages].filter((w) => w !== undefined), options.callMs, settled);
  const loop = loopWatch.stop();
  const busyMs = busyWatch.stop();
  const cores = coreWatch.stop();
  const gc = gcWatch.stop();
  await options.around?.stop();
  for (const l of links) l.destroy();
  for (const r of receivers) r.ws.terminate();
  relay.close();
  return { latencies, gc, busyMs, cores, loop, acked: links.map(ackedSeq) };
}
