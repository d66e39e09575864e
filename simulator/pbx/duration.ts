// Durations as people write them in scenario files and on the command line:
// `3s`, `500ms`, `1.5s`, `2m`, `1h`, or a bare number of milliseconds.
import { CrmTapiError } from '../../src/protocol/errors.ts';
import { z } from 'zod';

export class DurationError extends CrmTapiError {
  readonly code = 'invalid-duration';
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/;

/** Milliseconds (rounded) for `text`; throws DurationError naming the bad text. */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return Math.round(text);
    throw new DurationError(`a duration must be a non-negative number of milliseconds, got ${String(text)}`);
  }
  const match = PATTERN.exec(text);
  if (match === null) {
    throw new DurationError(`"${text.slice(0, 40)}" is not a duration (examples: 500ms, 3s, 1.5m, 1h)`);
  }
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? 'ms'] ?? 1));
}

/** A duration field of a scenario step or a control request: `3s`, `1.5s`, `2m`, or milliseconds as a number. */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof DurationError ? err.message : 'not a duration' });
    return z.NEVER;
  }
});
