// Optional SQLite file behind the record store (better-sqlite3): every change is written
// through synchronously, so a simulator restarted on the same file sees the same records,
// row versions and tombstones. Tests use it to stop and restart a "Dataverse".
import Database from 'better-sqlite3';
import { SimulatorError } from './errors.ts';
import type { StoredRecord, Tombstone } from './store.ts';

export interface LoadedState {
  version: number;
  records: { entity: string; id: string; record: StoredRecord }[];
  tombstones: Tombstone[];
}

export class SqlitePersistence {
  private readonly db: Database.Database;
  private readonly stmts: {
    putRecord: Database.Statement;
    delRecord: Database.Statement;
    putTomb: Database.Statement;
    delTomb: Database.Statement;
    putVersion: Database.Statement;
  };

  constructor(path: string) {
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS records (entity TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (entity, id));
        CREATE TABLE IF NOT EXISTS tombstones (entity TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, deleted_at INTEGER NOT NULL, PRIMARY KEY (entity, version));
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      `);
    } catch (err) {
      throw new SimulatorError('sim-persistence-failed', `${path}: cannot open the SQLite store (${(err as Error).message})`, { cause: err });
    }
    this.stmts = {
      putRecord: this.db.prepare('INSERT OR REPLACE INTO records (entity, id, json) VALUES (?, ?, ?)'),
      delRecord: this.db.prepare('DELETE FROM records WHERE entity = ? AND id = ?'),
      putTomb: this.db.prepare('INSERT OR REPLACE INTO tombstones (entity, id, version, deleted_at) VALUES (?, ?, ?, ?)'),
      delTomb: this.db.prepare('DELETE FROM tombstones WHERE entity = ? AND version = ?'),
      putVersion: this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)"),
    };
  }

  load(): LoadedState {
    const version = (this.db.prepare("SELECT value FROM meta WHERE key = 'version'").get() as { value: number } | undefined)?.value ?? 0;
    const records = (this.db.prepare('SELECT entity, id, json FROM records').all() as { entity: string; id: string; json: string }[])
      .map((r) => ({ entity: r.entity, id: r.id, record: JSON.parse(r.json) as StoredRecord }));
    const tombstones = (this.db.prepare('SELECT entity, id, version, deleted_at FROM tombstones ORDER BY version').all() as
      { entity: string; id: string; version: number; deleted_at: number }[])
      .map((t) => ({ entity: t.entity, id: t.id, version: t.version, deletedAt: t.deleted_at }));
    return { version, records, tombstones };
  }

  saveRecord(entity: string, id: string, record: StoredRecord): void {
    this.stmts.putRecord.run(entity, id, JSON.stringify(record));
  }

  deleteRecord(entity: string, id: string): void {
    this.stmts.delRecord.run(entity, id);
  }

  saveTombstone(t: Tombstone): void {
    this.stmts.putTomb.run(t.entity, t.id, t.version, t.deletedAt);
  }

  deleteTombstone(t: Tombstone): void {
    this.stmts.delTomb.run(t.entity, t.version);
  }

  saveVersion(version: number): void {
    this.stmts.putVersion.run(version);
  }

  /** Opens a SQLite transaction unless one is open; the store commits or rolls it back. */
  begin(): { commit(): void; rollback(): void } | undefined {
    if (this.db.inTransaction) return undefined;
    this.db.exec('BEGIN');
    return { commit: () => this.db.exec('COMMIT'), rollback: () => this.db.exec('ROLLBACK') };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
