// `NewInitTime`: re-initialise every line once a day at that minute, local
// time (the manual: "einmal am Tag minutengenau"). croner computes the next
// run from the wall clock, so DST changes and clock jumps are its problem,
// and tests drive it with a virtual clock.
import { Cron } from 'croner';
import type { TimeOfDay } from './config/schema.ts';

export class DailySchedule {
  readonly #job: Cron;

  /** `run` must not throw; a run still in progress when the next is due is skipped. */
  constructor(at: TimeOfDay, run: () => Promise<void>) {
    this.#job = new Cron(`0 ${at.minute} ${at.hour} * * *`, { protect: true, unref: false }, async () => {
      await run();
    });
  }

  /** The next run, for the "next re-initialisation at …" log line. */
  nextRun(): Date | null {
    return this.#job.nextRun();
  }

  stop(): void {
    this.#job.stop();
  }
}

export function formatTimeOfDay(at: TimeOfDay): string {
  return `${at.hour}:${String(at.minute).padStart(2, '0')}`;
}
