// The keep-alive the manager waits for: one message every
// ConnectionKeepAliveIntervall seconds (the manager closes a connector that
// stays silent for the interval plus 15 s, EVIDENCE.md §4). The manual re-reads
// the interval after every tick; we also re-arm at once when it changes, so a
// shorter interval takes effect without waiting out the old one.

export class KeepaliveTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #active = false;
  #seconds: number;

  constructor(
    seconds: number,
    private readonly tick: () => void,
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

  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.tick();
      // tick() may have stopped us (the link closed) or re-armed us.
      if (this.#active && this.#timer === undefined) this.#arm();
    }, this.#seconds * 1000);
  }
}
