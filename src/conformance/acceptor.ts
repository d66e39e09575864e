// Connections an implementation under test makes to the suite, handed out in
// arrival order: one waiting already, or the next to come within a deadline.
import { CaseFailure } from './case.ts';

export class Acceptor<T> {
  private readonly waiting: T[] = [];
  private readonly takers: ((item: T) => void)[] = [];

  constructor(
    private readonly usable: (item: T) => boolean,
    private readonly what: () => string,
  ) {}

  /** A new connection arrived. */
  offer(item: T): void {
    const taker = this.takers.shift();
    if (taker) taker(item);
    else this.waiting.push(item);
  }

  take(timeoutMs: number, signal?: AbortSignal): Promise<T> {
    for (let item = this.waiting.shift(); item !== undefined; item = this.waiting.shift()) {
      if (this.usable(item)) return Promise.resolve(item);
    }
    return new Promise((resolve, reject) => {
      const taker = (item: T): void => {
        clearTimeout(timer);
        resolve(item);
      };
      const forget = (): void => {
        const i = this.takers.indexOf(taker);
        if (i >= 0) this.takers.splice(i, 1);
      };
      const timer = setTimeout(() => {
        forget();
        reject(new CaseFailure(`no ${this.what()} within ${timeoutMs} ms`));
      }, timeoutMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        forget();
        reject(new CaseFailure(`aborted while waiting for the ${this.what()}`));
      }, { once: true });
      this.takers.push(taker);
    });
  }
}
