// Delivered writes on their way out of the store. A confirmation waits for the outbox's next turn so
// that one transaction forgets every write confirmed since the last (one disk flush for many); with a
// store that forgets off the event loop (`deliveredLater`) the write then stays "being forgotten"
// until the store says it is gone. Either way it must not be sent again meanwhile, and subscribers
// hear "delivered" only once it is forgotten: never for a write that would be sent again.
import type { OutboxEvent, OutboxLogger } from './events.ts';
import type { OutboxStore } from './store.ts';

export interface ConfirmationHooks {
  readonly store: OutboxStore;
  readonly logger: OutboxLogger;
  /** The outbox is closed: nothing is published or kept for later any more. */
  closed(): boolean;
  /** These writes are forgotten: publish them (their dependants may be ready now). */
  forgotten(done: readonly OutboxEvent[]): void;
  /** Forgotten off the loop: another turn may have work now. */
  turn(): void;
  /** The store refused to forget them (a full disk): try again after a pause, unless closed. */
  retryLater(): void;
  /** Something the outbox's idle waiters wait for may have changed. */
  wake(): void;
}

export class Confirmations {
  /** Delivered, waiting to be forgotten in the next turn. */
  readonly #settled = new Map<string, OutboxEvent>();
  /** Delivered and being forgotten off the event loop (the store's `deliveredLater`). */
  readonly #forgetting = new Map<string, OutboxEvent>();
  readonly #forgets = new Set<Promise<void>>();

  constructor(private readonly hooks: ConfirmationHooks) {}

  /** A write was delivered (or found already there): forgotten in the next `flush`. */
  settle(event: OutboxEvent): void {
    this.#settled.set(event.id, event);
  }

  /** Confirmations wait for a turn. */
  get waiting(): boolean {
    return this.#settled.size > 0;
  }

  /** Writes being forgotten off the loop: delivered, their rows maybe still there. */
  get forgetting(): ReadonlyMap<string, OutboxEvent> {
    return this.#forgetting;
  }

  /** Adds every write delivered and not yet forgotten to `ids`: none of them may be sent again. */
  addIdsTo(ids: Set<string>): Set<string> {
    for (const id of this.#settled.keys()) ids.add(id);
    for (const id of this.#forgetting.keys()) ids.add(id);
    return ids;
  }

  /**
   * Forgets what was confirmed since the last flush: in one transaction on the loop, or handed to the
   * store to forget off it. Throws what the store throws; the confirmations then wait for the next flush.
   */
  flush(): void {
    if (this.#settled.size === 0 || this.hooks.closed()) return;
    const done = [...this.#settled.values()];
    this.#settled.clear();
    const { store } = this.hooks;
    if (store.deliveredLater !== undefined) return this.#forgetLater(store.deliveredLater.bind(store), done);
    try {
      store.delivered(done.map((e) => e.id));
    } catch (error) {
      for (const event of done) this.#settled.set(event.id, event);
      throw error;
    }
    this.hooks.forgotten(done);
  }

  /** Resolves once every hand-over to the store has been answered. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#forgets]);
  }

  #forgetLater(deliveredLater: (ids: string[]) => Promise<void>, done: OutboxEvent[]): void {
    for (const event of done) this.#forgetting.set(event.id, event);
    const forget: Promise<void> = deliveredLater(done.map((e) => e.id)).then(
      () => {
        for (const event of done) this.#forgetting.delete(event.id);
        if (this.hooks.closed()) return;
        this.hooks.forgotten(done);
        this.hooks.turn();
      },
      (error: unknown) => {
        // Refused (a full disk): forgotten again in a later turn; a write delivered twice is answered 412, harmless.
        for (const event of done) {
          this.#forgetting.delete(event.id);
          if (!this.hooks.closed()) this.#settled.set(event.id, event);
        }
        this.hooks.logger.error({ reason: (error as Error).message, writes: done.length }, 'delivered writes could not be forgotten yet');
        this.hooks.retryLater();
      },
    ).finally(() => {
      this.#forgets.delete(forget);
      this.hooks.wake();
    });
    this.#forgets.add(forget);
  }
}
