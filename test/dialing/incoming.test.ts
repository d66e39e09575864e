// Caller numbers as PBXs report them, to an extension or E.164.
import { describe, expect, it } from 'vitest';
import { normalizeIncoming, type EffectiveDialingSettings, type NormalizedNumber } from '../../src/dialing/index.ts';
import { AUSTRIA, BRITAIN, GERMANY, SWITZERLAND, USA } from './helpers.ts';

const ext = (extension: string): NormalizedNumber => ({ kind: 'internal', extension });
const e164 = (number: string): NormalizedNumber => ({ kind: 'external', e164: number });

function table(name: string, s: EffectiveDialingSettings, rows: readonly (readonly [string, NormalizedNumber])[]): void {
  describe(`incoming, ${name}`, () => {
    it.each(rows)('%s → %o', (caller, expected) => {
      const r = normalizeIncoming(caller, s);
      if (!r.ok) throw r.error;
      const { ok: _ok, ...value } = r;
      expect(value).toEqual(expected);
    });
  });
}

table('Germany', GERMANY, [
  ['034361826025', e164('+4934361826025')],
  ['826025', e164('+4934361826025')],
  ['25', ext('25')],
  ['0049301234567', e164('+49301234567')],
  ['+442079460958', e164('+442079460958')],
  ['01711234567', e164('+491711234567')],
]);

table('Germany, PBX puts the direction code 0 in front', { ...GERMANY, incomingDirectionCode: '0' }, [
  ['0034361826025', e164('+4934361826025')],
  ['0826025', e164('+4934361826025')],
  ['00049301234567', e164('+49301234567')],
  // internal calls come without the direction code
  ['25', ext('25')],
  // a caller that is only the code is the extension 0, not an empty number
  ['0', ext('0')],
  ['+49301234567', e164('+49301234567')],
]);

table('Austria', AUSTRIA, [
  ['06641234567', e164('+436641234567')],
  ['2345678', e164('+4312345678')],
  ['123', ext('123')],
]);

table('Switzerland', SWITZERLAND, [
  ['0446681800', e164('+41446681800')],
  ['0791234567', e164('+41791234567')],
  ['12', ext('12')],
]);

table('Britain (direction code 9)', BRITAIN, [
  ['901614960000', e164('+441614960000')],
  ['979461234', e164('+442079461234')],
  ['90049 30 12345678', e164('+493012345678')],
  ['456', ext('456')],
]);

table('USA', USA, [
  ['2125550199', e164('+12125550199')],
  ['12125550199', e164('+12125550199')],
  ['5552671', e164('+12125552671')],
  ['01149301234567', e164('+49301234567')],
  ['23', ext('23')],
]);

describe('incoming errors', () => {
  it.each([
    ['', 'empty-number'],
    ['anonymous', 'invalid-characters'],
    ['+999 1234567', 'invalid-country-code'],
    ['+49 1', 'too-short'],
  ])('%j → %s', (caller, code) => {
    const r = normalizeIncoming(caller, GERMANY);
    expect(r.ok ? 'ok' : r.error.code).toBe(code);
  });
});
