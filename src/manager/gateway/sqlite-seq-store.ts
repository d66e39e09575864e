// The connector seqs and the event journal in SQLite (DataDir/manager-state.sqlite),
// written by a worker thread so that the fsync of `synchronous = FULL` never
// blocks the manager's event loop (issue 18: one fsync per call event took
// 0.3 ms typically and up to 8 ms on this shared disk, on the popup path).
//
// Group commit: the writes of one event-loop turn go to the worker as one
// batch; while a batch is being committed the next ones gather, so a busy
// manager commits many events per fsync. Acknowledgement still follows
// durability: the gateway acknowledges an event only from `whenDurable`, which
// runs once the worker's transaction holding it has committed. The journal
// rows carry explicit ids (assigned here, in acceptance order), so a batch
// written twice (the worker committed it, then `close` wrote it inline) stays
// one row each and the journal's order is the acceptance order.
//
// A worker that fails or cannot start hands the writing back to this thread's
// connection for good: slower, never less durable. A batch the database
// refuses (a full disk) is retried with back-off, and nothing in it or after
// it is acknowledged meanwhile; `get` answers the durable seq, so a connector
// that reconnects meanwhile resends what was not acknowledged.
import Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { WorkerExits } from '../../platform/worker-exits.ts';
import { SeqStoreError, type JournaledEvent, type SeqStore } from './seq-store.ts';
import { APPEND_SQL, FORGET_SQL, SCHEMA, SET_SQL, WORKER_SOURCE, type Op, type Reply } from './sqlite-seq-schema.ts';

/** Longest a forget waits for a batch to ride with (see `forget`). */
const FORGET_GATHER_MS = 200;

export interface SqliteSeqStoreOptions {
  /** Told when a batch could not be written (it is retried) or the worker failed (writes go inline). */
  onTrouble?: (message: string) => void;
  /** false: every batch is written on the calling thread (the fallback; also the in-thread reference in tests). */
  worker?: boolean;
  /**
   * How long a batch gathers before it goes to the worker (ms; default 0: the rest of the turn). Each batch
   * is a post to the worker and a reply, 40–120 µs of this thread each on a busy 2-core host (issue 18); the
   * manager gathers 10 ms, so under load a batch carries several popups' events. Acknowledgements wait
   * for their batch's commit, so they leave up to that much later; popups never wait for the journal.
   */
  gatherMs?: number;
}

export class SqliteSeqStore implements SeqStore {
  readonly #db: Database.Database;
  readonly #write: (ops: readonly Op[]) => void;
  /** Seqs as accepted (may be ahead of the disk) and as durable. */
  readonly #accepted = new Map<string, number>();
  readonly #durable = new Map<string, number>();
  #nextJournalId: number;
  #gathering: Op[] = [];
  #scheduled = false;
  #inFlight: { batch: number; ops: Op[] } | undefined;
  #batches = 0;
  #committedBatches = 0;
  /** Ops handed over so far, and ops known durable (counted in acceptance order). */
  #opsSubmitted = 0;
  #opsDurable = 0;
  #waiters: { upTo: number; run: () => void }[] = [];
  #worker: Worker | undefined;
  /** The last batch the worker finished (committed or refused), for `close` to wait on. */
  readonly #workerDone = new Int32Array(new SharedArrayBuffer(4));
  #retryMs = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #forgetTimer: NodeJS.Timeout | undefined;
  /** Gathered ops include some that must not wait for the forget timer. */
  #urgent = false;
  #closed = false;
  /** Every journal worker started and not yet exited: what `exited` waits for. */
  readonly #workers = new WorkerExits();

  constructor(readonly path: string, private readonly options: SqliteSeqStoreOptions = {}) {
    try {
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      // FULL: a committed transaction (an acknowledged event) survives a power cut too, as the outbox's writes do.
      this.#db.pragma('synchronous = FULL');
      this.#db.pragma('busy_timeout = 5000');
      for (const sql of SCHEMA) this.#db.exec(sql);
      for (const row of this.#db.prepare<[], { host: string; seq: number }>('SELECT host, seq FROM connector_seq').all()) {
        this.#accepted.set(row.host, row.seq);
        this.#durable.set(row.host, row.seq);
      }
      this.#nextJournalId = (this.#db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM event_journal').get()?.id ?? 0) + 1;
      const set = this.#db.prepare(SET_SQL);
      const append = this.#db.prepare(APPEND_SQL);
      const forget = this.#db.prepare(FORGET_SQL);
      this.#write = this.#db.transaction((ops: readonly Op[]) => {
        for (const op of ops) {
          if (op.k === 's') {
            set.run(op.host, op.seq);
            if (op.id !== undefined) append.run(op.id, op.jhost, op.jkey, op.msg);
          } else for (const key of op.keys) forget.run(key);
        }
      });
    } catch (err) {
      throw new SeqStoreError(`cannot open the connector state database ${path} (${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message})`, { cause: err });
    }
    if (options.worker !== false) this.#startWorker();
  }

  /** Batches committed and writes in them (group commit: many writes per batch under load). */
  stats(): { batches: number; writes: number; worker: boolean } {
    return { batches: this.#committedBatches, writes: this.#opsDurable, worker: this.#worker !== undefined };
  }

  /** The durable seq: what a reconnecting connector may drop from its buffer. */
  get(host: string): number | undefined {
    return this.#durable.get(host);
  }

  set(host: string, seq: number, event?: JournaledEvent): void {
    if (event === undefined && this.#accepted.get(host) === seq) return;
    this.#accepted.set(host, seq);
    const op: Op = event === undefined ? { k: 's', host, seq } : { k: 's', host, seq, id: this.#nextJournalId++, jhost: event.host, jkey: event.key, msg: JSON.stringify(event.message) };
    this.#submit(op);
  }

  /**
   * Forgetting waits for the next batch (at most FORGET_GATHER_MS): nothing waits for it, and every batch
   * wakes the worker and then this thread, about 20–50 µs each on a busy host — under load the forgets
   * ride with the events' batches. Forgetting late is harmless: a manager stopped meanwhile applies
   * the call again at start, and its records' ids are taken already (the recorder skips them).
   */
  forget(keys: readonly string[]): void {
    if (keys.length === 0 || this.#closed) return;
    this.#submit({ k: 'f', keys: [...keys] }, false);
    if (this.#forgetTimer !== undefined || this.#scheduled) return;
    this.#forgetTimer = setTimeout(() => {
      this.#forgetTimer = undefined;
      // Urgent from now: with a batch in flight they go right after it, not with an event that may never come.
      this.#urgent = true;
      this.#pump();
    }, FORGET_GATHER_MS);
    this.#forgetTimer.unref();
  }

  /** Runs `run` once every write made so far is committed (at once when nothing is pending). */
  whenDurable(run: () => void): void {
    if (this.#opsDurable >= this.#opsSubmitted) return run();
    this.#waiters.push({ upTo: this.#opsSubmitted, run });
    // What it waits for may be forgets only, gathered for their timer: an acknowledgement does not wait for it.
    this.#schedule();
  }

  journal(): JournaledEvent[] {
    // At start nothing is pending: a plain read. Otherwise the pending writes go first, and the worker comes back.
    if (this.#inFlight !== undefined || this.#gathering.length > 0) {
      const hadWorker = this.#worker !== undefined;
      this.#drainInline();
      if (hadWorker) this.#startWorker();
    }
    const rows = this.#db.prepare<[], { host: string; key: string; message: string }>('SELECT host, key, message FROM event_journal ORDER BY id').all();
    return rows.map((r) => ({ host: r.host, key: r.key, message: JSON.parse(r.message) as JournaledEvent['message'] }));
  }

  /**
   * Resolves once every journal worker this store started has exited, so that none of its late messages
   * or its exit runs on this thread afterwards (a bench's next run, a test's next case). Meant after `close`.
   */
  exited(): Promise<void> {
    return this.#workers.exited();
  }

  /** Writes everything still pending (waiting for the worker's batch in flight), then closes. */
  close(): void {
    if (this.#closed) return;
    try {
      this.#drainInline();
    } finally {
      this.#closed = true;
      if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
      if (this.#forgetTimer !== undefined) clearTimeout(this.#forgetTimer);
      this.#stopWorker();
      if (this.#db.open) this.#db.close();
    }
  }

  #submit(op: Op, now = true): void {
    if (this.#closed) throw new SeqStoreError('the connector state database is closed');
    this.#gathering.push(op);
    this.#opsSubmitted += 1;
    if (now) this.#schedule();
  }

  /** Something waits for a batch (an event to journal, an acknowledgement): it goes after this turn. */
  #schedule(): void {
    this.#urgent = true;
    if (this.#scheduled) return;
    this.#scheduled = true;
    const go = () => {
      this.#scheduled = false;
      this.#pump();
    };
    // The rest of this turn's events join the batch (and those of the next `gatherMs`).
    const gather = this.options.gatherMs ?? 0;
    if (gather > 0) setTimeout(go, gather);
    else setImmediate(go);
  }

  /** Sends the gathered ops as the next batch, unless one is in flight or waiting for a retry. */
  #pump(): void {
    if (this.#closed || this.#inFlight !== undefined || this.#retryTimer !== undefined || this.#gathering.length === 0) return;
    const ops = this.#gathering;
    this.#gathering = [];
    this.#urgent = false;
    this.#inFlight = { batch: ++this.#batches, ops };
    if (this.#worker !== undefined) {
      this.#worker.postMessage({ batch: this.#inFlight.batch, ops });
      return;
    }
    try {
      this.#write(ops);
    } catch (err) {
      return this.#refused(`${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}`);
    }
    this.#committed();
  }

  #committed(): void {
    const done = this.#inFlight;
    if (done === undefined) return;
    this.#inFlight = undefined;
    this.#retryMs = 0;
    this.#committedBatches += 1;
    this.#opsDurable += done.ops.length;
    for (const op of done.ops) if (op.k === 's') this.#durable.set(op.host, op.seq);
    const ready = this.#waiters.filter((w) => w.upTo <= this.#opsDurable);
    if (ready.length > 0) this.#waiters = this.#waiters.filter((w) => w.upTo > this.#opsDurable);
    for (const w of ready) w.run();
    // Forgets alone wait for their timer or the next event; events wait for their gathering time if it still runs.
    if (this.#urgent && !this.#scheduled) this.#pump();
  }

  /** The database refused the batch: it stays first in line, tried again with back-off (0.1 s doubling to 5 s). */
  #refused(reason: string): void {
    const batch = this.#inFlight;
    if (batch === undefined) return;
    this.#inFlight = undefined;
    this.#gathering = [...batch.ops, ...this.#gathering];
    this.#retryMs = Math.min(5_000, this.#retryMs === 0 ? 100 : this.#retryMs * 2);
    this.options.onTrouble?.(`the connector state could not be written (${reason}); nothing after it is acknowledged; trying again in ${this.#retryMs} ms`);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#pump();
    }, this.#retryMs);
    this.#retryTimer.unref();
  }

  /** For `journal` and `close`: the batch in flight ends first (it may commit twice; ids make that harmless). */
  #drainInline(): void {
    if (this.#closed) return;
    if (this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    const ops = [...(this.#inFlight?.ops ?? []), ...this.#gathering];
    this.#stopWorker();
    if (ops.length === 0) return;
    this.#gathering = [];
    this.#inFlight = { batch: ++this.#batches, ops };
    try {
      this.#write(ops);
    } catch (err) {
      this.#inFlight = undefined;
      this.#gathering = ops;
      throw new SeqStoreError(`the connector state could not be written (${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message})`, { cause: err });
    }
    this.#committed();
  }

  #startWorker(): void {
    let worker: Worker;
    try {
      const module = createRequire(import.meta.url).resolve('better-sqlite3');
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, file: this.path, done: this.#workerDone.buffer, sql: { set: SET_SQL, append: APPEND_SQL, forget: FORGET_SQL } } });
    } catch (err) {
      this.options.onTrouble?.(`the journal worker could not start (${(err as Error).message}); writing on the event loop`);
      return;
    }
    worker.on('message', (reply: Reply) => {
      if (this.#worker !== worker || this.#inFlight?.batch !== reply.batch) return;
      if (reply.ok) this.#committed();
      else this.#refused(`${reply.code ?? 'error'}: ${reply.message}`);
    });
    const failed = (why: string) => {
      if (this.#worker !== worker || this.#closed) return;
      this.options.onTrouble?.(`the journal worker failed (${why}); writing on the event loop from now on`);
      this.#worker = undefined;
      void worker.terminate();
      // Its batch in flight may or may not have committed: written again here (ids keep it one row each).
      const batch = this.#inFlight;
      this.#inFlight = undefined;
      if (batch !== undefined) this.#gathering = [...batch.ops, ...this.#gathering];
      this.#pump();
    };
    worker.on('error', (err) => failed(err.message));
    worker.on('exit', (code) => failed(`exit code ${code}`));
    this.#workers.track(worker);
    // Never keeps the process alive by itself: `close` writes whatever is left.
    worker.unref();
    this.#worker = worker;
  }

  /**
   * Waits (blocking, at most 10 s: only `journal` at start and `close` get here) until the worker has finished
   * the batch it holds, so that no stale batch of it commits after the inline write; then ends it.
   */
  #stopWorker(): void {
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#worker = undefined;
    const batch = this.#inFlight?.batch ?? 0;
    // One batch is in flight at a time: this wakes when it ends; a silent worker is given up after 10 s.
    for (let seen = Atomics.load(this.#workerDone, 0); seen < batch; seen = Atomics.load(this.#workerDone, 0)) {
      if (Atomics.wait(this.#workerDone, 0, seen, 10_000) === 'timed-out') break;
    }
    worker.postMessage('close');
  }
}
