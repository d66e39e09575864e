// Welcomes sent again, a slice per event-loop turn. A connector of 200 lines
// going or coming changes the welcome of 200 users at once, an entitlement
// re-read may touch every client; each welcome is a socket write, and on
// loopback under load one costs 0.2–0.9 ms (issue 18 measured 200 of them
// holding the loop 40–220 ms at 10,000 clients, popups waiting behind). So
// connections to check are queued, and each turn checks at most `checks` of
// them and sends at most `sends` welcomes, then yields to the popups. A
// connection queued twice is checked once; the check reads the state of its
// own turn, so the last change wins and nothing is sent for nothing.

export interface WelcomeQueueLimits {
  /** Welcomes sent in one turn at most. */
  sends: number;
  /** Connections checked (a fingerprint each) in one turn at most. */
  checks: number;
}

export const WELCOME_QUEUE_LIMITS: WelcomeQueueLimits = { sends: 16, checks: 250 };

export class WelcomeQueue<C> {
  readonly #pending = new Set<C>();
  #scheduled = false;
  #stopped = false;
  /** Turns that checked something (for tests and diagnostics). */
  turns = 0;

  /** `check(c)` compares what `c` was welcomed with to now and sends a new welcome when it differs: true when it sent one. */
  constructor(private readonly check: (c: C) => boolean, private readonly onError: (err: unknown) => void, private readonly limits: WelcomeQueueLimits = WELCOME_QUEUE_LIMITS) {}

  add(c: C): void {
    if (this.#stopped) return;
    this.#pending.add(c);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  get pending(): number {
    return this.#pending.size;
  }

  stop(): void {
    this.#stopped = true;
    this.#pending.clear();
  }

  #drain(): void {
    this.#scheduled = false;
    if (this.#pending.size === 0) return;
    this.turns += 1;
    let sent = 0;
    let checked = 0;
    for (const c of this.#pending) {
      if (sent >= this.limits.sends || checked >= this.limits.checks) break;
      this.#pending.delete(c);
      checked += 1;
      try {
        if (this.check(c)) sent += 1;
      } catch (err) {
        this.onError(err); // one connection's trouble must not stop the others' welcomes
      }
    }
    if (this.#pending.size > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#drain());
    }
  }
}
