// Bounded waits with a message that says what did not happen.

/** Polls `probe` (for state that announces no event, e.g. records in the CRM) until true or the deadline. */
export async function until(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, everyMs = 25): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A log of events that tests can also wait on. */
export class Waitable<T> {
  readonly items: T[] = [];
  private waiters: { test: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) {
      if (!w.test(item)) continue;
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(item);
    }
  }

  /** The first item, logged already or still to come, that matches. */
  wait(test: (item: T) => boolean, what: string, timeoutMs = 5_000): Promise<T> {
    const seen = this.items.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.items.length} events logged)`));
      }, timeoutMs);
      const waiter = { test, resolve: (item: T) => { clearTimeout(timer); resolve(item); } };
      this.waiters.push(waiter);
    });
  }

  filter<S extends T>(test: (item: T) => item is S): S[];
  filter(test: (item: T) => boolean): T[];
  filter(test: (item: T) => boolean): T[] {
    return this.items.filter(test);
  }
}
