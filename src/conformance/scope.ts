// Everything a case opened, closed when the case ends — pass, fail or
// timeout — so one bad peer never leaves a socket or timer to the next case.

export class Scope {
  private readonly closers: (() => unknown)[] = [];
  private closed = false;

  /** Registers a closer; runs at once when the scope is already closed. */
  add(close: () => unknown): void {
    if (this.closed) void Promise.resolve().then(close).catch(() => undefined);
    else this.closers.push(close);
  }

  /** Runs every closer (last first), each bounded by `perCloserMs`; never throws. */
  async close(perCloserMs = 2_000): Promise<void> {
    this.closed = true;
    for (const c of this.closers.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.resolve().then(c).catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, perCloserMs))),
      ]);
      clearTimeout(timer);
    }
  }
}

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
