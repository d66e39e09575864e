// Group commit for the outbox's `synchronous = GROUP` (issue 18). The store's
// connection commits at NORMAL — a commit writes its WAL frames, no fsync,
// and already survives a killed process — and durability against a power cut
// comes from an fdatasync of the WAL file in libuv's thread pool, never on the
// event loop. `whenDurable(run)` runs `run` after an fdatasync that started
// after every commit made so far; commits that come while one runs share the
// next one, so a busy manager pays one flush for many writes. That is what
// FULL gives each commit (WAL frames flushed before the caller moves on),
// confirmed asynchronously instead. SQLite syncs the WAL itself before each
// checkpoint and when the WAL restarts, as in every mode.
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';

export class WalSync {
  #fd: number | undefined;
  /** Waiting for the flush that runs now; undefined when none runs. */
  #running: (() => void)[] | undefined;
  /** Waiting for the next flush (they committed after the running one started). */
  #next: (() => void)[] = [];
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  /** Flushes done (one per group of commits). */
  flushes = 0;

  constructor(private readonly walPath: string, private readonly onTrouble: (message: string) => void = () => undefined) {}

  whenDurable(run: () => void): void {
    if (this.#closed) return run();
    this.#next.push(run);
    if (this.#running === undefined && this.#retry === undefined) this.#flush();
  }

  /** Flushes what is still waiting, on this thread (the store is closing), and runs it. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    const waiting = [...(this.#running ?? []), ...this.#next.splice(0)];
    this.#running = undefined;
    try {
      if (waiting.length > 0) fdatasyncSync(this.#open());
    } catch (err) {
      this.onTrouble(`the outbox's WAL could not be flushed at close (${(err as Error).message}); its last writes are safe from a killed process, not from a power cut`);
    }
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    for (const run of waiting) run();
  }

  #open(): number {
    // Opened once a commit made the WAL exist; SQLite keeps the file (and so this inode) while its connection lives.
    this.#fd ??= openSync(this.walPath, 'r+');
    return this.#fd;
  }

  #flush(): void {
    const batch = this.#next.splice(0);
    let fd: number;
    try {
      fd = this.#open();
    } catch (err) {
      return this.#failed(batch, err as Error);
    }
    this.#running = batch;
    fdatasync(fd, (err) => {
      // After close, `close` ran them (its own flush came after this one began).
      if (this.#closed) return;
      this.#running = undefined;
      if (err !== null) return this.#failed(batch, err);
      this.flushes += 1;
      for (const run of batch) run();
      if (this.#next.length > 0) this.#flush();
    });
  }

  /** Nothing in a failed flush counts as durable: it is tried again in a second, with what came since. */
  #failed(batch: (() => void)[], err: Error): void {
    this.#next.unshift(...batch);
    this.onTrouble(`the outbox's WAL could not be flushed (${err.message}); trying again in 1 s`);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#next.length > 0) this.#flush();
    }, 1_000);
    this.#retry.unref();
  }
}
