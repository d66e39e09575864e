// The manual's listener self-test: every ListenerTestIntervall seconds the
// manager connects to its own listeners and rebuilds one that does not
// answer. ListenerTestLog = 1 logs every test, not only failures. The
// interval is re-read after each run (a live key; 0 switches the test off).
import type { Logger } from 'pino';

export interface SelfTestTarget {
  name: string;
  test(): Promise<boolean>;
  rebuild(): Promise<void>;
}

export interface ListenerSelfTestOptions {
  targets: () => readonly SelfTestTarget[];
  intervalSeconds: () => number;
  logEveryTest: () => boolean;
  logger: Logger;
  /** Interval in ms instead of seconds (tests). */
  unitMs?: number;
}

export class ListenerSelfTest {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = true;
  #running: Promise<void> | undefined;
  runs = 0;
  rebuilds = 0;

  constructor(private readonly options: ListenerSelfTestOptions) {}

  start(): void {
    this.#stopped = false;
    this.#arm();
  }

  /** Re-arms after the interval changed. */
  reschedule(): void {
    if (this.#stopped) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#arm();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One round over every listener (also what the timer runs). */
  async runOnce(): Promise<void> {
    const { logger } = this.options;
    for (const target of this.options.targets()) {
      let ok = false;
      try {
        ok = await target.test();
      } catch (err) {
        logger.error({ listener: target.name, err }, 'listener self-test could not run');
      }
      if (ok) {
        if (this.options.logEveryTest()) logger.info({ listener: target.name }, 'listener self-test passed');
        continue;
      }
      logger.error({ listener: target.name }, 'listener self-test failed; rebuilding the listener');
      this.rebuilds += 1;
      try {
        await target.rebuild();
        const again = await target.test();
        logger[again ? 'warn' : 'error']({ listener: target.name }, again ? 'listener rebuilt and answering again' : 'listener rebuilt but still not answering');
      } catch (err) {
        logger.error({ listener: target.name, err }, 'listener could not be rebuilt');
      }
    }
    this.runs += 1;
  }

  #arm(): void {
    const seconds = this.options.intervalSeconds();
    this.#timer = undefined;
    if (this.#stopped || seconds <= 0) return;
    this.#timer = setTimeout(() => {
      this.#running = this.runOnce().finally(() => {
        this.#running = undefined;
        this.#arm();
      });
    }, seconds * (this.options.unitMs ?? 1000));
    this.#timer.unref();
  }
}
