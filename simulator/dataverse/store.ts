// The in-memory record store: one map per entity, a global row version (Dataverse's
// `versionnumber` is a SQL rowversion, unique and increasing across the organisation), and
// tombstones of deleted rows so change tracking can report `$deletedEntity`. Values are kept in
// storage form (lookups as {id, logicalName}); rules about what a client may write live in
// records.ts. An optional SQLite file makes the store survive a restart of the simulator.
import type { SqlitePersistence } from './persistence.ts';

export interface LookupValue {
  id: string;
  logicalName: string;
}
export type StoredValue = string | number | boolean | null | LookupValue;
export type StoredRecord = Record<string, StoredValue>;

export interface Tombstone {
  entity: string;
  id: string;
  version: number;
  deletedAt: number;
}

export function isLookup(value: unknown): value is LookupValue {
  return typeof value === 'object' && value !== null && 'id' in value && 'logicalName' in value;
}

export class RecordStore {
  private readonly tables = new Map<string, Map<string, StoredRecord>>();
  private readonly tombstones: Tombstone[] = [];
  private version = 1000;
  private undo: (() => void)[] | undefined;

  constructor(private readonly persistence?: SqlitePersistence) {
    if (persistence) {
      const loaded = persistence.load();
      this.version = Math.max(this.version, loaded.version);
      for (const { entity, record, id } of loaded.records) this.table(entity).set(id, record);
      this.tombstones.push(...loaded.tombstones);
    }
  }

  /** True when the store holds no record at all (a fresh SQLite file or memory): seed it. */
  isEmpty(): boolean {
    for (const t of this.tables.values()) if (t.size > 0) return false;
    return true;
  }

  nextVersion(): number {
    this.version += 1;
    this.persistence?.saveVersion(this.version);
    return this.version;
  }

  currentVersion(): number {
    return this.version;
  }

  get(entity: string, id: string): StoredRecord | undefined {
    return this.tables.get(entity)?.get(id.toLowerCase());
  }

  all(entity: string): IterableIterator<StoredRecord> {
    return this.table(entity).values();
  }

  count(entity: string): number {
    return this.tables.get(entity)?.size ?? 0;
  }

  /** Inserts or replaces a record under its (lower-case) id. */
  put(entity: string, id: string, record: StoredRecord): void {
    const key = id.toLowerCase();
    const table = this.table(entity);
    const before = table.get(key);
    table.set(key, record);
    this.persistence?.saveRecord(entity, key, record);
    this.undo?.push(() => {
      if (before) table.set(key, before);
      else table.delete(key);
      if (before) this.persistence?.saveRecord(entity, key, before);
      else this.persistence?.deleteRecord(entity, key);
    });
  }

  remove(entity: string, id: string, deletedAt: number): boolean {
    const key = id.toLowerCase();
    const table = this.table(entity);
    const before = table.get(key);
    if (!before) return false;
    table.delete(key);
    const tomb: Tombstone = { entity, id: key, version: this.nextVersion(), deletedAt };
    this.tombstones.push(tomb);
    this.persistence?.deleteRecord(entity, key);
    this.persistence?.saveTombstone(tomb);
    this.undo?.push(() => {
      table.set(key, before);
      this.persistence?.saveRecord(entity, key, before);
      const i = this.tombstones.indexOf(tomb);
      if (i >= 0) this.tombstones.splice(i, 1);
      this.persistence?.deleteTombstone(tomb);
    });
    return true;
  }

  /** Deletions of `entity` recorded after row version `since`. */
  deletionsSince(entity: string, since: number): Tombstone[] {
    return this.tombstones.filter((t) => t.entity === entity && t.version > since);
  }

  /** Forgets tombstones older than `before` (ms); returns the highest version forgotten. */
  pruneTombstones(before: number): void {
    for (let i = this.tombstones.length - 1; i >= 0; i -= 1) {
      const t = this.tombstones[i];
      if (t && t.deletedAt < before) {
        this.tombstones.splice(i, 1);
        this.persistence?.deleteTombstone(t);
      }
    }
  }

  /**
   * Runs `fn` atomically: if it throws, every put/remove it made is undone (a `$batch` change
   * set or a deep insert either happens whole or not at all). Nested calls join the outer one.
   */
  transaction<T>(fn: () => T): T {
    if (this.undo) return fn();
    this.undo = [];
    const commit = this.persistence?.begin();
    try {
      const result = fn();
      this.undo = undefined;
      commit?.commit();
      return result;
    } catch (err) {
      const steps = this.undo ?? [];
      this.undo = undefined;
      for (let i = steps.length - 1; i >= 0; i -= 1) steps[i]?.();
      commit?.rollback();
      throw err;
    }
  }

  /**
   * Explicit transaction for async callers (a `$batch` change set): `begin()`, then `commit()`
   * or `rollback()`. Callers serialise writes (the simulator's write lock) so no other request's
   * changes land in between.
   */
  begin(): { commit(): void; rollback(): void } {
    if (this.undo) throw new Error('store: a transaction is already open');
    this.undo = [];
    const sql = this.persistence?.begin();
    return {
      commit: () => {
        this.undo = undefined;
        sql?.commit();
      },
      rollback: () => {
        const steps = this.undo ?? [];
        this.undo = undefined;
        for (let i = steps.length - 1; i >= 0; i -= 1) steps[i]?.();
        sql?.rollback();
      },
    };
  }

  close(): void {
    this.persistence?.close();
  }

  private table(entity: string): Map<string, StoredRecord> {
    let table = this.tables.get(entity);
    if (!table) {
      table = new Map();
      this.tables.set(entity, table);
    }
    return table;
  }
}
