// The connector's promise "never lose an event" lives here. Every event for
// the manager gets the next per-connector sequence number and stays in this
// bounded, ordered buffer until the manager's cumulative `ack` covers it, so
// it can be sent again after a reconnect. When the buffer is full, further
// events are counted, not kept, and one explicit `eventsLost` record (with its
// own seq) takes their place as soon as there is room: the manager learns of
// every gap instead of never noticing it.
//
// With a BufferStore (BufferFile, src/connector/buffer-journal.ts) the buffer
// is durable: changes collect until `flush()` writes them in one transaction,
// and an entry becomes sendable (`get`, `after`) only once it is committed,
// so nothing reaches the manager that a crash could take back.
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

/** What a store keeps besides the entries. */
export interface BufferState {
  lastSeq: number;
  ackedSeq: number;
  lostTotal: number;
  pendingLoss: PendingLoss | undefined;
  /** A manager has registered this sequence (the next registration claims `lastAckedSeq`). */
  announced: boolean;
}

/** One held entry and the time it was buffered. */
export interface StoredEntry {
  message: SequencedMessage;
  at: string;
}

/** The changes since the last flush: entries to write (new, or replacing a row with the same seq) and the state now. */
export interface BufferCommit {
  entries: readonly StoredEntry[];
  state: BufferState;
}

export interface BufferStore {
  /** Writes one commit atomically, or throws (a typed error) and writes nothing. */
  commit(change: BufferCommit): void;
}

/** A row read back from a store: `message` is undefined when the row could not be decoded. */
export interface RestoredRow {
  seq: number;
  at: string | undefined;
  message: SequencedMessage | undefined;
  /** Why the row could not be used (for the log). */
  problem?: string;
}

export interface Restored {
  state: BufferState;
  /** Rows with seq above `state.ackedSeq`, in any order. */
  rows: readonly RestoredRow[];
}

export interface RestoreReport {
  /** Entries held again, including the loss records put in place of unreadable rows. */
  held: number;
  /** Seqs whose row was missing or could not be decoded: each became an `eventsLost` of count 1 under its own seq. */
  unreadable: number[];
  /** Entries beyond the capacity (the newest): counted as lost into the pending loss. */
  overCapacity: number;
}

export interface EventBufferOptions {
  store?: BufferStore;
  /** What the store held at start. */
  restored?: Restored;
  /** Time of the restore (ISO-8601): the loss records of rows without a readable time carry it. */
  restoredAt?: string;
  /**
   * Called when there is something to flush (the caller schedules `flush()`).
   * `urgent`: entries wait for the commit before they can be sent; otherwise
   * only the acknowledged point moved, which may be written later (a crash
   * before that costs nothing but a resend the manager drops as a duplicate).
   */
  onDirty?: (urgent: boolean) => void;
}

export class EventBuffer {
  readonly capacity: number;
  readonly restoreReport: RestoreReport | undefined;
  #entries: SequencedMessage[] = [];
  /** Index of the oldest live entry in #entries (trimmed entries before it). */
  #head = 0;
  #lastSeq = 0;
  #ackedSeq = 0;
  #lostTotal = 0;
  #pending: PendingLoss | undefined;
  #announced = false;
  readonly #store: BufferStore | undefined;
  readonly #onDirty: ((urgent: boolean) => void) | undefined;
  /** Highest seq committed to the store (with no store: every seq is). */
  #durableSeq = 0;
  #unsaved: StoredEntry[] = [];
  #dirty: 'no' | 'lazy' | 'urgent' = 'no';

  constructor(capacity: number, options: EventBufferOptions = {}) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`buffer capacity must be an integer ≥ 2, got ${capacity}`);
    this.capacity = capacity;
    this.#store = options.store;
    this.#onDirty = options.onDirty;
    if (options.restored !== undefined) this.restoreReport = this.#restore(options.restored, options.restoredAt ?? new Date(0).toISOString());
  }

  /** The manager has registered this sequence at least once (kept in the store). */
  get announced(): boolean {
    return this.#announced;
  }

  announce(): void {
    if (this.#announced) return;
    this.#announced = true;
    this.#markDirty();
  }

  /** Whether `flush()` has something to write. */
  get dirty(): boolean {
    return this.#dirty !== 'no';
  }

  /**
   * Commits what changed since the last flush in one store transaction.
   * Returns true when entries became sendable. A store failure propagates;
   * the changes stay pending and the next flush tries again.
   */
  flush(): boolean {
    if (this.#dirty === 'no' || this.#store === undefined) return false;
    this.#store.commit({ entries: this.#unsaved, state: this.#state() });
    this.#unsaved = [];
    this.#dirty = 'no';
    const advanced = this.#durableSeq < this.#lastSeq;
    this.#durableSeq = this.#lastSeq;
    return advanced;
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
   * The manager has seen this connector's sequence up to `seq`, beyond
   * anything this buffer assigned (a journal that lost its newest entries to
   * a smaller capacity, or a stale file): everything held is covered, and
   * numbering continues after `seq` so new events are not taken for
   * duplicates. Returns what became appendable (a pending loss record).
   */
  continueAfter(seq: number): SequencedMessage[] {
    if (!Number.isSafeInteger(seq) || seq <= this.#lastSeq) return [];
    this.#lastSeq = seq;
    this.#durableSeq = seq;
    this.#entries = [];
    this.#head = 0;
    this.#unsaved = [];
    this.#ackedSeq = seq;
    this.#markDirty();
    return this.#pending !== undefined ? [this.#appendLoss()] : [];
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
      return [this.#append(event, timestamp)];
    }
    // A loss is pending: its record must come before any later event.
    if (free >= 2) return [this.#appendLoss(), this.#append(event, timestamp)];
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
    this.#markDirty(false);
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

  /** The held, committed entry with this seq (O(1): held seqs are contiguous). */
  get(seq: number): SequencedMessage | undefined {
    const first = this.#entries[this.#head];
    if (first === undefined || seq < first.seq || seq > this.#durableSeq) return undefined;
    return this.#entries[this.#head + (seq - first.seq)];
  }

  /** Held, committed entries with seq greater than `seq`, oldest first (what to resend after a reconnect). */
  after(seq: number): SequencedMessage[] {
    const out: SequencedMessage[] = [];
    for (let i = this.#head; i < this.#entries.length; i += 1) {
      const entry = this.#entries[i] as SequencedMessage;
      if (entry.seq > this.#durableSeq) break;
      if (entry.seq > seq) out.push(entry);
    }
    return out;
  }

  #append(event: OutgoingEvent, at: string): SequencedMessage {
    this.#lastSeq += 1;
    const message = { ...event, seq: this.#lastSeq } as SequencedMessage;
    this.#keep(message, at);
    return message;
  }

  #keep(message: SequencedMessage, at: string): void {
    this.#entries.push(message);
    if (this.#store === undefined) this.#durableSeq = message.seq;
    else this.#unsaved.push({ message, at });
    this.#markDirty();
  }

  #markDirty(urgent = true): void {
    if (this.#store === undefined || this.#dirty === 'urgent' || (this.#dirty === 'lazy' && !urgent)) return;
    this.#dirty = urgent ? 'urgent' : 'lazy';
    this.#onDirty?.(urgent);
  }

  #state(): BufferState {
    return { lastSeq: this.#lastSeq, ackedSeq: this.#ackedSeq, lostTotal: this.#lostTotal, pendingLoss: this.#pending ? { ...this.#pending } : undefined, announced: this.#announced };
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
    this.#keep(message, loss.lastTimestamp);
    return message;
  }

  #countLost(timestamp: string): void {
    this.#lostTotal += 1;
    this.#markDirty();
    if (this.#pending === undefined) this.#pending = { count: 1, firstTimestamp: timestamp, lastTimestamp: timestamp };
    else {
      this.#pending.count += 1;
      this.#pending.lastTimestamp = timestamp;
    }
  }

  /**
   * Takes up what a store held. Entries are kept oldest first up to the
   * capacity (the newest beyond it join the pending loss: the manager hears
   * of them in an `eventsLost` record); a row that is missing or could not be
   * decoded is replaced, under its own seq, by an `eventsLost` of count 1, so
   * the seqs stay contiguous and the manager hears of that gap too.
   */
  #restore(restored: Restored, restoredAt: string): RestoreReport {
    const { state } = restored;
    const rows = new Map(restored.rows.map((row) => [row.seq, row]));
    this.#lostTotal = state.lostTotal;
    this.#announced = state.announced;
    this.#ackedSeq = state.ackedSeq;
    this.#lastSeq = state.ackedSeq;
    this.#durableSeq = state.ackedSeq;
    const keptEnd = Math.min(state.lastSeq, state.ackedSeq + this.capacity);
    const unreadable: number[] = [];
    for (let seq = state.ackedSeq + 1; seq <= keptEnd; seq += 1) {
      const row = rows.get(seq);
      this.#lastSeq = seq;
      this.#durableSeq = seq;
      if (row?.message !== undefined) {
        this.#entries.push(row.message);
        continue;
      }
      // Rewritten in the store too, so the next restore does not count it again.
      const at = row?.at ?? restoredAt;
      unreadable.push(seq);
      this.#lostTotal += 1;
      this.#keep({ channel: 'connector', command: 'eventsLost', seq, count: 1, firstTimestamp: at, lastTimestamp: at }, at);
    }
    const overCapacity = state.lastSeq - keptEnd;
    let pending = state.pendingLoss;
    if (overCapacity > 0) {
      const times = restored.rows.filter((r) => r.seq > keptEnd && r.seq <= state.lastSeq && r.at !== undefined).sort((a, b) => a.seq - b.seq);
      const first = times[0]?.at ?? pending?.firstTimestamp ?? restoredAt;
      const last = pending?.lastTimestamp ?? times[times.length - 1]?.at ?? restoredAt;
      pending = { count: overCapacity + (pending?.count ?? 0), firstTimestamp: first, lastTimestamp: last };
      this.#lostTotal += overCapacity;
      this.#markDirty();
    }
    this.#pending = pending === undefined ? undefined : { ...pending };
    // A larger capacity than before can make room for a loss record that had to wait.
    if (this.#pending !== undefined && this.size < this.capacity) this.#appendLoss();
    return { held: this.size, unreadable, overCapacity };
  }

  /** Drops trimmed slots now and then, so trimming stays O(1) amortised. */
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
