// The outbox store in SQLite (better-sqlite3, WAL). One process owns a file.
// `synchronous = FULL` by default: a committed enqueue survives not only a
// killed process (WAL alone gives that) but a power cut. WAL checkpoints run in
// a worker thread (checkpointer.ts), not inside the manager's commits.
// `GROUP`: commits as NORMAL, and `whenDurable` confirms the power-cut safety
// of FULL asynchronously, one WAL flush for many commits (wal-sync.ts).
import Database from 'better-sqlite3';
import { SAFETY_NET_PAGES, INLINE_PAGES, WalCheckpointer } from './checkpointer.ts';
import { OutboxError } from './errors.ts';
import { WalSync } from './wal-sync.ts';
import { INSERT_SQL, LAYOUT_VERSION, prepareStatements, REMOVE_SQL, SCHEMA } from './sqlite-schema.ts';
import { DueView } from './due-view.ts';
import { insertParams, stored, toDeadLetter, toItem, type DeadRow, type Row, type WaitingRow } from './rows.ts';
import { DUPLICATE, FORGOTTEN, OutboxWriter, type WriterOp, type WriterResult } from './writer.ts';
import type { DeadLetter, Failure, OutboxItem, OutboxStore, OutboxWrite } from './store.ts';

export interface SqliteOutboxStoreOptions {
  /**
   * `FULL` (default) survives power loss on return; `NORMAL` survives a killed process and is faster; `GROUP`
   * survives a killed process on return and power loss once `whenDurable` runs (no fsync on the event loop).
   */
  readonly synchronous?: 'FULL' | 'NORMAL' | 'GROUP';
  /** `GROUP` only: told when the WAL could not be flushed (it is tried again). */
  readonly onTrouble?: (message: string) => void;
  /**
   * Where WAL checkpoints run: `worker` (default) on a second connection in a
   * worker thread, off the event loop; `inline` inside the commit that fills the WAL (SQLite's default).
   */
  readonly checkpoints?: 'worker' | 'inline';
  /**
   * `worker`: the store also offers `enqueueLater` and `deliveredLater`, committed on a connection of their
   * own in a worker thread (`synchronous = FULL` there, off the event loop: writer.ts). Default `loop`: not offered.
   */
  readonly writes?: 'worker' | 'loop';
  /** `writes: 'worker'`: how long the writer gathers a batch (ms; default 0, the rest of the turn; writer.ts). */
  readonly writeGatherMs?: number;
  /**
   * `memory` (default): `due` and `nextDueAt` are answered from a view of the waiting writes kept in step with
   * every change this store makes (due-view.ts; it must be the file's only writer, as the manager is). `sql`:
   * each is a query (the reference the view is tested against).
   */
  readonly dueFrom?: 'memory' | 'sql';
}

export class SqliteOutboxStore implements OutboxStore {
  private readonly db: Database.Database;
  private readonly statements;
  private closed = false;
  /** `dueFrom: 'memory'`: the waiting writes as the delivery loop needs them. */
  private readonly view: DueView<OutboxItem> | undefined;
  /** Inside `atomically`: the view's changes wait for the commit (a rollback must not leave them behind). */
  private uncommitted: OutboxItem[] | undefined;
  /** Runs the WAL checkpoints when `checkpoints` is `worker` and the file is in WAL mode. */
  readonly checkpointer: WalCheckpointer | undefined;
  /** `GROUP` only: the asynchronous WAL flushes. */
  readonly walSync: WalSync | undefined;
  /** `writes: 'worker'` only: commits `enqueueLater` and `deliveredLater` in a worker thread. */
  readonly writer: OutboxWriter | undefined;
  /** `writes: 'worker'` only (the Outbox then uses it): `enqueue` for many, committed off the event loop. */
  readonly enqueueLater?: (writes: readonly OutboxWrite[], now: number) => Promise<boolean[]>;
  /** `writes: 'worker'` only: `delivered`, committed off the event loop; resolves once they are forgotten. */
  readonly deliveredLater?: (ids: readonly string[]) => Promise<void>;

  constructor(readonly path: string, options: SqliteOutboxStoreOptions = {}) {
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      const synchronous = options.synchronous === 'GROUP' ? 'NORMAL' : (options.synchronous ?? 'FULL');
      this.db.pragma(`synchronous = ${synchronous}`);
      this.db.pragma('busy_timeout = 5000');
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version > LAYOUT_VERSION) {
        throw new OutboxError('store-unavailable', `outbox ${path} has layout ${version}, newer than this program's ${LAYOUT_VERSION}`);
      }
      this.db.exec(SCHEMA);
      for (const table of ['outbox', 'dead_letters']) {
        const columns = this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
        if (!columns.some((c) => c.name === 'if_exists')) this.db.exec(`ALTER TABLE ${table} ADD COLUMN if_exists TEXT`);
      }
      this.db.pragma(`user_version = ${LAYOUT_VERSION}`);
      if ((options.checkpoints ?? 'worker') === 'worker' && this.db.pragma('journal_mode', { simple: true }) === 'wal') {
        this.checkpointer = new WalCheckpointer({
          file: path,
          synchronous,
          onFallback: () => {
            if (!this.closed) this.db.pragma(`wal_autocheckpoint = ${INLINE_PAGES}`);
          },
        });
        this.db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
      }
      if (options.synchronous === 'GROUP') {
        if (this.db.pragma('journal_mode', { simple: true }) !== 'wal') throw new OutboxError('store-unavailable', `outbox ${path}: synchronous GROUP needs WAL mode`);
        this.walSync = new WalSync(`${path}-wal`, options.onTrouble);
      }
    } catch (err) {
      if (err instanceof OutboxError) throw err;
      const code = (err as { code?: string }).code ?? 'error';
      throw new OutboxError('store-unavailable', `cannot open the outbox database ${path} (${code}: ${(err as Error).message})`, { cause: err });
    }
    const db = this.db;
    this.statements = prepareStatements(db);
    this.view = options.dueFrom === 'sql' ? undefined : new DueView<OutboxItem>();
    this.loadView();
    if (options.writes !== 'worker' || this.db.pragma('journal_mode', { simple: true }) !== 'wal') {
      this.writer = undefined;
      return;
    }
    // The writer's fallback when its worker cannot run: the same batch on this connection.
    const inline = db.transaction((ops: readonly WriterOp[]): WriterResult => ops.map((op) => {
      if (op.k === 'e') return this.insertRow(op.row) ?? DUPLICATE;
      this.statements.remove.run(op.id);
      return FORGOTTEN;
    }));
    const writer = new OutboxWriter({
      file: path,
      sql: { insert: INSERT_SQL, remove: REMOVE_SQL },
      autocheckpointPages: SAFETY_NET_PAGES,
      inline: (ops) => {
        this.open();
        const dup = inline.immediate(ops);
        this.checkpointer?.noteCommit();
        return dup;
      },
      whenInlineDurable: (run) => this.whenDurable(run),
      onCommit: () => this.checkpointer?.noteCommit(),
      onTrouble: options.onTrouble ?? (() => undefined),
      ...(options.writeGatherMs === undefined ? {} : { gatherMs: options.writeGatherMs }),
    });
    this.writer = writer;
    this.enqueueLater = async (writes, now) => {
      this.open();
      const seqs = await writer.submit(writes.map((w) => ({ k: 'e', row: insertParams(w, now) })));
      if (!this.closed) writes.forEach((w, i) => (seqs[i] === DUPLICATE ? this.viewDuplicate(w.id) : this.viewAdd(stored(w, seqs[i]!, now))));
      return seqs.map((seq) => seq !== DUPLICATE);
    };
    this.deliveredLater = async (ids) => {
      this.open();
      if (ids.length === 0) return;
      await writer.submit(ids.map((id) => ({ k: 'd', id })));
      for (const id of ids) this.view?.remove(id);
    };
  }

  enqueue(write: OutboxWrite, now: number): OutboxItem {
    this.open();
    const params = insertParams(write, now);
    const insert = () => {
      const seq = this.insertRow(params);
      if (seq === undefined) throw duplicate(write.id);
      return seq;
    };
    // Inside `atomically` no savepoint of its own: a refused id throws before anything is written, and the
    // one INSERT is atomic by itself, so a caught duplicate-id still leaves the others (two statements less per record).
    const seq = this.db.inTransaction ? insert() : this.db.transaction(insert).immediate();
    this.checkpointer?.noteCommit();
    // What was stored, without reading it back: the body, onBehalfOf and ifExists as given, not their JSON
    // round trip (parsing them again cost about half of what an enqueue allocated; the transport stringifies them).
    const item = stored(write, seq, now);
    if (this.uncommitted !== undefined) this.uncommitted.push(item);
    else this.viewAdd(item);
    return item;
  }

  /** Inserts one row: its seq, or undefined when the id is taken (in the outbox or the dead letters). */
  private insertRow(params: Readonly<Record<string, string | number | null>>): number | undefined {
    let result: Database.RunResult;
    try {
      result = this.statements.insert.run(params);
    } catch (err) {
      // A failed statement changes nothing (SQLite aborts just that statement, not the transaction around it).
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
      return undefined;
    }
    return result.changes === 0 ? undefined : Number(result.lastInsertRowid);
  }

  due(now: number, limit: number, exclude: ReadonlySet<string>): OutboxItem[] {
    this.open();
    if (this.view !== undefined) {
      const items = this.view.ready(now, limit, exclude).map((id) => this.view!.item(id) ?? this.get(id));
      if (items.every((i) => i !== undefined)) return items as OutboxItem[];
      // A write the view lists is not in the table: something else wrote the file. Believe the table.
      this.loadView();
    }
    // Ask for enough rows that the excluded (in flight) ones cannot crowd out the ready ones.
    const rows = this.statements.due.all({ now, limit: limit + exclude.size }) as Row[];
    return rows.filter((r) => !exclude.has(r.id)).slice(0, limit).map(toItem);
  }

  nextDueAt(exclude: ReadonlySet<string>): number | undefined {
    this.open();
    if (this.view !== undefined) return this.view.nextDueAt(exclude);
    const rows = this.statements.nextDue.all({ limit: exclude.size + 1 }) as { id: string; next_attempt_at: number }[];
    return rows.find((r) => !exclude.has(r.id))?.next_attempt_at;
  }

  delivered(ids: readonly string[]): void {
    this.open();
    if (ids.length === 0) return;
    this.db.transaction(() => {
      for (const id of ids) this.statements.remove.run(id);
    }).immediate();
    this.checkpointer?.noteCommit();
    for (const id of ids) this.view?.remove(id);
  }

  reschedule(id: string, at: number, failure: Failure): void {
    this.open();
    this.statements.reschedule.run({ id, at, code: failure.code, message: failure.message });
    this.checkpointer?.noteCommit();
    this.view?.reschedule(id, at);
  }

  deadLetter(id: string, failure: Failure, now: number): void {
    this.open();
    this.db.transaction(() => {
      this.statements.bury.run({ id, now, code: failure.code, message: failure.message, status: failure.status ?? null });
      this.statements.remove.run(id);
    }).immediate();
    this.checkpointer?.noteCommit();
    this.view?.remove(id);
  }

  deadLetters(): DeadLetter[] {
    this.open();
    return (this.statements.dead.all() as DeadRow[]).map(toDeadLetter);
  }

  retryDeadLetter(id: string, now: number): OutboxItem {
    this.open();
    this.db.transaction(() => {
      if (this.statements.deadOne.get(id) === undefined) throw new OutboxError('not-found', `no dead letter with id ${id}`);
      this.statements.unbury.run({ id, now });
      this.statements.forget.run(id);
    }).immediate();
    this.checkpointer?.noteCommit();
    const item = this.get(id)!;
    this.viewAdd(item);
    return item;
  }

  dropDeadLetter(id: string): DeadLetter {
    this.open();
    const dropped = this.db.transaction(() => {
      const row = this.statements.deadOne.get(id) as DeadRow | undefined;
      if (row === undefined) throw new OutboxError('not-found', `no dead letter with id ${id}`);
      this.statements.forget.run(id);
      return toDeadLetter(row);
    }).immediate();
    this.checkpointer?.noteCommit();
    return dropped;
  }

  oldest(exclude: ReadonlySet<string> = new Set()): OutboxItem | undefined {
    this.open();
    const row = (this.statements.oldest.all({ limit: exclude.size + 1 }) as Row[]).find((r) => !exclude.has(r.id));
    return row === undefined ? undefined : toItem(row);
  }

  get(id: string): OutboxItem | undefined {
    this.open();
    const row = this.statements.get.get(id) as Row | undefined;
    return row === undefined ? undefined : toItem(row);
  }

  pending(): number {
    this.open();
    return (this.statements.count.get() as { n: number }).n;
  }

  /** One transaction around `fn`: a caught `duplicate-id` of an `enqueue` inside keeps the rest (it throws before writing). */
  atomically<T>(fn: () => T): T {
    this.open();
    if (this.uncommitted !== undefined) {
      // Nested (a savepoint): the outer transaction commits; if this one rolls back, so do its enqueues.
      const mark = this.uncommitted.length;
      try {
        return this.db.transaction(fn)();
      } catch (error) {
        this.uncommitted.length = mark;
        throw error;
      }
    }
    const added: OutboxItem[] = [];
    this.uncommitted = added;
    try {
      const result = this.db.transaction(fn)();
      for (const item of added) this.viewAdd(item);
      return result;
    } finally {
      this.uncommitted = undefined;
    }
  }

  /** Runs `run` once every write committed so far survives a power cut (at once unless `GROUP`). */
  whenDurable(run: () => void): void {
    if (this.walSync === undefined) return run();
    this.walSync.whenDurable(run);
  }

  close(): void {
    if (this.closed) return;
    // The writer's last batch may still need this connection (and its flush) after its worker ended.
    this.writer?.close();
    this.closed = true;
    this.walSync?.close();
    this.checkpointer?.close();
    this.db.close();
  }

  /** Resolves once the store's threads (writer, checkpointer) have exited: after `close`, nothing of it runs later. */
  async exited(): Promise<void> {
    await Promise.all([this.writer?.exited(), this.checkpointer?.exited()]);
  }

  private open(): void {
    if (this.closed) throw new OutboxError('closed', `the outbox ${this.path} is closed`);
  }

  /** The view from the table (at open; again if it ever disagreed with the table). */
  private loadView(): void {
    if (this.view === undefined) return;
    this.view.clear();
    for (const r of this.statements.waiting.iterate() as Iterable<WaitingRow>) this.view.add(r.seq, r.id, r.next_attempt_at, r.depends_on ?? undefined);
  }

  private viewAdd(item: OutboxItem): void {
    this.view?.add(item.seq, item.id, item.nextAttemptAt, item.dependsOn, item);
  }

  /**
   * The writer called an insert a duplicate. Usually the id was waiting or dead already; after its worker failed
   * mid-batch it may be the worker's own commit, written again on this connection: then the view learns it here.
   */
  private viewDuplicate(id: string): void {
    if (this.view === undefined || this.view.has(id)) return;
    const r = this.statements.waitingOne.get(id) as WaitingRow | undefined;
    if (r !== undefined) this.view.add(r.seq, r.id, r.next_attempt_at, r.depends_on ?? undefined);
  }
}

function duplicate(id: string): OutboxError {
  return new OutboxError('duplicate-id', `a write with id ${id} is already in the outbox`);
}
