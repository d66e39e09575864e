// Validated refresh schedule: `RefreshTelephoneNumberIntervall` (seconds) and
// `RefreshTelephoneNumberTime` (`H:MM`, minute precision, in an IANA zone).
import { Cron } from 'croner';
import { DirectoryError } from './errors.ts';

export interface ScheduleSettings {
  /** `RefreshTelephoneNumberIntervall`, seconds between incremental refreshes (manual default 1800). */
  readonly intervalSeconds: number;
  /** `RefreshTelephoneNumberTime`, `H:MM` (manual default 4:00). */
  readonly dailyTime: string;
  /** IANA zone the daily time is read in. */
  readonly timeZone: string;
}

export const DEFAULT_SCHEDULE: ScheduleSettings = { intervalSeconds: 1800, dailyTime: '4:00', timeZone: 'Europe/Berlin' };

const MAX_INTERVAL_SECONDS = 7 * 24 * 3600;

export function validateSchedule(settings: ScheduleSettings): ScheduleSettings {
  const { intervalSeconds, dailyTime, timeZone } = settings;
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 1 || intervalSeconds > MAX_INTERVAL_SECONDS) {
    throw new DirectoryError('invalid-schedule', `RefreshTelephoneNumberIntervall: ${String(intervalSeconds)} is not a whole number of seconds between 1 and ${MAX_INTERVAL_SECONDS}`);
  }
  parseDailyTime(dailyTime);
  try {
    new Intl.DateTimeFormat('en', { timeZone }).format(0);
  } catch {
    throw new DirectoryError('invalid-schedule', `time zone "${timeZone}" is not an IANA time zone (e.g. Europe/Berlin)`);
  }
  return settings;
}

export function parseDailyTime(text: string): { hour: number; minute: number } {
  const match = /^\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  const hour = match ? Number(match[1]) : NaN;
  const minute = match ? Number(match[2]) : NaN;
  if (!(hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59)) {
    throw new DirectoryError('invalid-schedule', `RefreshTelephoneNumberTime: "${text}" is not a time of day as H:MM (e.g. 4:00 or 23:22)`);
  }
  return { hour, minute };
}

/**
 * The first instant strictly after `after` whose wall-clock time in the zone is
 * the daily time. croner resolves daylight-saving changes: a time skipped in
 * spring runs once after the gap, a time repeated in autumn runs once, at its
 * first occurrence.
 */
export function nextDailyRun(after: number, dailyTime: string, timeZone: string): number {
  const { hour, minute } = parseDailyTime(dailyTime);
  const cron = new Cron(`${minute} ${hour} * * *`, { timezone: timeZone, paused: true });
  const next = cron.nextRun(new Date(after));
  cron.stop();
  if (next === null) throw new DirectoryError('invalid-schedule', `no next run for ${dailyTime} in ${timeZone}`);
  return next.getTime();
}
