// The event buffer on disk (BufferFile): one SQLite row per sequenced message
// the manager has not acknowledged, plus the buffer's state, so a connector
// process that dies while the manager is away loses none of them. The rows
// hold the wire encoding of each message and are decoded with the protocol
// codec on restore, so a restored row is checked like any input from the wire.
//
// The file belongs to one connector process at a time: it is opened with
// SQLite's exclusive locking mode (an OS file lock on Windows and Linux alike,
// released by the OS when the process dies), so a second process fails at
// once instead of two sequences interleaving in one file.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CrmTapiError } from '../protocol/errors.ts';
import { decodeMessage, encodeMessage, isTimestamp, type TapiMessage } from '../protocol/index.ts';
import type { BufferCommit, BufferState, BufferStore, Restored, RestoredRow, SequencedMessage } from './event-buffer.ts';

/**
 * Codes: `buffer-file-unavailable` (cannot be created or opened),
 * `buffer-file-not-database` (not an SQLite file), `buffer-file-foreign`
 * (SQLite, but not a connector buffer or a newer layout), `buffer-file-corrupt`
 * (our layout with impossible state), `buffer-file-other-host` (the buffer of
 * another ConnectorHost), `buffer-file-locked` (used by another connector
 * process), `buffer-file-write-failed` (a commit failed, e.g. disk full).
 */
export type BufferJournalErrorCode =
  | 'buffer-file-unavailable'
  | 'buffer-file-not-database'
  | 'buffer-file-foreign'
  | 'buffer-file-corrupt'
  | 'buffer-file-other-host'
  | 'buffer-file-locked'
  | 'buffer-file-write-failed';

export class BufferJournalError extends CrmTapiError {
  constructor(
    readonly code: BufferJournalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** "CTB1" in the SQLite header: marks the file as a crm-tapi connector buffer. */
export const BUFFER_APPLICATION_ID = 0x43544231;
export const BUFFER_LAYOUT_VERSION = 1;

const SEQUENCED = new Set(['lineAdded', 'lineRemoved', 'lineState', 'callState', 'eventsLost']);

const SCHEMA = `
  CREATE TABLE events (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, message TEXT NOT NULL);
  CREATE TABLE state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    host TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    acked_seq INTEGER NOT NULL,
    lost_total INTEGER NOT NULL,
    pending_count INTEGER,
    pending_first TEXT,
    pending_last TEXT,
    announced INTEGER NOT NULL
  );`;

interface StateRow {
  host: unknown;
  last_seq: unknown;
  acked_seq: unknown;
  lost_total: unknown;
  pending_count: unknown;
  pending_first: unknown;
  pending_last: unknown;
  announced: unknown;
}

interface EventRow {
  seq: number;
  at: unknown;
  message: unknown;
}

export interface OpenOptions {
  /** The connector's ConnectorHost: a file written for another host is refused. */
  host: string;
  /** How long to wait for a lock held by another process (default 250 ms). */
  lockTimeoutMs?: number;
}

function sqliteCode(err: unknown): string {
  return String((err as { code?: unknown }).code ?? 'error');
}

function openError(path: string, err: unknown): BufferJournalError {
  if (err instanceof BufferJournalError) return err;
  const code = sqliteCode(err);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new BufferJournalError('buffer-file-locked', `BufferFile ${path} is used by another connector process (it is locked); stop that process or give this connector its own BufferFile`, { cause: err });
  }
  if (code === 'SQLITE_NOTADB') {
    return new BufferJournalError('buffer-file-not-database', `BufferFile ${path} is not an SQLite database (not a connector buffer); the file is left untouched — choose another path`, { cause: err });
  }
  if (code === 'SQLITE_CORRUPT') {
    return new BufferJournalError('buffer-file-corrupt', `BufferFile ${path} is damaged (${(err as Error).message}); the file is left untouched — move it away to start with an empty buffer`, { cause: err });
  }
  return new BufferJournalError('buffer-file-unavailable', `BufferFile ${path} cannot be opened (${code}: ${(err as Error).message})`, { cause: err });
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export class BufferJournal implements BufferStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[number, string, string]>;
  readonly #trimAcked: Database.Statement<[number]>;
  readonly #trimAbove: Database.Statement<[number]>;
  readonly #setState: Database.Statement<[number, number, number, number | null, string | null, string | null, number]>;
  #restored: Restored | undefined;
  readonly #transaction: (change: BufferCommit) => void;

  private constructor(
    readonly path: string,
    db: Database.Database,
    restored: Restored,
  ) {
    this.#db = db;
    this.#restored = restored;
    this.#insert = db.prepare('INSERT OR REPLACE INTO events (seq, at, message) VALUES (?, ?, ?)');
    this.#trimAcked = db.prepare('DELETE FROM events WHERE seq <= ?');
    this.#trimAbove = db.prepare('DELETE FROM events WHERE seq > ?');
    this.#setState = db.prepare(
      'UPDATE state SET last_seq = ?, acked_seq = ?, lost_total = ?, pending_count = ?, pending_first = ?, pending_last = ?, announced = ? WHERE id = 1',
    );
    this.#transaction = db.transaction((change: BufferCommit) => {
      for (const { message, at } of change.entries) this.#insert.run(message.seq, at, encodeMessage(message));
      const { state } = change;
      this.#trimAcked.run(state.ackedSeq);
      // Rows above lastSeq exist only after a restore kept fewer entries than the file held.
      this.#trimAbove.run(state.lastSeq);
      const p = state.pendingLoss;
      this.#setState.run(state.lastSeq, state.ackedSeq, state.lostTotal, p?.count ?? null, p?.firstTimestamp ?? null, p?.lastTimestamp ?? null, state.announced ? 1 : 0);
    });
  }

  /**
   * Opens (or creates) the buffer file, takes its lock and reads it back.
   * Throws BufferJournalError; a file that is not ours is never modified.
   */
  static open(path: string, options: OpenOptions): BufferJournal {
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { timeout: options.lockTimeoutMs ?? 250 });
      // Before the first read: the lock is then taken by the first transaction and held until close.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      BufferJournal.#prepareLayout(db, path, options.host);
      db.exec('COMMIT');
      // WAL with synchronous = NORMAL: a commit is a write into the WAL, not an fsync. It survives
      // the connector process being killed (the OS has the data); a power cut or OS crash may lose
      // the last commits before the next checkpoint. The file itself stays consistent either way.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      const restored = BufferJournal.#read(db, path);
      return new BufferJournal(path, db, restored);
    } catch (err) {
      if (db?.inTransaction) db.exec('ROLLBACK');
      db?.close();
      throw openError(path, err);
    }
  }

  /** What the file held when it was opened (once: the rows are not kept after). */
  takeRestored(): Restored {
    const restored = this.#restored ?? { state: { lastSeq: 0, ackedSeq: 0, lostTotal: 0, pendingLoss: undefined, announced: false }, rows: [] };
    this.#restored = undefined;
    return restored;
  }

  commit(change: BufferCommit): void {
    try {
      this.#transaction(change);
    } catch (err) {
      throw new BufferJournalError('buffer-file-write-failed', `BufferFile ${this.path}: cannot write (${sqliteCode(err)}: ${(err as Error).message})`, { cause: err });
    }
  }

  get open(): boolean {
    return this.#db.open;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  static #prepareLayout(db: Database.Database, path: string, host: string): void {
    const appId = db.pragma('application_id', { simple: true }) as number;
    const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    if (appId === 0 && tables.length === 0) {
      db.exec(SCHEMA);
      db.prepare('INSERT INTO state (id, host, last_seq, acked_seq, lost_total, announced) VALUES (1, ?, 0, 0, 0, 0)').run(host);
      db.pragma(`application_id = ${BUFFER_APPLICATION_ID}`);
      db.pragma(`user_version = ${BUFFER_LAYOUT_VERSION}`);
      return;
    }
    if (appId !== BUFFER_APPLICATION_ID) {
      const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', …' : '');
      throw new BufferJournalError(
        'buffer-file-foreign',
        `BufferFile ${path} is an SQLite database of another application (application_id ${appId}${tables.length > 0 ? `, tables ${shown}` : ''}), not a connector buffer; the file is left untouched — choose another path`,
      );
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== BUFFER_LAYOUT_VERSION) {
      throw new BufferJournalError(
        'buffer-file-foreign',
        `BufferFile ${path} has buffer layout ${version}; this connector reads layout ${BUFFER_LAYOUT_VERSION} (written by another version?); the file is left untouched`,
      );
    }
    const row = db.prepare('SELECT host FROM state WHERE id = 1').get() as { host?: unknown } | undefined;
    if (row === undefined) throw new BufferJournalError('buffer-file-corrupt', `BufferFile ${path} has no state row; the file is left untouched — move it away to start with an empty buffer`);
    if (row.host !== host) {
      throw new BufferJournalError(
        'buffer-file-other-host',
        `BufferFile ${path} holds the events of ConnectorHost "${String(row.host).slice(0, 253)}", not "${host}"; its events cannot be sent as this host's — give this host its own BufferFile, or move the file away once the other host's events are no longer needed`,
      );
    }
  }

  static #read(db: Database.Database, path: string): Restored {
    const s = db.prepare('SELECT * FROM state WHERE id = 1').get() as StateRow;
    const corrupt = (what: string) =>
      new BufferJournalError('buffer-file-corrupt', `BufferFile ${path}: ${what}; the file is left untouched — move it away to start with an empty buffer`);
    if (!isCount(s.last_seq) || !isCount(s.acked_seq) || !isCount(s.lost_total) || s.acked_seq > s.last_seq) {
      throw corrupt(`impossible sequence state (last ${String(s.last_seq)}, acknowledged ${String(s.acked_seq)}, lost ${String(s.lost_total)})`);
    }
    let pendingLoss: BufferState['pendingLoss'];
    if (s.pending_count !== null) {
      const ok = isCount(s.pending_count) && s.pending_count > 0 && typeof s.pending_first === 'string' && isTimestamp(s.pending_first) && typeof s.pending_last === 'string' && isTimestamp(s.pending_last);
      if (!ok) throw corrupt('impossible pending loss');
      pendingLoss = { count: s.pending_count as number, firstTimestamp: s.pending_first as string, lastTimestamp: s.pending_last as string };
    }
    const state: BufferState = { lastSeq: s.last_seq, ackedSeq: s.acked_seq, lostTotal: s.lost_total, pendingLoss, announced: s.announced === 1 };
    const rows = (db.prepare('SELECT seq, at, message FROM events WHERE seq > ? AND seq <= ? ORDER BY seq').all(state.ackedSeq, state.lastSeq) as EventRow[]).map(toRestoredRow);
    return { state, rows };
  }
}

/** One row as the buffer takes it back: decoded and checked, or unreadable (`message` undefined, with `problem`). */
export function toRestoredRow(row: EventRow): RestoredRow {
  const at = typeof row.at === 'string' && isTimestamp(row.at) ? row.at : undefined;
  if (typeof row.message !== 'string') return { seq: row.seq, at, message: undefined, problem: 'the message is not text' };
  let decoded: TapiMessage;
  try {
    decoded = decodeMessage(row.message);
  } catch (err) {
    return { seq: row.seq, at, message: undefined, problem: `${sqliteCode(err)}: ${(err as Error).message}` };
  }
  if (decoded.channel !== 'connector' || !SEQUENCED.has(decoded.command)) {
    return { seq: row.seq, at, message: undefined, problem: `holds ${decoded.channel}/${decoded.command}, not a sequenced connector event` };
  }
  const message = decoded as SequencedMessage;
  if (message.seq !== row.seq) return { seq: row.seq, at, message: undefined, problem: `the message carries seq ${message.seq}` };
  if (message.command === 'callState' && message.snapshot) return { seq: row.seq, at, message: undefined, problem: 'a snapshot callState is never buffered' };
  return { seq: row.seq, at, message };
}
