// When the directory refreshes: incrementally every RefreshTelephoneNumberIntervall
// seconds (counted from the end of the previous refresh, so runs never pile
// up), completely once a day at RefreshTelephoneNumberTime, and on demand.
// One refresh at a time: a refresh that falls due while another runs waits,
// and waiting requests of one kind coalesce into one run; a waiting full
// rebuild absorbs waiting incremental ones. Settings are read again before
// each timer is armed, as the manual says ("read after every run of the timer").
import { MAX_TIMER_MS, type Clock } from './clock.ts';
import { DirectoryError } from './errors.ts';
import type { RefreshKind } from './directory.ts';
import { nextDailyRun, validateSchedule, type ScheduleSettings } from './schedule.ts';

export interface RefreshSchedulerOptions {
  readonly clock: Clock;
  readonly refresh: (kind: RefreshKind) => Promise<unknown>;
  readonly settings: () => ScheduleSettings;
  /** Scheduled runs have no caller to tell: their failures come here. */
  readonly onError?: (kind: RefreshKind, error: unknown) => void;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class RefreshScheduler {
  private readonly pending = new Map<RefreshKind, Waiter[]>();
  private running: Promise<void> | undefined;
  private intervalTimer: unknown;
  private dailyTimer: unknown;
  private started = false;
  private settingsInUse: ScheduleSettings;

  constructor(private readonly options: RefreshSchedulerOptions) {
    this.settingsInUse = validateSchedule(options.settings());
  }

  /** Arms the timers; `initial` runs a refresh right away (full without a snapshot, else incremental). */
  start(initial?: RefreshKind): void {
    if (this.started) return;
    this.started = true;
    this.armDaily(this.options.clock.now());
    if (initial) this.enqueue(initial, undefined);
    else this.armInterval();
  }

  /** Disarms the timers and waits for a running refresh; waiting requests are rejected. */
  async stop(): Promise<void> {
    this.started = false;
    this.options.clock.clearTimeout(this.intervalTimer);
    this.options.clock.clearTimeout(this.dailyTimer);
    for (const waiters of this.pending.values()) for (const w of waiters) w.reject(new DirectoryError('stopped', 'the phone directory scheduler was stopped before the refresh ran'));
    this.pending.clear();
    await this.running;
  }

  /** "Refresh phone numbers now": resolves when a refresh that began after the request has finished. */
  requestNow(kind: RefreshKind = 'incremental'): Promise<void> {
    return new Promise((resolve, reject) => this.enqueue(kind, { resolve, reject }));
  }

  /** Resolves when nothing runs and nothing waits (tests step a virtual clock with it). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  private enqueue(kind: RefreshKind, waiter: Waiter | undefined): void {
    const waiters = this.pending.get(kind) ?? [];
    if (waiter) waiters.push(waiter);
    this.pending.set(kind, waiters);
    this.pump();
  }

  private pump(): void {
    if (this.running || this.pending.size === 0) return;
    const kind: RefreshKind = this.pending.has('full') ? 'full' : 'incremental';
    const waiters = [...(this.pending.get(kind) ?? [])];
    this.pending.delete(kind);
    if (kind === 'full') {
      waiters.push(...(this.pending.get('incremental') ?? []));
      this.pending.delete('incremental');
    }
    this.options.clock.clearTimeout(this.intervalTimer);
    this.running = this.options.refresh(kind).then(
      () => waiters.forEach((w) => w.resolve()),
      (error: unknown) => {
        if (waiters.length === 0) this.options.onError?.(kind, error);
        waiters.forEach((w) => w.reject(error));
      },
    ).finally(() => {
      this.running = undefined;
      if (this.started) this.armInterval();
      this.pump();
    });
  }

  private currentSettings(): ScheduleSettings {
    try {
      this.settingsInUse = validateSchedule(this.options.settings());
    } catch (error) {
      // Keep the last good schedule rather than stop refreshing.
      this.options.onError?.('incremental', error);
    }
    return this.settingsInUse;
  }

  private armInterval(): void {
    this.options.clock.clearTimeout(this.intervalTimer);
    const ms = Math.min(this.currentSettings().intervalSeconds * 1000, MAX_TIMER_MS);
    this.intervalTimer = this.options.clock.setTimeout(() => {
      if (this.started) this.enqueue('incremental', undefined);
    }, ms);
  }

  private armDaily(after: number): void {
    const { dailyTime, timeZone } = this.currentSettings();
    this.armDailyAt(nextDailyRun(after, dailyTime, timeZone));
  }

  private armDailyAt(due: number): void {
    // Long waits are re-armed in steps: a single Node timer cannot wait past ~24.8 days.
    const wait = Math.max(0, Math.min(due - this.options.clock.now(), MAX_TIMER_MS));
    this.dailyTimer = this.options.clock.setTimeout(() => {
      if (!this.started) return;
      const now = this.options.clock.now();
      if (now < due) return this.armDailyAt(due);
      this.enqueue('full', undefined);
      // Counted from the scheduled instant, so a timer that fires late never
      // repeats a day; after a long suspension missed days are not caught up.
      this.armDaily(Math.max(due, now));
    }, wait);
  }
}
