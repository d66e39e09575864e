// The connector's promise "never lose an event" lives here. Every event for
// the manager gets the next per-connector sequence number and stays in this
// bounded, ordered buffer until the manager's cumulative `ack` covers it, so
// it can be sent again after a reconnect. When the buffer is full, further
// events are counted, not kept, and one explicit `eventsLost` record (with its
// own seq) takes their place as soon as there is room: the manager learns of
// every gap instead of never noticing it.
import type { CallStateMessage, EventsLostMessage, LineAddedMessage, LineRemovedMessage, LineStateMessage } from '../protocol/messages.ts';

export type SequencedMessage = LineAddedMessage | LineRemovedMessage | LineStateMessage | CallStateMessage | EventsLostMessage;

type WithoutSeq<M> = M extends unknown ? Omit<M, 'seq'> : never;
/** An event as the service hands it in; the buffer assigns `seq`. */
export type OutgoingEvent = WithoutSeq<Exclude<SequencedMessage, EventsLostMessage>>;

export interface PendingLoss {
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
}

export interface EventBufferStats {
  /** Highest seq assigned so far (0 before the first event). */
  lastSeq: number;
  /** Highest seq the manager acknowledged. */
  ackedSeq: number;
  /** Entries held (sent or not, not yet acknowledged). */
  size: number;
  capacity: number;
  /** Events dropped since start (each reported in an `eventsLost` record). */
  lostTotal: number;
  pendingLoss: PendingLoss | undefined;
}

export class EventBuffer {
  readonly capacity: number;
  #entries: SequencedMessage[] = [];
  /** Index of the oldest live entry in #entries (trimmed entries before it). */
  #head = 0;
  #lastSeq = 0;
  #ackedSeq = 0;
  #lostTotal = 0;
  #pending: PendingLoss | undefined;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`buffer capacity must be an integer ≥ 2, got ${capacity}`);
    this.capacity = capacity;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get ackedSeq(): number {
    return this.#ackedSeq;
  }

  get size(): number {
    return this.#entries.length - this.#head;
  }

  get stats(): EventBufferStats {
    return {
      lastSeq: this.#lastSeq,
      ackedSeq: this.#ackedSeq,
      size: this.size,
      capacity: this.capacity,
      lostTotal: this.#lostTotal,
      pendingLoss: this.#pending ? { ...this.#pending } : undefined,
    };
  }

  /**
   * Adds an event stamped `timestamp` (ISO-8601). Returns what was appended,
   * in order: nothing (buffer full, the event was counted as lost), the event,
   * or a pending loss record followed by the event.
   */
  push(event: OutgoingEvent, timestamp: string): SequencedMessage[] {
    const free = this.capacity - this.size;
    if (this.#pending === undefined) {
      if (free === 0) {
        this.#countLost(timestamp);
        return [];
      }
      return [this.#append(event)];
    }
    // A loss is pending: its record must come before any later event.
    if (free >= 2) return [this.#appendLoss(), this.#append(event)];
    this.#countLost(timestamp);
    return free === 1 ? [this.#appendLoss()] : [];
  }

  /**
   * Applies the manager's cumulative acknowledgement. Values at or below the
   * current point change nothing; values above the last assigned seq are
   * clamped (the caller logs the protocol violation). Returns what became
   * appendable: a pending loss record once there is room for it.
   */
  ack(seq: number): SequencedMessage[] {
    const upTo = Math.min(seq, this.#lastSeq);
    if (upTo <= this.#ackedSeq) return [];
    this.#ackedSeq = upTo;
    while (this.#head < this.#entries.length && (this.#entries[this.#head] as SequencedMessage).seq <= upTo) this.#head += 1;
    this.#compact();
    if (this.#pending !== undefined && this.size < this.capacity) return [this.#appendLoss()];
    return [];
  }

  /**
   * Counts one event that could not be kept (e.g. it cannot be encoded) so
   * the manager hears of it in an `eventsLost` record like any other loss.
   */
  markLost(timestamp: string): SequencedMessage[] {
    this.#countLost(timestamp);
    return this.size < this.capacity ? [this.#appendLoss()] : [];
  }

  /** The held entry with this seq, if it is still held (O(1): held seqs are contiguous). */
  get(seq: number): SequencedMessage | undefined {
    const first = this.#entries[this.#head];
    if (first === undefined || seq < first.seq) return undefined;
    return this.#entries[this.#head + (seq - first.seq)];
  }

  /** Held entries with seq greater than `seq`, oldest first (what to resend after a reconnect). */
  after(seq: number): SequencedMessage[] {
    const out: SequencedMessage[] = [];
    for (let i = this.#head; i < this.#entries.length; i += 1) {
      const entry = this.#entries[i] as SequencedMessage;
      if (entry.seq > seq) out.push(entry);
    }
    return out;
  }

  #append(event: OutgoingEvent): SequencedMessage {
    this.#lastSeq += 1;
    const message = { ...event, seq: this.#lastSeq } as SequencedMessage;
    this.#entries.push(message);
    return message;
  }

  #appendLoss(): EventsLostMessage {
    const loss = this.#pending as PendingLoss;
    this.#pending = undefined;
    this.#lastSeq += 1;
    const message: EventsLostMessage = {
      channel: 'connector',
      command: 'eventsLost',
      seq: this.#lastSeq,
      count: loss.count,
      firstTimestamp: loss.firstTimestamp,
      lastTimestamp: loss.lastTimestamp,
    };
    this.#entries.push(message);
    return message;
  }

  #countLost(timestamp: string): void {
    this.#lostTotal += 1;
    if (this.#pending === undefined) this.#pending = { count: 1, firstTimestamp: timestamp, lastTimestamp: timestamp };
    else {
      this.#pending.count += 1;
      this.#pending.lastTimestamp = timestamp;
    }
  }

  /** Drops trimmed slots now and then, so trimming stays O(1) amortised. */
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
