// isTimestamp reads digits by hand (no regex allocation on the hot path, issue 18):
// it must accept and refuse exactly what the regex definition it replaced did.
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { isTimestamp } from '../../src/protocol/fields.ts';

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function reference(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/.exec(value);
  if (m === null) return false;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const maxDay = mo === 2 && !leap ? 28 : (DAYS_IN_MONTH[mo - 1] ?? 0);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= maxDay && h <= 23 && mi <= 59 && s <= 59;
}

const digit = fc.constantFrom(...'0123456789');
const near = fc.constantFrom(...'0123456789', '/', ':', 'a', '٣', ' ', '-', 'T', 'Z', '.', '');
/** Strings shaped like timestamps, with any field out of range or any character swapped. */
const shaped = fc
  .tuple(fc.array(digit, { minLength: 4, maxLength: 4 }), fc.array(digit, { minLength: 10, maxLength: 10 }), fc.array(digit, { minLength: 3, maxLength: 3 }), fc.nat(23), near)
  .map(([y, r, ms, at, swap]) => {
    const t = `${y.join('')}-${r[0]}${r[1]}-${r[2]}${r[3]}T${r[4]}${r[5]}:${r[6]}${r[7]}:${r[8]}${r[9]}.${ms.join('')}Z`;
    return swap === '' ? t : t.slice(0, at) + swap + t.slice(at + 1);
  });

describe('isTimestamp', () => {
  test.prop([fc.oneof(shaped, fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string({ maxLength: 30 }))], { numRuns: 20_000 })('agrees with the regex definition', (value) => {
    expect(isTimestamp(value)).toBe(reference(value));
  });

  test.prop([fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })])('accepts every date that toISOString writes', (d) => {
    expect(isTimestamp(d.toISOString())).toBe(true);
  });

  test.each(['2024-02-29T12:00:00.000Z', '2000-02-29T00:00:00.000Z'])('accepts the leap day %s', (t) => expect(isTimestamp(t)).toBe(true));
  test.each(['2023-02-29T12:00:00.000Z', '1900-02-29T00:00:00.000Z', '2024-04-31T00:00:00.000Z', '2024-01-01T24:00:00.000Z', '2024-01-01T00:60:00.000Z', '2024-01-01T00:00:60.000Z', '2024-00-01T00:00:00.000Z', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000+01:00', ' 2024-01-01T00:00:00.000Z'])('refuses %s', (t) => expect(isTimestamp(t)).toBe(false));
});
