import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { reconnectDelay } from '../../src/client/backoff.ts';
import { languageOf, STRINGS, stringsFor } from '../../src/client/i18n.ts';

describe('reconnectDelay', () => {
  test.prop([fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })])('stays between half and all of the capped exponential', (attempt, r) => {
    const d = reconnectDelay(attempt, () => r, { baseMs: 500, maxMs: 30_000 });
    const exp = Math.min(30_000, 500 * 2 ** Math.min(30, attempt));
    expect(d).toBeGreaterThanOrEqual(Math.floor(exp / 2));
    expect(d).toBeLessThanOrEqual(exp);
  });

  it('grows, then stays at the cap', () => {
    const mid = () => 0.5;
    expect(reconnectDelay(0, mid)).toBe(375);
    expect(reconnectDelay(1, mid)).toBe(750);
    expect(reconnectDelay(20, mid)).toBe(22_500);
    expect(reconnectDelay(-3, mid)).toBe(375);
  });
});

describe('UI language', () => {
  it('picks German for 1031 and English otherwise', () => {
    expect(languageOf(1031)).toBe('de');
    expect(languageOf(1033)).toBe('en');
    expect(languageOf(undefined)).toBe('en');
    expect(languageOf(1036)).toBe('en');
    expect(stringsFor(1031).incomingCall).toBe('Eingehender Anruf');
  });

  it('both languages have every string, and they differ where words differ', () => {
    expect(Object.keys(STRINGS.de).sort()).toEqual(Object.keys(STRINGS.en).sort());
    for (const [k, v] of Object.entries(STRINGS.de)) expect(v, k).not.toBe('');
    expect(STRINGS.de.answeredBy).not.toBe(STRINGS.en.answeredBy);
  });
});
