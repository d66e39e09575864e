// Zod building blocks for the keys both services share, so the manager and the
// connector say the same sentence about the same mistake. Messages name what is
// allowed; the key name is added by `describeIssues`.
import { z } from 'zod';
import { isLogLevel } from '../logging/levels.ts';

/** The manual's 0/1 switches (booleans accepted too). */
export const flag = z.union([z.literal(0), z.literal(1), z.boolean()], { error: 'must be 0 or 1' }).transform((v) => v === 1 || v === true);

export const intIn = (min: number, max: number, what: string) =>
  z.number({ error: `must be ${what}` }).refine((n) => Number.isInteger(n) && n >= min && n <= max, { error: `must be ${what}` });

export const nonEmpty = (what: string) => z.string({ error: `must be ${what}` }).trim().min(1, { error: `must be ${what}` });

/** `H:MM` or `HH:MM` as the manual writes times of day (`NewInitTime`, `RefreshTelephoneNumberTime`). */
export const TIME_OF_DAY = /^([01]?\d|2[0-3]):([0-5]\d)$/;

export interface TimeOfDay {
  hour: number;
  minute: number;
}

/** A time of day kept as the text the operator wrote, e.g. `4:00`. */
export const timeOfDayText = z
  .string({ error: 'must be a time of day H:MM, e.g. "4:00" or "18:32"' })
  .regex(TIME_OF_DAY, { error: 'must be a time of day H:MM from 0:00 to 23:59, e.g. "4:00" or "18:32"' });

/** A time of day parsed into hour and minute. */
export const timeOfDay = timeOfDayText.transform((text): TimeOfDay => {
  const [h, m] = text.split(':');
  return { hour: Number(h), minute: Number(m) };
});

/** `LogArt`: `Event` (system log) or `File` (`LogFile`), any case. */
export const logArt = z
  .string({ error: 'must be Event or File' })
  .transform((v) => v.trim().toLowerCase())
  .refine((v) => v === 'event' || v === 'file', { error: 'must be Event or File' })
  .transform((v) => (v === 'file' ? ('File' as const) : ('Event' as const)));

/** `LogLevel`: the manual's 0, 1, 3 or 6. */
export const logLevel = z.unknown().refine(isLogLevel, { error: 'must be 0 (errors), 1 (+warnings), 3 (+information) or 6 (+details)' });
