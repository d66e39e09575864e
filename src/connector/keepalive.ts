// The keep-alive the manager waits for: a message whenever the connector sent
// nothing for ConnectionKeepAliveIntervall seconds (the manager closes a
// connector that stays silent for the interval plus 15 s, spec/vendor-manual.md §4;
// spec/protocol.md: "sent when nothing else was sent for the interval"). The
// manual re-reads the interval after every tick; we also re-arm at once when
// it changes, so a shorter interval takes effect without waiting out the old one.

export class KeepaliveTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #active = false;
  #seconds: number;

  /** `idleMs` says how long ago anything was last sent; without it every interval ticks. */
  constructor(
    seconds: number,
    private readonly tick: () => void,
    private readonly idleMs: () => number = () => Number.POSITIVE_INFINITY,
  ) {
    this.#seconds = seconds;
  }

  get intervalSeconds(): number {
    return this.#seconds;
  }

  get running(): boolean {
    return this.#active;
  }

  start(): void {
    this.#active = true;
    this.#arm();
  }

  stop(): void {
    this.#active = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A new interval; a running timer restarts with it. */
  setInterval(seconds: number): void {
    if (seconds === this.#seconds) return;
    this.#seconds = seconds;
    if (this.#active) this.#arm();
  }

  #arm(delayMs = this.#seconds * 1000): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const interval = this.#seconds * 1000;
      const idle = this.idleMs();
      if (idle < interval) {
        // Something else went out meanwhile: wait until the link has been quiet for a whole interval.
        this.#arm(interval - idle);
        return;
      }
      this.tick();
      // tick() may have stopped us (the link closed) or re-armed us.
      if (this.#active && this.#timer === undefined) this.#arm();
    }, delayMs);
  }
}
