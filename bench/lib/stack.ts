// The manager as bench/manager.ts and bench/manager-split.ts run it: the
// production pieces (connector gateway with its SQLite journal in a worker,
// the phone directory, the SQLite outbox, the user side with the journal
// told when records are durable, as src/manager/manager.ts wires them) in
// front of an in-memory CRM stand-in (line records, users, session proofs):
// the benches measure the manager, not Dataverse. Also a connector speaking
// raw frames, as both benches drive it.
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { PhoneDirectory } from '../../src/dataverse/directory/directory.ts';
import { dialingKeys } from '../../src/dataverse/directory/dialing-keys.ts';
import { DEFAULT_PHONE_FIELDS } from '../../src/dataverse/directory/phone-fields.ts';
import type { DirectorySource } from '../../src/dataverse/directory/source.ts';
import { Outbox } from '../../src/dataverse/outbox/outbox.ts';
import { OutboxError } from '../../src/dataverse/outbox/errors.ts';
import { SqliteOutboxStore } from '../../src/dataverse/outbox/sqlite-store.ts';
import type { OutboxStore } from '../../src/dataverse/outbox/store.ts';
import type { LineConfigRecord, Repositories } from '../../src/dataverse/repositories/index.ts';
import { createSchema } from '../../src/dataverse/schema.ts';
import { effectiveSettings } from '../../src/dialing/index.ts';
import { createUserSide } from '../../src/manager/clients/index.ts';
import { DEFAULTS } from '../../src/manager/config/keys.ts';
import type { ManagerConfig } from '../../src/manager/config/load.ts';
import { ConnectorGateway } from '../../src/manager/gateway/gateway.ts';
import type { SeqStore } from '../../src/manager/gateway/seq-store.ts';
import { SqliteSeqStore } from '../../src/manager/gateway/sqlite-seq-store.ts';
import { JOURNAL_OPTIONS, OUTBOX_STORE_OPTIONS } from '../../src/manager/manager.ts';
import { decodeMessage, encodeMessageFrame, FrameDecoder } from '../../src/protocol/index.ts';
import { keepLastFrame } from './acks.ts';
import { uid } from './popups.ts';
import { startWebApi, type Delivery, type WebApi } from './webapi.ts';

export const KEY = 'bench-connector-key-0000000001';
/** 200 lines per connector host, as a large PBX. */
export const hostsFor = (clients: number) => Math.max(1, Math.ceil(clients / 200));

export interface StackOptions {
  clients: number;
  outboxSync: 'GROUP' | 'FULL';
  /** Wraps the outbox store (bench/manager.ts times its calls). */
  wrapStore?: (store: OutboxStore) => OutboxStore;
  /**
   * Parts left out, to see what each costs (bench/manager.ts --ablate; never a production shape):
   * `journal` — acknowledged at once, nothing journaled; `outbox` — records built, nothing stored.
   */
  ablate?: ReadonlySet<Ablated>;
  /** How the outbox's records reach "Dataverse" (bench/lib/webapi.ts); absent or `instant`: a transport that answers at once. */
  deliver?: Delivery;
}

export type Ablated = 'journal' | 'outbox';
export const ABLATABLE: readonly Ablated[] = ['journal', 'outbox'];

/** The journal left out: no worker, no SQLite; every acknowledgement leaves at once. */
const noJournal = (): SeqStore => ({ get: () => undefined, set: () => undefined, journal: () => [], forget: () => undefined, whenDurable: (run) => run(), close: () => undefined, exited: async () => undefined });

/** The outbox's storage left out: each write is taken and dropped (the records are still built); nothing is ever due. */
function noOutboxStore(): OutboxStore {
  let seq = 0;
  const none = (id: string): never => {
    throw new OutboxError('not-found', `no write ${id}: the outbox is ablated`);
  };
  return {
    enqueue: (write, now) => ({ ...write, seq: (seq += 1), attempts: 0, nextAttemptAt: now, enqueuedAt: now }),
    due: () => [], nextDueAt: () => undefined, delivered: () => undefined, atomically: (fn) => fn(), whenDurable: (run) => run(),
    reschedule: () => undefined, deadLetter: () => undefined, deadLetters: () => [], retryDeadLetter: none, dropDeadLetter: none,
    oldest: () => undefined, get: () => undefined, pending: () => 0, close: () => undefined, exited: async () => undefined,
  };
}

const HOLD_LOCK_SOURCE = `
const { workerData } = require('node:worker_threads');
const db = new (require(workerData.module))(workerData.file);
db.pragma('busy_timeout = 5000');
db.exec('BEGIN IMMEDIATE');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.ms);
db.exec('COMMIT');
db.close();
`;

/** How long a run's end waits for the outbox to deliver the rest of its records (the stand-in runs at nice 19). */
export const DRAIN_MS = 120_000;

/** What the stand-in Web API took and refused; after a drain, how long it took and what was still waiting. */
export interface Delivered {
  created: number;
  refused: number;
  /** The stand-in process's CPU time so far (ms). */
  cpuMs: number;
  drainMs?: number;
  waiting?: number;
}

export interface Stack {
  gatewayPort: number;
  wsPort: number;
  outbox: Outbox;
  /**
   * `--deliver https`: what the stand-in Web API took and refused; undefined with `instant`. `drain`: first waits
   * (up to DRAIN_MS) until the outbox holds nothing, so the counts are the run's whole; `waiting` says what was left.
   */
  deliveries(drain: boolean): Promise<Delivered | undefined>;
  /** Journal batches committed so far (each a wake-up of its worker and then of the loop); 0 when ablated. */
  journalBatches(): number;
  /** The outbox WAL file's size in 4 KiB pages (0 when ablated or absent). */
  walPages(): number;
  /**
   * Holds the outbox database's write lock from another connection for `ms` (what a commit stuck on a
   * stalled disk does to every other writer), from a worker thread; resolves once released.
   */
  holdWriteLock(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** Line `i`'s full name: client `i` is user `uid(3, i)`, the only user of line `i`, on connector host `i mod hosts`. */
export const lineOf = (i: number, hosts: number) => `bench${i % hosts}.example:${1000 + i}`;

export async function startStack(o: StackOptions): Promise<Stack> {
  const hosts = hostsFor(o.clients);
  const def: LineConfigRecord = { id: uid(1, 0), kind: 'default', name: 'Standard', dialing: { countryCode: '49', internationalPrefix: '00', nationalPrefix: '0', areaCode: '30' }, popup: {} };
  const site: LineConfigRecord = { id: uid(1, 1), kind: 'site', name: 'Standort', parentId: def.id, dialing: { maxInternalLength: 3 }, popup: {} };
  const records: LineConfigRecord[] = Array.from({ length: o.clients }, (_, i) => ({ id: uid(2, i), kind: 'userLine', name: lineOf(i, hosts), line: lineOf(i, hosts), parentId: site.id, userId: uid(3, i), dialing: {}, popup: { openPhoneCall: 'incoming' } }));
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
  const dir = mkdtempSync(join(tmpdir(), 'bench-manager-'));
  const logger = pino({ level: 'silent' });
  const seqs = o.ablate?.has('journal') ? noJournal() : new SqliteSeqStore(join(dir, 'manager-state.sqlite'), JOURNAL_OPTIONS);
  const gateway = new ConnectorGateway({
    bindAddress: '127.0.0.1', port: 0, seqs, logger,
    settings: () => ({ connectorKeys: [KEY], keepAliveSeconds: 600, commandTimeoutMs: 5000, maxConnections: hosts + 64, maxUnregistered: 64, maxUnregisteredPerPeer: 64, registrationTimeoutMs: 10_000, frameTimeoutMs: 10_000, maxBadFrames: 3, maxSendBuffer: 4 << 20, maxFrameLength: 65_535 }),
  });
  const gatewayPort = await gateway.start();
  const settings = effectiveSettings(def.dialing, site.dialing);
  if (!settings.ok) throw settings.error;
  const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dialingKeys(settings.settings), source });
  await directory.refresh('full');
  const sqlite = o.ablate?.has('outbox') ? noOutboxStore() : new SqliteOutboxStore(join(dir, 'outbox.db'), { ...OUTBOX_STORE_OPTIONS, synchronous: o.outboxSync });
  const webApi: WebApi | undefined = o.deliver === undefined || o.deliver === 'instant' ? undefined : await startWebApi(o.deliver === 'https' ? 'worker' : 'loop', { shared: true });
  const outbox = new Outbox({ store: o.wrapStore?.(sqlite) ?? sqlite, transport: webApi?.transport ?? { deliver: async () => 'created' } });
  // Every client comes from 127.0.0.1 at once: the pre-upgrade caps are raised past the client count.
  const config = { ...DEFAULTS, MaxPendingUpgrades: 100_000, MaxPendingUpgradesPerPeer: 100_000, BindAddress: '127.0.0.1', CrmTapiWebSocketPort: 8080, ListenerTestLog: false } as ManagerConfig;
  const side = createUserSide({
    connectorSide: gateway, config: () => config, onConfigChange: () => () => undefined, logger,
    crm: { api: {} as never, repositories, schema: createSchema(), serviceUrl: 'http://crm.example/org' },
    directory, refreshPhoneNumbers: async () => ({ numbers: 0 }), outbox, lineRecords: { default: def, site }, version: 'bench', journal: seqs,
  }, { port: 0, maxUnproven: o.clients + 10, heartbeatSeconds: 600 });
  const ws = await side.start();
  return {
    gatewayPort, wsPort: ws.port, outbox,
    async deliveries(drain) {
      if (webApi === undefined) return undefined;
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      if (drain) await Promise.race([outbox.drained(), new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_MS)))]);
      clearTimeout(timer);
      const drainMs = performance.now() - started;
      return { ...(await webApi.stats()), ...(drain ? { drainMs, waiting: outbox.stats().pending } : {}) };
    },
    journalBatches: () => (seqs instanceof SqliteSeqStore ? seqs.stats().batches : 0),
    walPages: () => {
      try {
        return Math.ceil(statSync(join(dir, 'outbox.db-wal')).size / 4096);
      } catch {
        return 0;
      }
    },
    async holdWriteLock(ms: number) {
      // In a thread of its own, as a writer stuck on the disk would be: this thread stays free (and so can show whether the manager's does).
      const holder = new Worker(HOLD_LOCK_SOURCE, { eval: true, workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), file: join(dir, 'outbox.db'), ms } });
      await once(holder, 'exit');
    },
    async stop() {
      await side.stop();
      await gateway.stop();
      await outbox.close();
      await webApi?.stop();
      seqs.close();
      // The journal worker's last reply and its exit land on this thread: before the next run starts, not in it.
      await seqs.exited();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A connector of host `bench<host>.example` that registers and reports `lines` (line `i` is `1000 + i`). */
export async function connector(port: number, host: number, lines: readonly number[]): Promise<Socket> {
  const socket = tcpConnect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  socket.setNoDelay(true);
  const decoder = new FrameDecoder();
  const registered = new Promise<void>((resolve) => {
    const untilRegistered = (chunk: Buffer) => {
      for (const payload of decoder.push(chunk)) {
        if (decodeMessage(Buffer.from(payload).toString('utf8')).command !== 'registered') continue;
        // From here on the manager sends acknowledgements. Decoding them is the connector's work (another
        // process, in production), not the manager's: the bench reads them, keeps the last, decodes nothing.
        socket.off('data', untilRegistered);
        keepLastFrame(socket, decoder);
        resolve();
      }
    };
    socket.on('data', untilRegistered);
  });
  socket.write(encodeMessageFrame({ channel: 'connector', command: 'register', protocolVersion: '1.0', connectorVersion: '1.0.0', host: `bench${host}.example`, connectorKey: KEY }));
  await registered;
  socket.write(encodeMessageFrame({ channel: 'connector', command: 'lines', lines: lines.map((i) => ({ name: String(1000 + i), address: String(1000 + i), permanentId: String(i), mediaModes: ['audio'], inService: true })) }));
  return socket;
}

/** The lines of connector host `host`: every `i < clients` with `i mod hosts = host`. */
export const linesOfHost = (clients: number, hosts: number, host: number) => Array.from({ length: clients }, (_, i) => i).filter((i) => i % hosts === host);
