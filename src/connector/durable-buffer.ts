// The durable event buffer of a connector with a BufferFile: the
// EventBuffer restored from its journal, and the flushing that keeps the two
// in step (spec in docs/connector.md, "Durable buffer").
import type { Logger } from 'pino';
import { BufferJournalError, type BufferJournal } from './buffer-journal.ts';
import { EventBuffer, type Restored } from './event-buffer.ts';

export interface DurableBufferOptions {
  capacity: number;
  journal: BufferJournal;
  log: Logger;
  /** Now (ISO-8601): the time given to loss records of rows without a readable time. */
  timestamp: string;
  /** Entries became sendable (the caller pumps its outbox). */
  committed: () => void;
  /** Wait before writing again after a failed commit (default 1 s). */
  retryMs?: number;
  /** How long a moved acknowledged point may wait for its commit when nothing else is pending (default 250 ms). */
  ackCommitMs?: number;
}

/** How many unreadable rows are logged one by one (the rest in a summary). */
const UNREADABLE_LOGGED = 20;

/**
 * The EventBuffer restored from a journal, and the flushing that keeps the
 * two in step: all changes of one event-loop turn go into one transaction
 * (a burst of events costs one commit, not one each), written at the end of
 * the turn; entries become sendable only after that commit. A failed commit
 * (disk full) is retried every `retryMs`; meanwhile new events wait in
 * memory (bounded by the capacity) and nothing unsaved is sent.
 */
export class DurableBuffer {
  readonly buffer: EventBuffer;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #lazy: ReturnType<typeof setTimeout> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #failing = false;
  #closed = false;

  constructor(private readonly options: DurableBufferOptions) {
    const restored = options.journal.takeRestored();
    this.buffer = new EventBuffer(options.capacity, { store: options.journal, restored, restoredAt: options.timestamp, onDirty: (urgent) => this.schedule(urgent) });
    this.#logRestore(restored);
    try {
      // Before anything can be sent: a failure here is a start failure (a typed error for the caller).
      this.buffer.flush();
    } catch (err) {
      this.#closed = true;
      if (this.#immediate !== undefined) clearImmediate(this.#immediate);
      options.journal.close();
      throw err;
    }
  }

  /**
   * Flushes at the end of this event-loop turn (`urgent`: entries wait to be
   * sent), or within ackCommitMs (only acknowledgements: under load they ride
   * along with the next commit of new entries instead of costing one each).
   */
  schedule(urgent = true): void {
    if (this.#closed || this.#immediate !== undefined || this.#retry !== undefined) return;
    if (!urgent) {
      this.#lazy ??= setTimeout(() => {
        this.#lazy = undefined;
        if (!this.#closed) this.flushNow();
      }, this.options.ackCommitMs ?? 250);
      return;
    }
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      if (!this.#closed) this.flushNow();
    });
  }

  /** Writes what is pending now; false when the commit failed (it is retried later). */
  flushNow(): boolean {
    const { log } = this.options;
    try {
      const advanced = this.buffer.flush();
      if (this.#lazy !== undefined) clearTimeout(this.#lazy);
      this.#lazy = undefined;
      if (this.#failing) log.info({ file: this.options.journal.path }, 'BufferFile writable again; buffered events are sent');
      this.#failing = false;
      if (advanced) this.options.committed();
      return true;
    } catch (err) {
      if (!(err instanceof BufferJournalError)) throw err;
      const retryMs = this.options.retryMs ?? 1_000;
      if (!this.#failing) log.error({ code: err.code, retryMs }, `${err.message}; new events are held (not sent) until the buffer can be written`);
      this.#failing = true;
      if (!this.#closed && this.#retry === undefined) {
        this.#retry = setTimeout(() => {
          this.#retry = undefined;
          if (!this.#closed) this.flushNow();
        }, retryMs);
      }
      return false;
    }
  }

  /** Writes what is pending and closes the file (its lock is released). */
  close(): void {
    if (this.#closed) return;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#immediate = undefined;
    this.#retry = undefined;
    this.flushNow();
    if (this.#lazy !== undefined) clearTimeout(this.#lazy);
    this.#closed = true;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.options.journal.close();
  }

  #logRestore(restored: Restored): void {
    const { log, journal } = this.options;
    const report = this.buffer.restoreReport;
    const { state } = restored;
    if (report === undefined) return;
    const problems = new Map(restored.rows.map((r) => [r.seq, r.problem]));
    for (const seq of report.unreadable.slice(0, UNREADABLE_LOGGED)) {
      log.error({ file: journal.path, seq, problem: problems.get(seq) ?? 'the row is missing' }, `BufferFile: the event with seq ${seq} cannot be read; the manager receives an eventsLost in its place`);
    }
    if (report.unreadable.length > UNREADABLE_LOGGED) log.error({ file: journal.path, unreadable: report.unreadable.length }, 'BufferFile: further unreadable events reported as lost');
    if (report.overCapacity > 0) {
      log.warn(
        { file: journal.path, overCapacity: report.overCapacity, capacity: this.buffer.capacity },
        `BufferFile holds more events than EventBufferSize: the oldest ${this.buffer.capacity} are kept, the newest ${report.overCapacity} are reported to the manager as lost`,
      );
    }
    const summary = { file: journal.path, held: report.held, ackedSeq: state.ackedSeq, lastSeq: this.buffer.lastSeq, announced: state.announced };
    if (report.held > 0 || state.lastSeq > 0) log.info(summary, `restored ${report.held} unacknowledged event(s) from BufferFile; the sequence continues after ${this.buffer.lastSeq}`);
    else log.info(summary, 'BufferFile opened (empty)');
  }
}
