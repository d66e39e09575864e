// Retry-After parsing and the wait it leads to: whatever a server or proxy
// sends, the wait is finite, never negative and never above maxWaitMs.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, parseRetryAfter, retryDelay } from '../../../src/dataverse/web-api/retry.ts';

const now = Date.UTC(2025, 2, 30, 1, 30, 0);

describe('parseRetryAfter', () => {
  it.each([
    ['5', 5000], ['0', 0], [' 7 ', 7000], ['1.5', 1500], ['86400', 86_400_000],
    ['abc', undefined], ['-1', undefined], ['', undefined], ['1e3', undefined], ['Infinity', undefined], ['NaN', undefined],
    [new Date(now + 4000).toUTCString(), 4000], [new Date(now - 60_000).toUTCString(), 0], ['Sun, 99 Foo 2025 99:99:99 GMT', undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('retryDelay', () => {
  test.prop([fc.string(), fc.integer({ min: 1, max: 50 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 0, max: 120_000 })])(
    'is always within [0, maxWaitMs] for any header text',
    (header, attempt, random, maxWaitMs) => {
      const policy = { ...DEFAULT_RETRY, maxWaitMs };
      const wait = retryDelay(attempt, parseRetryAfter(header, now), policy, random);
      expect(Number.isFinite(wait)).toBe(true);
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThanOrEqual(maxWaitMs);
    },
  );

  it('honours a usable Retry-After (plus at most 10 % jitter)', () => {
    expect(retryDelay(1, 2000, DEFAULT_RETRY, 0)).toBe(2000);
    expect(retryDelay(1, 2000, DEFAULT_RETRY, 0.999)).toBeLessThanOrEqual(2200);
  });

  it('backs off exponentially without one', () => {
    const waits = [1, 2, 3, 4].map((a) => retryDelay(a, undefined, DEFAULT_RETRY, 0.999));
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
    expect(waits[3]).toBeGreaterThan(waits[0] ?? 0);
  });
});
