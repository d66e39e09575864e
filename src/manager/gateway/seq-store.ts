// The last acknowledged seq of every connector host and the journal of the
// accepted events whose meaning for the CRM is not yet durable, kept across
// reconnects and — in SQLite in DataDir — across a manager restart.
//
// Acknowledgement follows durability (spec/protocol.md §7.3): an accepted
// event is journaled in the same transaction that moves the host's seq, before
// its ack leaves. The journal entry stays until the event's consequence is
// durable elsewhere — the call's records in the outbox — and the user side
// calls `forget`. A manager killed in between rebuilds its tracked calls from
// the journal at start (`journal()`), so an acknowledged event is never lost.
import Database from 'better-sqlite3';
import type { CallStateMessage, EventsLostMessage } from '../../protocol/index.ts';
import { CrmTapiError } from '../../protocol/errors.ts';

/** An accepted event still owed to the CRM, keyed by what forgets it (the call key, or `lost:<host>:<seq>`). */
export interface JournaledEvent {
  host: string;
  key: string;
  message: CallStateMessage | EventsLostMessage;
}

export interface SeqStore {
  get(host: string): number | undefined;
  /** Moves the host's acknowledged seq; with `event`, journals it in the same transaction. */
  set(host: string, seq: number, event?: JournaledEvent): void;
  /** The journaled events, in the order they were accepted. */
  journal(): JournaledEvent[];
  /** What these keys meant for the CRM is durable now: their journaled events go. */
  forget(keys: readonly string[]): void;
  close(): void;
}

export class SeqStoreError extends CrmTapiError {
  readonly code = 'seq-store-unavailable';
}

export class MemorySeqStore implements SeqStore {
  readonly #seqs = new Map<string, number>();
  #journal: JournaledEvent[] = [];
  get(host: string): number | undefined {
    return this.#seqs.get(host);
  }
  set(host: string, seq: number, event?: JournaledEvent): void {
    this.#seqs.set(host, seq);
    if (event !== undefined) this.#journal.push(event);
  }
  journal(): JournaledEvent[] {
    return [...this.#journal];
  }
  forget(keys: readonly string[]): void {
    const gone = new Set(keys);
    this.#journal = this.#journal.filter((e) => !gone.has(e.key));
  }
  close(): void {}
}

export class SqliteSeqStore implements SeqStore {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], { seq: number }>;
  readonly #set: Database.Statement<[string, number]>;
  readonly #append: Database.Statement<[string, string, string]>;
  readonly #forget: Database.Statement<[string]>;
  readonly #accept: (host: string, seq: number, event: JournaledEvent | undefined) => void;
  readonly #cache = new Map<string, number>();

  constructor(readonly path: string) {
    try {
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      // FULL: a committed transaction (an acknowledged event) survives a power cut too, as the outbox's writes do.
      this.#db.pragma('synchronous = FULL');
      this.#db.pragma('busy_timeout = 5000');
      this.#db.exec('CREATE TABLE IF NOT EXISTS connector_seq (host TEXT PRIMARY KEY, seq INTEGER NOT NULL)');
      this.#db.exec('CREATE TABLE IF NOT EXISTS event_journal (id INTEGER PRIMARY KEY AUTOINCREMENT, host TEXT NOT NULL, key TEXT NOT NULL, message TEXT NOT NULL)');
      this.#db.exec('CREATE INDEX IF NOT EXISTS event_journal_key ON event_journal (key)');
      this.#get = this.#db.prepare('SELECT seq FROM connector_seq WHERE host = ?');
      this.#set = this.#db.prepare('INSERT INTO connector_seq (host, seq) VALUES (?, ?) ON CONFLICT(host) DO UPDATE SET seq = excluded.seq');
      this.#append = this.#db.prepare('INSERT INTO event_journal (host, key, message) VALUES (?, ?, ?)');
      this.#forget = this.#db.prepare('DELETE FROM event_journal WHERE key = ?');
      this.#accept = this.#db.transaction((host: string, seq: number, event: JournaledEvent | undefined) => {
        this.#set.run(host, seq);
        if (event !== undefined) this.#append.run(event.host, event.key, JSON.stringify(event.message));
      });
    } catch (err) {
      throw new SeqStoreError(`cannot open the connector state database ${path} (${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message})`, { cause: err });
    }
  }

  get(host: string): number | undefined {
    const cached = this.#cache.get(host);
    if (cached !== undefined) return cached;
    const row = this.#get.get(host);
    if (row !== undefined) this.#cache.set(host, row.seq);
    return row?.seq;
  }

  set(host: string, seq: number, event?: JournaledEvent): void {
    if (event === undefined && this.#cache.get(host) === seq) return;
    this.#accept(host, seq, event);
    this.#cache.set(host, seq);
  }

  journal(): JournaledEvent[] {
    const rows = this.#db.prepare<[], { host: string; key: string; message: string }>('SELECT host, key, message FROM event_journal ORDER BY id').all();
    return rows.map((r) => ({ host: r.host, key: r.key, message: JSON.parse(r.message) as JournaledEvent['message'] }));
  }

  forget(keys: readonly string[]): void {
    if (keys.length === 0 || !this.#db.open) return;
    this.#db.transaction(() => {
      for (const key of keys) this.#forget.run(key);
    })();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
