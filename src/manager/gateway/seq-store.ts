// The last acknowledged seq of every connector host, kept across reconnects
// and — in SQLite in DataDir — across a manager restart, so a connector that
// reconnects to a restarted manager replays only what the manager never
// acknowledged. Written before the ack leaves: an ack is a promise.
import Database from 'better-sqlite3';
import { CrmTapiError } from '../../protocol/errors.ts';

export interface SeqStore {
  get(host: string): number | undefined;
  set(host: string, seq: number): void;
  close(): void;
}

export class SeqStoreError extends CrmTapiError {
  readonly code = 'seq-store-unavailable';
}

export class MemorySeqStore implements SeqStore {
  readonly #seqs = new Map<string, number>();
  get(host: string): number | undefined {
    return this.#seqs.get(host);
  }
  set(host: string, seq: number): void {
    this.#seqs.set(host, seq);
  }
  close(): void {}
}

export class SqliteSeqStore implements SeqStore {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], { seq: number }>;
  readonly #set: Database.Statement<[string, number]>;
  readonly #cache = new Map<string, number>();

  constructor(readonly path: string) {
    try {
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      // NORMAL survives a killed process; an acked event lost to a power cut is re-sent, never lost.
      this.#db.pragma('synchronous = NORMAL');
      this.#db.pragma('busy_timeout = 5000');
      this.#db.exec('CREATE TABLE IF NOT EXISTS connector_seq (host TEXT PRIMARY KEY, seq INTEGER NOT NULL)');
      this.#get = this.#db.prepare('SELECT seq FROM connector_seq WHERE host = ?');
      this.#set = this.#db.prepare('INSERT INTO connector_seq (host, seq) VALUES (?, ?) ON CONFLICT(host) DO UPDATE SET seq = excluded.seq');
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

  set(host: string, seq: number): void {
    if (this.#cache.get(host) === seq) return;
    this.#set.run(host, seq);
    this.#cache.set(host, seq);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
