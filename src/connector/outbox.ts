// What goes to the manager and in which order. Sequenced events come from the
// EventBuffer (the single source of truth for resends); control messages
// (lines, snapshots, results, keep-alives) are written first whenever the
// socket can take more. Writing stops when the socket asks to wait for
// 'drain' and resumes on `pump()`. Once per registration, when the preamble
// and every event held at registration have been written, `synced` follows
// (spec/protocol.md §7.5).
import type { Logger } from 'pino';
import { ProtocolError, encodeMessage, type TapiMessage } from '../protocol/index.ts';
import type { EventBuffer, OutgoingEvent } from './event-buffer.ts';

export interface OutboxLink {
  readonly writable: boolean;
  send(message: TapiMessage): boolean;
}

export interface AckWatch {
  /** How long written events may stay unacknowledged before the link counts as stalled. */
  timeoutMs(): number;
  /** Called once per stall: the caller drops the connection (the events are resent after reconnecting). */
  stalled(reason: string): void;
}

/** What `synced` reports: the seq the snapshot was taken at and how many snapshot callStates the preamble holds. */
export interface SyncPoint {
  snapshotSeq: number;
  activeCalls: number;
}

export class Outbox {
  /** Highest seq written on the current connection. */
  #cursor = 0;
  #control: TapiMessage[] = [];
  #ready = false;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** `synced` still owed on this connection: sent once the cursor reaches `upTo`. */
  #sync: (SyncPoint & { upTo: number }) | undefined;

  constructor(
    readonly buffer: EventBuffer,
    private readonly link: OutboxLink,
    private readonly log: Logger,
    private readonly watch?: AckWatch,
  ) {}

  get ready(): boolean {
    return this.#ready;
  }

  /** Nothing is waiting to be written on the current connection. */
  get idle(): boolean {
    return this.#control.length === 0 && this.#sync === undefined && this.#cursor >= this.buffer.lastSeq;
  }

  /** Everything ever buffered is acknowledged by the manager. */
  get settled(): boolean {
    return this.buffer.ackedSeq >= this.buffer.lastSeq && this.buffer.stats.pendingLoss === undefined;
  }

  /**
   * The manager registered us and acknowledged everything up to
   * `lastAckedSeq`. `preamble` (lines, then the snapshot of active calls) is
   * written first, then every held event after that point, then — with
   * `sync` — one `synced`. Events buffered meanwhile may go before or after
   * `synced`: their seq is above the snapshot's, so the manager takes them as
   * live either way.
   */
  connected(lastAckedSeq: number, preamble: readonly TapiMessage[], sync?: SyncPoint): void {
    if (lastAckedSeq > this.buffer.lastSeq) {
      this.log.warn({ lastAckedSeq, lastSeq: this.buffer.lastSeq }, 'the manager acknowledges events this connector never sent; treating them as all sent');
    }
    if (lastAckedSeq < this.buffer.ackedSeq) {
      // A manager that forgot what it had acknowledged (e.g. restarted without its state):
      // those events are gone from the buffer, so the replay starts after our point.
      this.log.warn({ lastAckedSeq, ackedSeq: this.buffer.ackedSeq }, 'the manager acknowledges less than before; events up to our acknowledged point are not resent');
    }
    this.buffer.ack(lastAckedSeq);
    this.#cursor = Math.max(this.buffer.ackedSeq, Math.min(lastAckedSeq, this.buffer.lastSeq));
    const resend = this.buffer.lastSeq - this.#cursor;
    if (resend > 0) this.log.info({ from: this.#cursor + 1, to: this.buffer.lastSeq, count: resend }, 'sending buffered events');
    this.#control = [...preamble];
    // After the ack above: a loss record it made room for belongs to the replay too.
    this.#sync = sync === undefined ? undefined : { ...sync, upTo: this.buffer.lastSeq };
    this.#ready = true;
    this.#stopWatch();
    this.pump();
  }

  disconnected(): void {
    this.#ready = false;
    this.#control = [];
    this.#sync = undefined;
    this.#stopWatch();
  }

  /** Buffers (and, when connected, sends) one event stamped `timestamp`. */
  push(event: OutgoingEvent, timestamp: string): void {
    try {
      // Checked here, not when sending, so an unsendable event can never block the ones behind it.
      encodeMessage({ ...event, seq: this.buffer.lastSeq + 1 } as TapiMessage);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.log.error({ code: err.code, command: event.command }, `event cannot be encoded and is reported as lost: ${err.message}`);
      this.buffer.markLost(timestamp);
      this.pump();
      return;
    }
    const before = this.buffer.stats.pendingLoss;
    this.buffer.push(event, timestamp);
    if (before === undefined && this.buffer.stats.pendingLoss !== undefined) {
      this.log.error({ capacity: this.buffer.capacity }, 'event buffer full: further events are counted and reported to the manager as lost');
    }
    this.pump();
  }

  /** The manager's cumulative acknowledgement. */
  ack(seq: number): void {
    if (seq > this.buffer.lastSeq) this.log.warn({ seq, lastSeq: this.buffer.lastSeq }, 'ack beyond the last event sent');
    const before = this.buffer.ackedSeq;
    this.buffer.ack(seq);
    if (this.buffer.ackedSeq > before) {
      this.#stopWatch();
      this.#startWatch();
    }
    this.pump();
  }

  /** Queues a control message; false when there is no connection to carry it. */
  sendControl(message: TapiMessage): boolean {
    if (!this.#ready) return false;
    this.#control.push(message);
    this.pump();
    return true;
  }

  pump(): void {
    while (this.#ready && this.link.writable) {
      const control = this.#control.shift();
      if (control !== undefined) {
        this.link.send(control);
        continue;
      }
      if (this.#sync !== undefined && this.#cursor >= this.#sync.upTo) {
        this.#sendSynced(this.#sync);
        continue;
      }
      const next = this.buffer.get(this.#cursor + 1);
      if (next === undefined) return;
      this.link.send(next);
      this.#cursor = next.seq;
      this.#startWatch();
    }
  }

  #sendSynced(sync: SyncPoint): void {
    this.#sync = undefined;
    this.log.info({ snapshotSeq: sync.snapshotSeq, activeCalls: sync.activeCalls, upTo: this.#cursor }, 'caught up: the manager has the lines, the active calls and every buffered event (synced)');
    this.link.send({ channel: 'connector', command: 'synced', snapshotSeq: sync.snapshotSeq, activeCalls: sync.activeCalls });
  }

  /**
   * The manager acknowledges what it received; if written events stay
   * unacknowledged too long, the link is dead or out of step even though TCP
   * has not noticed, and a new connection resends them.
   */
  #startWatch(): void {
    if (this.watch === undefined || this.#ackTimer !== undefined || !this.#ready || this.#cursor <= this.buffer.ackedSeq) return;
    const ms = this.watch.timeoutMs();
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined;
      this.watch?.stalled(`no acknowledgement from the manager for ${Math.round(ms / 1000)} s (${this.#cursor - this.buffer.ackedSeq} events outstanding); reconnecting`);
    }, ms);
  }

  #stopWatch(): void {
    if (this.#ackTimer !== undefined) clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
  }
}
