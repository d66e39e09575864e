// Call events that reach the user side before its first successful read of
// the line entitlements wait here, in order. Routed against the empty table
// they would reach nobody, and a call that ended meanwhile would be kept as
// missed for nobody and recorded without its agent. A restarted manager meets
// exactly that: the connector replays what it buffered as soon as the TAPI
// port opens, which is before the user side has read the CRM.
// Bounded: past the limit the oldest event is routed at once, so memory stays
// flat even when the CRM cannot be read for a long time.

export const HELD_EVENTS_LIMIT = 10_000;

export class HeldEvents<T> {
  #held: T[] = [];
  #open = false;
  #overflowed = 0;

  constructor(
    private readonly route: (event: T) => void,
    private readonly limit = HELD_EVENTS_LIMIT,
  ) {}

  /** True once the first read has been released; events then pass straight through. */
  get open(): boolean {
    return this.#open;
  }

  get size(): number {
    return this.#held.length;
  }

  /** Events routed early because the hold was full. */
  get overflowed(): number {
    return this.#overflowed;
  }

  accept(event: T): void {
    if (this.#open) {
      this.route(event);
      return;
    }
    this.#held.push(event);
    if (this.#held.length > this.limit) {
      this.#overflowed += 1;
      this.route(this.#held.shift() as T);
    }
  }

  /** Opens the hold for good and routes what waited, oldest first; returns how many. */
  release(): number {
    if (this.#open) return 0;
    this.#open = true;
    const held = this.#held;
    this.#held = [];
    for (const event of held) this.route(event);
    return held.length;
  }

  /** Drops what waits (the manager is stopping); returns how many. */
  discard(): number {
    const n = this.#held.length;
    this.#held = [];
    return n;
  }
}
