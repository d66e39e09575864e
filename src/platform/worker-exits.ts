// The worker threads an owner started, until they have exited. An owner whose `close` must stay
// synchronous (it writes what is left on the calling thread) only tells its worker to end; the
// worker's last reply and its 'exit' still arrive on this thread afterwards. `exited` lets whoever
// closed it wait for that, so nothing of the closed owner runs later (a bench's next run, a
// restart in the same process, a test's next case).
import type { Worker } from 'node:worker_threads';

/** How long `exited` waits for a worker told to end before it terminates it. */
export const WORKER_EXIT_GRACE_MS = 10_000;

export class WorkerExits {
  readonly #running = new Map<Worker, Promise<void>>();

  /** Watches `worker` from now until its 'exit'. */
  track(worker: Worker): void {
    const exit = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.#running.set(worker, exit);
    void exit.then(() => this.#running.delete(worker));
  }

  /** Workers tracked and not yet exited. */
  get running(): number {
    return this.#running.size;
  }

  /**
   * Resolves once every worker tracked so far has exited (at once when none runs). One that has not
   * exited within `graceMs` is terminated: a shutdown never hangs on a stuck thread.
   */
  async exited(graceMs = WORKER_EXIT_GRACE_MS): Promise<void> {
    const waiting = [...this.#running];
    if (waiting.length === 0) return;
    // The owners unref their workers (an idle one never keeps the process alive); waited for, it must, or the
    // process would end here, with whatever its closer meant to do next left undone.
    for (const [worker] of waiting) worker.ref();
    const timer = setTimeout(() => {
      for (const [worker] of waiting) void worker.terminate();
    }, graceMs);
    timer.unref();
    try {
      await Promise.all(waiting.map(([, exit]) => exit));
    } finally {
      clearTimeout(timer);
    }
  }
}
