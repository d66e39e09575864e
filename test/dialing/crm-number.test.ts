// Numbers typed into CRM records, and how a caller finds them (Matching).
import { describe, expect, it } from 'vitest';
import { directoryKey, matchKeys, normalizeCrmNumber, normalizeIncoming, type NormalizedNumber } from '../../src/dialing/index.ts';
import { GERMANY, USA } from './helpers.ts';

function crm(typed: string): NormalizedNumber {
  const r = normalizeCrmNumber(typed, GERMANY);
  if (!r.ok) throw r.error;
  return r;
}

describe('normalizeCrmNumber', () => {
  it.each([
    ['+49 34361 826-25', '+493436182625'],
    ['+49 (34361) 826-25', '+493436182625'],
    ['034361 / 826 25', '+493436182625'],
    ['(034361) 826-25', '+493436182625'],
    ['826 25', '+493436182625'],
    ['+49 (0)30 1234567', '+49301234567'],
    ['+49\u00a030\u00a01234567', '+49301234567'],
    ['030\u20111234567', '+49301234567'],
    ['0044 (0) 20 7946 0958', '+442079460958'],
    ['+1 212 555 0123 ext. 7', '+12125550123'],
  ])('%j is stored as %s', (typed, key) => {
    expect(directoryKey(crm(typed))).toBe(key);
  });

  it('keeps a short number as an extension', () => {
    expect(directoryKey(crm('40'))).toBe('ext:40');
  });

  it('returns typed errors for ordinary bad data instead of throwing', () => {
    const bad = ['', '   ', '-', 'n/a', '1-800-FLOWERS', '+49 30 12a4', '++49 30 1234567', '49+30', '*21#', 'tel:+49301234567', '1'.repeat(25), 'x'.repeat(65)];
    for (const typed of bad) {
      const r = normalizeCrmNumber(typed, GERMANY);
      expect(r.ok, typed).toBe(false);
    }
  });
});

describe('matching', () => {
  it('finds the record typed in international form for a caller presented nationally', () => {
    const caller = normalizeIncoming('0341 1234567', GERMANY);
    const record = crm('+49 341 123 45 67');
    expect(caller.ok && matchKeys(caller, GERMANY)[0]).toBe(directoryKey(record));
  });

  it('falls back to the company base number for a caller from the company range', () => {
    const caller = normalizeIncoming('034361826025', GERMANY);
    if (!caller.ok) throw caller.error;
    expect(matchKeys(caller, GERMANY)).toEqual(['+4934361826025', '+4934361826']);
    expect(directoryKey(crm('+49 34361 826'))).toBe('+4934361826');
  });

  it('has no fallback outside the company range or for the base number itself', () => {
    expect(matchKeys({ kind: 'external', e164: '+493436182' }, GERMANY)).toEqual(['+493436182']);
    expect(matchKeys({ kind: 'external', e164: '+4934361826' }, GERMANY)).toEqual(['+4934361826']);
    expect(matchKeys({ kind: 'external', e164: '+4934361726025' }, GERMANY)).toEqual(['+4934361726025']);
  });

  it('lets an internal caller find a colleague typed with the full number', () => {
    expect(matchKeys({ kind: 'internal', extension: '25' }, GERMANY)).toEqual(['ext:25', '+493436182625']);
    expect(directoryKey(crm('+49 34361 826-25'))).toBe('+493436182625');
  });

  it('offers only the extension key without a base number', () => {
    expect(matchKeys({ kind: 'internal', extension: '25' }, { ...USA, baseNumber: '' })).toEqual(['ext:25']);
  });
});
