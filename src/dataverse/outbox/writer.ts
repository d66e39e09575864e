// The outbox's routine writes off the event loop (issue 18). A finished call's
// records and the forgetting of delivered writes were SQLite transactions on
// the manager's event loop: about a third of its work per popup, and the
// place where a stalled disk stopped the loop (25–470 ms store calls in one
// bench run in five). Here a worker thread with its own connection to the
// outbox file commits them, `synchronous = FULL`: when a batch's promise
// resolves, its writes survive a power cut. The event loop keeps the reads
// (`due`, `pending`, …): in WAL mode a reader never waits for the writer.
//
// Group commit as in the journal (manager/gateway/sqlite-seq-store.ts): the
// submissions of one turn form a batch; while one batch commits the next ones
// gather. A batch the database refuses (a full disk) rejects every submission
// in it: the caller keeps what it has (the journal keeps the call, the
// delivered write stays excluded and is forgotten again). A worker that fails
// or cannot start hands the writing back to the event loop's connection for
// good (slower, never less durable): its batch in flight is written again
// there, which makes a record it had committed a duplicate, reported as such
// (the recorder counts that as recorded) and a forget a no-op.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { OutboxError } from './errors.ts';
import { BACKGROUND_THREAD_JS } from '../../platform/thread-priority.ts';
import { WorkerExits } from '../../platform/worker-exits.ts';

/** One write of a batch: a row to insert (the store's insert parameters) or the id of a delivered write to forget. */
export type WriterOp = { readonly k: 'e'; readonly row: Readonly<Record<string, string | number | null>> } | { readonly k: 'd'; readonly id: string };

/** Per op: an insert's new seq, or DUPLICATE when its id was taken; FORGOTTEN for a forget. */
export type WriterResult = number[];
export const DUPLICATE = -1;
export const FORGOTTEN = 0;

export interface OutboxWriterOptions {
  readonly file: string;
  readonly sql: { readonly insert: string; readonly remove: string };
  /** Pages of WAL after which the worker's connection checkpoints inline (off the loop). */
  readonly autocheckpointPages: number;
  /** The same batch on the event loop's connection (the fallback): per op as WriterResult. Throws when refused. */
  readonly inline: (ops: readonly WriterOp[]) => WriterResult;
  /** Runs its argument once the inline writes survive a power cut (the store's own `whenDurable`). */
  readonly whenInlineDurable: (run: () => void) => void;
  /** A batch committed (the checkpointer counts commits). */
  readonly onCommit: () => void;
  readonly onTrouble: (message: string) => void;
  /**
   * How long a batch gathers before it goes to the worker (ms; default 0: the rest of the turn). Each batch
   * is a post to the worker and a reply, 40–120 µs of the event loop each on a busy 2-core host; records
   * and forgets are not urgent, so the manager gathers 25 ms and a batch carries several calls' records.
   */
  readonly gatherMs?: number;
}

// Plain CommonJS so that it runs in a worker without a TypeScript loader (tsx, vitest). The SQL is the store's, passed in.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
${BACKGROUND_THREAD_JS}
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = ' + workerData.pages);
const insert = db.prepare(workerData.sql.insert), remove = db.prepare(workerData.sql.remove);
const write = db.transaction((ops) => {
  const seqs = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.k === 'd') { remove.run(op.id); seqs.push(${FORGOTTEN}); continue; }
    try { const r = insert.run(op.row); seqs.push(r.changes === 0 ? ${DUPLICATE} : Number(r.lastInsertRowid)); }
    catch (error) { if (error && error.code === 'SQLITE_CONSTRAINT_UNIQUE') seqs.push(${DUPLICATE}); else throw error; }
  }
  return seqs;
});
const done = new Int32Array(workerData.done);
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  let reply;
  try { reply = { batch: m.batch, ok: true, seqs: write(m.ops) }; }
  catch (error) { reply = { batch: m.batch, ok: false, message: String(error && error.message), code: error && error.code }; }
  Atomics.store(done, 0, m.batch);
  Atomics.notify(done, 0);
  parentPort.postMessage(reply);
});
`;

type Reply = { batch: number; ok: true; seqs: WriterResult } | { batch: number; ok: false; message: string; code?: string };

interface Submission {
  readonly ops: readonly WriterOp[];
  readonly resolve: (result: WriterResult) => void;
  readonly reject: (error: OutboxError) => void;
}

interface Batch {
  readonly batch: number;
  readonly subs: readonly Submission[];
  readonly ops: readonly WriterOp[];
}

export class OutboxWriter {
  #worker: Worker | undefined;
  readonly #done = new Int32Array(new SharedArrayBuffer(4));
  #gathering: Submission[] = [];
  #inFlight: Batch | undefined;
  #batches = 0;
  #scheduled = false;
  #closed = false;
  readonly #workers = new WorkerExits();
  /** Batches committed (diagnostics, tests). */
  committed = 0;

  constructor(private readonly o: OutboxWriterOptions) {
    this.#start();
  }

  /** Whether the writes run in the worker (false after a fallback). */
  get offLoop(): boolean {
    return this.#worker !== undefined;
  }

  /** Commits `ops` with the rest of this turn's submissions; resolves once they survive a power cut. */
  submit(ops: readonly WriterOp[]): Promise<WriterResult> {
    if (this.#closed) return Promise.reject(new OutboxError('closed', 'the outbox is closed'));
    return new Promise((resolve, reject) => {
      this.#gathering.push({ ops, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      const go = () => {
        this.#scheduled = false;
        this.#pump();
      };
      if ((this.o.gatherMs ?? 0) > 0) setTimeout(go, this.o.gatherMs);
      else setImmediate(go);
    });
  }

  /** Writes what is pending on this thread (after the worker's batch in flight has ended) and stops the worker. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const inFlight = this.#inFlight;
    this.#stop();
    this.#inFlight = undefined;
    const subs = [...(inFlight?.subs ?? []), ...this.#gathering.splice(0)];
    if (subs.length > 0) this.#inline({ batch: ++this.#batches, subs, ops: subs.flatMap((s) => s.ops) });
  }

  /** Resolves once the writer's worker has exited (after `close`: its last reply and exit are behind). */
  exited(): Promise<void> {
    return this.#workers.exited();
  }

  #pump(): void {
    if (this.#closed || this.#inFlight !== undefined || this.#gathering.length === 0) return;
    const subs = this.#gathering.splice(0);
    const batch: Batch = { batch: ++this.#batches, subs, ops: subs.flatMap((s) => s.ops) };
    if (this.#worker === undefined) return this.#inline(batch);
    this.#inFlight = batch;
    // Someone awaits this batch: the process stays up for it (an idle worker never keeps it up).
    this.#worker.ref();
    this.#worker.postMessage({ batch: batch.batch, ops: batch.ops });
  }

  #settle(batch: Batch, reply: Reply): void {
    if (!reply.ok) {
      const error = new OutboxError('store-unavailable', `the outbox could not be written (${reply.code ?? 'error'}: ${reply.message})`);
      this.o.onTrouble(`${error.message}; ${batch.ops.length} writes handed back`);
      for (const s of batch.subs) s.reject(error);
      return;
    }
    this.committed += 1;
    this.o.onCommit();
    let at = 0;
    for (const s of batch.subs) {
      s.resolve(reply.seqs.slice(at, at + s.ops.length));
      at += s.ops.length;
    }
  }

  /** A batch on the event loop's connection, confirmed once the store's flush made it power-cut safe. */
  #inline(batch: Batch): void {
    let reply: Reply;
    try {
      reply = { batch: batch.batch, ok: true, seqs: this.o.inline(batch.ops) };
    } catch (err) {
      reply = { batch: batch.batch, ok: false, message: (err as Error).message, ...((err as { code?: string }).code === undefined ? {} : { code: (err as { code: string }).code }) };
    }
    if (!reply.ok) return this.#settle(batch, reply);
    this.o.whenInlineDurable(() => this.#settle(batch, reply));
  }

  #start(): void {
    let worker: Worker;
    try {
      const module = createRequire(import.meta.url).resolve('better-sqlite3');
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, file: this.o.file, done: this.#done.buffer, pages: this.o.autocheckpointPages, sql: this.o.sql } });
    } catch (err) {
      this.o.onTrouble(`the outbox writer could not start (${(err as Error).message}); writing on the event loop`);
      return;
    }
    worker.on('message', (reply: Reply) => {
      const batch = this.#inFlight;
      if (this.#worker !== worker || batch?.batch !== reply.batch) return;
      this.#inFlight = undefined;
      this.#settle(batch, reply);
      // What gathered meanwhile goes now, unless its gathering time is still running.
      if (!this.#scheduled) this.#pump();
      if (this.#inFlight === undefined) worker.unref();
    });
    const failed = (why: string) => {
      if (this.#worker !== worker || this.#closed) return;
      this.o.onTrouble(`the outbox writer failed (${why}); writing on the event loop from now on`);
      this.#worker = undefined;
      void worker.terminate();
      const batch = this.#inFlight;
      this.#inFlight = undefined;
      if (batch !== undefined) this.#inline(batch);
      this.#pump();
    };
    worker.on('error', (err) => failed(err.message));
    worker.on('exit', (code) => failed(`exit code ${code}`));
    this.#workers.track(worker);
    // Idle, it never keeps the process alive (`close` writes whatever is left); with a batch in flight it does.
    worker.unref();
    this.#worker = worker;
  }

  /** Waits (blocking, at most 10 s; only `close` gets here) for the worker's batch in flight to end, then ends it. */
  #stop(): void {
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#worker = undefined;
    const batch = this.#inFlight?.batch ?? 0;
    for (let seen = Atomics.load(this.#done, 0); seen < batch; seen = Atomics.load(this.#done, 0)) {
      if (Atomics.wait(this.#done, 0, seen, 10_000) === 'timed-out') break;
    }
    worker.postMessage('close');
  }
}
