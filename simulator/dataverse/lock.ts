// A FIFO async lock: writes run one at a time, as row locks serialise them in Dataverse's SQL
// database, so a `$batch` change set can be rolled back without touching another request's rows.
export class AsyncLock {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => { release = r; });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
