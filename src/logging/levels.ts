// The manual's `LogLevel` is a threshold, not a name: 0 errors only, 1 adds
// warnings, 3 adds general information, 6 adds "details of all results and
// timers". The original read a registry DWORD, so values in between (2, 4, 5)
// are accepted and mean the next lower documented step.
import type { Level } from 'pino';

export const LOG_LEVEL_MIN = 0;
export const LOG_LEVEL_MAX = 6;

/** The pino level that shows exactly what the manual's `LogLevel` promises. */
export function pinoLevelFor(logLevel: number): Level {
  if (logLevel >= 6) return 'debug';
  if (logLevel >= 3) return 'info';
  if (logLevel >= 1) return 'warn';
  return 'error';
}

export function isLogLevel(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= LOG_LEVEL_MIN && value <= LOG_LEVEL_MAX;
}
