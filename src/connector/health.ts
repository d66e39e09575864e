// Keeping the provider usable: when it asks for re-initialisation (TAPI's
// REINIT, LINE_CLOSE) or the phone system went away and did not come back by
// itself, call `reinitialize()` with back-off until it succeeds. One recovery
// runs at a time; a `providerUp` in between cancels it.
import type { Logger } from 'pino';
import { Backoff, REOPEN_BACKOFF } from './backoff.ts';
import type { LineProvider } from './line-provider.ts';

export interface HealthOptions {
  provider: LineProvider;
  log: Logger;
  random: () => number;
  backoff?: { baseMs: number; capMs: number };
  /** Called after a successful re-initialisation: re-read lines, tell the manager. */
  recovered: () => void;
}

export class ProviderHealth {
  readonly #backoff: Backoff;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #stopped = false;
  #reason = '';

  constructor(private readonly options: HealthOptions) {
    this.#backoff = new Backoff({ ...(options.backoff ?? REOPEN_BACKOFF), random: options.random });
  }

  get recovering(): boolean {
    return this.#running;
  }

  /**
   * Starts recovery. `immediately` for an explicit REINIT request; otherwise
   * the first attempt waits one back-off step, giving the provider a chance
   * to come back by itself.
   */
  recover(reason: string, immediately: boolean): void {
    if (this.#stopped) return;
    this.#reason = reason;
    if (this.#running) return;
    this.#running = true;
    this.#backoff.reset();
    if (immediately) void this.#attempt();
    else this.#schedule();
  }

  /** The provider is fine again (providerUp, or a reinitialize command succeeded). */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running = false;
  }

  stop(): void {
    this.#stopped = true;
    this.cancel();
  }

  #schedule(): void {
    const delay = this.#backoff.next();
    this.options.log.info({ delayMs: delay, attempt: this.#backoff.attempt, reason: this.#reason }, `re-initialising the lines in ${delay} ms`);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#attempt();
    }, delay);
  }

  async #attempt(): Promise<void> {
    if (!this.#running || this.#stopped) return;
    try {
      await this.options.provider.reinitialize();
    } catch (err) {
      if (!this.#running || this.#stopped) return;
      this.options.log.warn({ code: (err as { code?: string }).code, reason: this.#reason }, `re-initialisation failed: ${(err as Error).message}`);
      this.#schedule();
      return;
    }
    if (!this.#running || this.#stopped) return;
    this.#running = false;
    this.options.log.info({ reason: this.#reason }, 'lines re-initialised');
    this.options.recovered();
  }
}
