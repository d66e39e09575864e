// What the manager knows about each connector host: its current connection,
// its lines (kept while it is away, marked unavailable), the calls it has
// running and the last seq it acknowledged. Sequenced events are accepted
// exactly once, in order; everything accepted goes out to the listeners.
// On `synced` the calls the connector no longer reports are ended here, with
// events the manager makes up (spec/protocol.md §7.5).
import type { Logger } from 'pino';
import type {
  CallStateMessage,
  EventsLostMessage,
  LineAddedMessage,
  LineInfo,
  LineRemovedMessage,
  LineStateMessage,
  SyncedMessage,
} from '../../protocol/index.ts';
import { SYNTHETIC_REASON_TEXT, type CallEvent, type LineEvent, type ReportedLine, type RoutedCallEvent, type SyntheticReason } from '../contracts.ts';
import { systemClock, type ManagerClock } from '../clock.ts';
import { CatchUp } from './catch-up.ts';
import type { ConnectorConnection } from './connection.ts';
import type { JournaledEvent, SeqStore } from './seq-store.ts';

export type SequencedMessage = LineAddedMessage | LineRemovedMessage | LineStateMessage | CallStateMessage | EventsLostMessage;

/** Lines one connector may report (the wire's `lines` list holds at most this many). */
export const MAX_LINES_PER_CONNECTOR = 4096;
/** Calls tracked per connector; ended calls leave at once, so only a runaway PBX reaches this. */
export const MAX_CALLS_PER_CONNECTOR = 10_000;

const ENDED = new Set(['disconnected', 'idle']);

export interface ConnectorEntry {
  host: string;
  connection: ConnectorConnection | undefined;
  lines: Map<string, ReportedLine>;
  /** callId → its latest state, for calls not yet ended. */
  calls: Map<string, CallEvent>;
  /** What the current registration reported before its `synced`; undefined once synced or offline. */
  catchUp: CatchUp | undefined;
  lastAckedSeq: number;
  connectorVersion: string;
  peer: string;
}

export interface RegistryListeners {
  call(event: RoutedCallEvent): void;
  line(event: LineEvent): void;
}

export type Accepted = 'accepted' | 'duplicate';

export class ConnectorRegistry {
  readonly #hosts = new Map<string, ConnectorEntry>();

  constructor(
    private readonly seqs: SeqStore,
    private readonly emit: RegistryListeners,
    private readonly log: Logger,
    /** Monotonic for `receivedAt`; wall time for the timestamp of the events the manager makes up. */
    private readonly clock: ManagerClock = systemClock,
  ) {}

  get size(): number {
    return this.#hosts.size;
  }

  entry(host: string): ConnectorEntry | undefined {
    return this.#hosts.get(host);
  }

  entries(): ConnectorEntry[] {
    return [...this.#hosts.values()];
  }

  /**
   * A connection registered `host`. Returns the seq to put into `registered`:
   * a connector without `lastAckedSeq` starts a fresh sequence (its process is
   * new); otherwise the higher of what we persisted and what it saw acknowledged
   * (a manager that lost its state must not ask for events the connector dropped).
   *
   * What we persisted can be behind what we applied: the journal commits off the event loop, so events
   * accepted (and shown to users) just before the connection went are still on their way to the disk.
   * The connector resends them — it was told only the durable point, and may drop only that — and they
   * are dropped here as resends, acknowledged once their commit lands. Before, the applied point went
   * back to the durable one and those events were applied twice: a call shown twice to its agent
   * (test/reliability/blackhole.test.ts, about one run in five once commits lagged under load).
   */
  register(host: string, connection: ConnectorConnection, claimed: number | undefined): number {
    const entry = this.#hosts.get(host) ?? this.#create(host);
    entry.connection = connection;
    entry.connectorVersion = connection.connectorVersion;
    entry.peer = connection.peer;
    entry.catchUp = new CatchUp(connection);
    const known = this.seqs.get(host) ?? 0;
    const start = claimed === undefined ? 0 : Math.max(known, claimed);
    if (claimed !== undefined && claimed > known) {
      this.log.warn({ host, claimed, known }, 'connector saw more acknowledged than this manager remembers; continuing after its point');
    }
    // A fresh sequence starts over; a continued one keeps what this process already applied.
    const applied = claimed === undefined ? 0 : Math.max(start, entry.lastAckedSeq);
    entry.lastAckedSeq = applied;
    this.seqs.set(host, applied);
    return start;
  }

  /** The connection of `host` is gone (not replaced): its lines become unavailable. */
  disconnected(host: string, connection: ConnectorConnection): void {
    const entry = this.#hosts.get(host);
    if (entry === undefined || entry.connection !== connection) return;
    entry.connection = undefined;
    entry.catchUp = undefined;
    for (const line of entry.lines.values()) {
      if (!line.connectorOnline) continue;
      line.connectorOnline = false;
      this.emit.line({ kind: 'changed', line: { ...line } });
    }
  }

  /** The full line list sent after each registration: lines missing from it are gone. */
  applyLineList(host: string, lines: readonly LineInfo[]): void {
    const entry = this.#hosts.get(host);
    if (entry === undefined) return;
    const seen = new Set<string>();
    for (const info of lines.slice(0, MAX_LINES_PER_CONNECTOR)) {
      seen.add(info.name);
      this.#upsertLine(entry, info);
    }
    for (const name of [...entry.lines.keys()]) {
      if (!seen.has(name)) this.#removeLine(entry, name);
    }
  }

  /** Exactly once, in order: a seq at or below the acknowledged point is a resend and is dropped. */
  applySequenced(host: string, message: SequencedMessage): Accepted {
    const entry = this.#hosts.get(host);
    if (entry === undefined) return 'duplicate';
    if (message.seq <= entry.lastAckedSeq) return 'duplicate';
    if (message.seq > entry.lastAckedSeq + 1) {
      const missing = message.seq - entry.lastAckedSeq - 1;
      this.log.warn({ host, expected: entry.lastAckedSeq + 1, got: message.seq, missing }, 'gap in the connector\'s sequence numbers; the missing events are lost');
      const at = 'timestamp' in message ? message.timestamp : new Date(this.clock.wall()).toISOString();
      this.emit.line({ kind: 'eventsLost', connectorHost: host, count: missing, firstTimestamp: at, lastTimestamp: at });
    }
    // One transaction: the seq moves and the event is journaled until what it means for the CRM is durable.
    // Only then does the acknowledged point move (a failed write, e.g. a full disk, acknowledges nothing).
    this.seqs.set(host, message.seq, journaled(host, message));
    entry.lastAckedSeq = message.seq;
    this.#apply(entry, message);
    return 'accepted';
  }

  /**
   * At start, before any connector registers: the journaled events of calls
   * whose records were not yet durable when the manager last stopped (or was
   * killed) go through the same path again, in their order, so the calls are
   * tracked and recorded as if the manager had never gone. Returns how many.
   */
  restore(events: readonly JournaledEvent[]): number {
    for (const { host, message } of events) {
      const entry = this.#hosts.get(host) ?? this.#create(host);
      if (message.command === 'callState') this.#call(entry, message);
      else this.emit.line({ kind: 'eventsLost', connectorHost: host, count: message.count, firstTimestamp: message.firstTimestamp, lastTimestamp: message.lastTimestamp, seq: message.seq });
    }
    return events.length;
  }

  /** A snapshot of a call still active after a reconnect: passed on, never counted in the sequence. */
  applySnapshot(host: string, message: CallStateMessage): void {
    const entry = this.#hosts.get(host);
    if (entry === undefined) return;
    // Journaled as well (the seq stays): a restart must rebuild the call exactly as it was tracked.
    this.seqs.set(host, entry.lastAckedSeq, { host, key: `${host}/${message.callId}`, message });
    this.#call(entry, message);
    entry.catchUp?.snapshot(message.callId, entry.calls.has(message.callId));
  }

  /**
   * The connector on `connection` has sent its lines, its snapshot and its
   * whole replay: every call still tracked for the host that was neither in
   * the snapshot nor in an event after it ended while nobody watched. Ends
   * them with `disconnected` and `idle` of our own; returns how many.
   */
  synced(host: string, connection: ConnectorConnection, message: SyncedMessage): number {
    const entry = this.#hosts.get(host);
    const catchUp = entry?.catchUp;
    if (entry === undefined || entry.connection !== connection || catchUp === undefined || catchUp.connection !== connection) {
      this.log.info({ host, peer: connection.peer }, 'synced from a connection that is not catching up (a second synced, or a replaced connection); ignored');
      return 0;
    }
    entry.catchUp = undefined;
    const verdict = catchUp.verdict(entry.calls.keys(), message);
    if (verdict.kind === 'incomplete') {
      this.log.warn({ host, heard: verdict.heard, announced: verdict.announced }, 'connector synced, but fewer snapshot calls arrived than it sent; no call is ended (the silence limit ends calls that are gone)');
      return 0;
    }
    this.#endCalls(entry, verdict.callIds, 'connector-no-longer-reports');
    const summary = { host, ended: verdict.callIds.length, active: entry.calls.size, snapshotSeq: message.snapshotSeq, activeCalls: message.activeCalls };
    if (verdict.callIds.length > 0) this.log.warn(summary, `connector synced; ${verdict.callIds.length} call(s) ${SYNTHETIC_REASON_TEXT['connector-no-longer-reports']}`);
    else this.log.info(summary, 'connector synced; every call the manager tracks is still reported');
    return verdict.callIds.length;
  }

  #endCalls(entry: ConnectorEntry, callIds: readonly string[], why: SyntheticReason): void {
    const timestamp = new Date(this.clock.wall()).toISOString();
    for (const callId of callIds) {
      const last = entry.calls.get(callId);
      if (last === undefined) continue;
      this.log.warn({ host: entry.host, callKey: `${entry.host}/${callId}`, line: `${entry.host}:${last.line}`, state: last.state }, SYNTHETIC_REASON_TEXT[why]);
      const { seq: _seq, reason: _reason, ...call } = last;
      for (const state of ['disconnected', 'idle'] as const) this.#call(entry, { ...call, timestamp, state, reason: 'other', snapshot: false }, why);
    }
  }

  #create(host: string): ConnectorEntry {
    const entry: ConnectorEntry = { host, connection: undefined, lines: new Map(), calls: new Map(), catchUp: undefined, lastAckedSeq: 0, connectorVersion: '', peer: '' };
    this.#hosts.set(host, entry);
    return entry;
  }

  #apply(entry: ConnectorEntry, message: SequencedMessage): void {
    switch (message.command) {
      case 'lineAdded':
        this.#upsertLine(entry, message.line);
        return;
      case 'lineRemoved':
        this.#removeLine(entry, message.line);
        return;
      case 'lineState': {
        const line = entry.lines.get(message.line);
        if (line === undefined) {
          this.log.warn({ host: entry.host, line: message.line }, 'lineState for a line the connector never reported; ignored');
          return;
        }
        if (line.inService === message.inService) return;
        line.inService = message.inService;
        this.emit.line({ kind: 'changed', line: { ...line } });
        return;
      }
      case 'eventsLost':
        this.log.error({ host: entry.host, count: message.count, first: message.firstTimestamp, last: message.lastTimestamp }, `the connector lost ${message.count} event(s)`);
        this.emit.line({ kind: 'eventsLost', connectorHost: entry.host, count: message.count, firstTimestamp: message.firstTimestamp, lastTimestamp: message.lastTimestamp, seq: message.seq });
        return;
      case 'callState':
        this.#call(entry, message);
        if (entry.calls.has(message.callId)) entry.catchUp?.event(message.callId, message.seq);
        return;
    }
  }

  #call(entry: ConnectorEntry, message: CallEvent, synthetic?: SyntheticReason): void {
    if (ENDED.has(message.state)) {
      entry.calls.delete(message.callId);
      entry.catchUp?.forget(message.callId);
    } else if (entry.calls.has(message.callId) || entry.calls.size < MAX_CALLS_PER_CONNECTOR) entry.calls.set(message.callId, message);
    else this.log.warn({ host: entry.host, calls: entry.calls.size }, 'too many running calls on one connector; this one cannot be controlled');
    this.emit.call({
      callKey: `${entry.host}/${message.callId}`,
      line: `${entry.host}:${message.line}`,
      connectorHost: entry.host,
      event: message,
      receivedAt: this.clock.mono(),
      ...(synthetic === undefined ? {} : { synthetic }),
    });
  }

  #upsertLine(entry: ConnectorEntry, info: LineInfo): void {
    const existing = entry.lines.get(info.name);
    const line: ReportedLine = {
      line: `${entry.host}:${info.name}`,
      connectorHost: entry.host,
      localName: info.name,
      address: info.address,
      inService: info.inService,
      connectorOnline: entry.connection !== undefined,
      ...(info.rejectAllowed === undefined ? {} : { rejectAllowed: info.rejectAllowed }),
      ...(info.controls === undefined ? {} : { controls: [...info.controls] }),
    };
    if (existing === undefined) {
      if (entry.lines.size >= MAX_LINES_PER_CONNECTOR) {
        this.log.error({ host: entry.host, line: info.name, max: MAX_LINES_PER_CONNECTOR }, 'connector reports more lines than the manager keeps; line ignored');
        return;
      }
      entry.lines.set(info.name, line);
      this.emit.line({ kind: 'added', line: { ...line } });
      return;
    }
    if (existing.address === line.address && existing.inService === line.inService && existing.connectorOnline === line.connectorOnline && existing.rejectAllowed === line.rejectAllowed && existing.controls?.join() === line.controls?.join()) return;
    entry.lines.set(info.name, line);
    this.emit.line({ kind: 'changed', line: { ...line } });
  }

  #removeLine(entry: ConnectorEntry, name: string): void {
    const line = entry.lines.get(name);
    if (line === undefined) return;
    entry.lines.delete(name);
    this.emit.line({ kind: 'removed', line: line.line });
  }
}

/** The journal entry of an accepted event that the CRM still has to hear of (call states and lost events). */
function journaled(host: string, message: SequencedMessage): JournaledEvent | undefined {
  if (message.command === 'callState') return { host, key: `${host}/${message.callId}`, message };
  if (message.command === 'eventsLost') return { host, key: lostEventsKey(host, message.seq), message };
  return undefined;
}

/** The journal key of a connector's `eventsLost`: forgotten once its event log entry is in the outbox. */
export function lostEventsKey(host: string, seq: number): string {
  return `lost:${host}:${seq}`;
}
