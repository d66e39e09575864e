// WAL checkpoints off the event loop. SQLite folds the WAL back into the
// database inside whichever commit pushes it past `wal_autocheckpoint` pages:
// the store's enqueue or delivered call then copies pages and fsyncs the
// database file. Measured in bench/manager.ts and a backlog drain, that was
// the longest single store call on the manager's event loop (5–10 ms against
// 0.1–0.3 ms for an ordinary commit). Here a second connection in a worker
// thread runs PASSIVE checkpoints (never blocking, never waiting for a lock)
// after every `everyCommits` commits, and again shortly after one that commits
// overtook (it ran beside them). When a checkpoint catches up, the next commit
// restarts the WAL from its beginning, so the store's connection does no
// checkpoint work. Its own autocheckpoint stays at SQLite's 1,000 pages as the
// safety net: it is reached only when commits come faster than the worker's
// answers can be heard (a synchronous loop of commits, or a flat-out drain),
// and then it costs what it always did. A worker that fails hands the job
// back to that autocheckpoint for good. Commits, and so durability, are
// untouched: a checkpoint only copies pages that are already committed.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { BACKGROUND_THREAD_JS } from '../../platform/thread-priority.ts';
import { WorkerExits } from '../../platform/worker-exits.ts';

/** Pages (4 KiB) of WAL after which the store's own connection checkpoints anyway: SQLite's default (measured trade-off, see docs). */
export const SAFETY_NET_PAGES = 1_000;
/** SQLite's default, restored when the worker fails. */
export const INLINE_PAGES = 1_000;
/** Pause before catching up with commits that ran beside a checkpoint (bounds checkpoints to ~40/s). */
const CATCH_UP_MS = 25;

// Plain CommonJS so it runs in a worker without a TypeScript loader (tsx, vitest).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
${BACKGROUND_THREAD_JS}
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = ' + workerData.synchronous);
parentPort.on('message', (message) => {
  if (message === 'close') { db.close(); parentPort.close(); return; }
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, busy: result.busy, log: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String(error && error.message) });
  }
});
`;

type Reply = { ok: true; busy: number; log: number; checkpointed: number } | { ok: false; message: string };

export interface CheckpointerOptions {
  readonly file: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  /** Commits between two checkpoint requests (default 50: a few hundred pages, well under SAFETY_NET_PAGES). */
  readonly everyCommits?: number;
  /** Called once when the worker failed and SQLite's inline autocheckpoint took over again. */
  readonly onFallback: (reason: string) => void;
}

export class WalCheckpointer {
  private worker: Worker | undefined;
  private busy = false;
  private catchUp: ReturnType<typeof setTimeout> | undefined;
  private commits = 0;
  private stopped = false;
  private readonly workers = new WorkerExits();
  private readonly everyCommits: number;
  private waiters: (() => void)[] = [];
  /** Checkpoints the worker completed (diagnostics, tests). */
  checkpoints = 0;
  /** Why the worker was given up, if it was. */
  failure: string | undefined;

  constructor(private readonly options: CheckpointerOptions) {
    this.everyCommits = Math.max(1, Math.floor(options.everyCommits ?? 50));
  }

  /** The store committed a transaction; cheap unless a checkpoint is due. */
  noteCommit(): void {
    if (this.stopped) return;
    this.commits += 1;
    if (this.commits >= this.everyCommits && !this.busy) this.request();
  }

  /** Resolves when no checkpoint is running (tests, orderly shutdown). */
  idle(): Promise<void> {
    if (!this.busy && this.catchUp === undefined) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once the checkpoint worker has exited (after `close`). */
  exited(): Promise<void> {
    return this.workers.exited();
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.busy = false;
    clearTimeout(this.catchUp);
    this.catchUp = undefined;
    this.worker?.postMessage('close');
    this.worker?.unref();
    this.wake();
  }

  private request(): void {
    clearTimeout(this.catchUp);
    this.catchUp = undefined;
    this.commits = 0;
    this.busy = true;
    if (this.worker !== undefined) return this.worker.postMessage('checkpoint');
    // Starting a worker costs milliseconds of this thread: not inside the commit (or burst of commits) that asked.
    setImmediate(() => {
      if (this.stopped) return;
      try {
        this.worker = this.spawn();
      } catch (error) {
        return this.giveUp(`cannot start the checkpoint worker: ${(error as Error).message}`);
      }
      this.worker.postMessage('checkpoint');
    });
  }

  private spawn(): Worker {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, file: this.options.file, synchronous: this.options.synchronous } });
    worker.on('message', (reply: Reply) => {
      this.busy = false;
      if (!reply.ok) return this.giveUp(`checkpoint failed: ${reply.message}`);
      this.checkpoints += 1;
      if (this.stopped) return this.wake();
      if (this.commits >= this.everyCommits) return this.request();
      // Commits made since the request may lie beyond what it copied; until they are copied the WAL cannot restart.
      if (this.commits > 0) {
        this.catchUp = setTimeout(() => this.request(), CATCH_UP_MS);
        this.catchUp.unref();
        return;
      }
      this.wake();
    });
    worker.on('error', (error) => this.giveUp(`checkpoint worker failed: ${error.message}`));
    worker.on('exit', (code) => {
      if (!this.stopped) this.giveUp(`checkpoint worker exited with code ${code}`);
    });
    this.workers.track(worker);
    // Never keeps the process alive: a checkpoint left undone is done by the next one, or by SQLite on open.
    // After the listeners: adding a 'message' listener refs the port again.
    worker.unref();
    return worker;
  }

  private giveUp(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.busy = false;
    clearTimeout(this.catchUp);
    this.catchUp = undefined;
    this.failure = reason;
    void this.worker?.terminate();
    this.options.onFallback(reason);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
