// The round trip of the issue: for every external number and settings,
// reading the dial string back as an incoming number (the outside-line prefix
// taken as the incoming direction code) gives the same E.164 number. Numbers
// are the library's example numbers of every country with random last digits,
// typed in E.164, international and (for the own country) national format.
import { describe, expect } from 'vitest';
import { test as fcTest, fc } from '@fast-check/vitest';
import { getCountries, getCountryCallingCode, getExampleNumber, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { companyNumberOf, effectiveSettings, normalizeCrmNumber, normalizeIncoming, toDialString } from '../../src/dialing/index.ts';

const HOMES: CountryCode[] = ['DE', 'AT', 'CH', 'GB', 'US', 'FR', 'IT', 'ES', 'NL', 'AU', 'RU', 'PL'];
const ALL = getCountries().filter((c) => getExampleNumber(c, examples) !== undefined);

function exampleNsn(country: CountryCode): string {
  return getExampleNumber(country, examples)?.nationalNumber ?? '';
}

const scenario = fc
  .record({
    home: fc.constantFrom(...HOMES),
    same: fc.boolean(),
    other: fc.constantFrom(...ALL),
    tail: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }),
    areaMode: fc.constantFrom('of-number', 'of-home', 'none'),
    areaLength: fc.integer({ min: 1, max: 4 }),
    baseMode: fc.constantFrom('of-number', 'random', 'none'),
    baseLength: fc.integer({ min: 1, max: 4 }),
    baseDigits: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 4, maxLength: 4 }),
    maxInternalLength: fc.integer({ min: 0, max: 5 }),
    outsideLinePrefix: fc.constantFrom('', '0', '9', '00'),
    dialLocalWithoutAreaCode: fc.boolean(),
    format: fc.constantFrom('e164', 'international', 'national'),
  })
  .map((g) => {
    const target = g.same ? g.home : g.other;
    const example = exampleNsn(target);
    const nsn = example.slice(0, Math.max(1, example.length - g.tail.length)) + g.tail.join('').slice(0, example.length - 1);
    const phone = parsePhoneNumberFromString(`+${getCountryCallingCode(target)}${nsn}`);
    const homeNsn = exampleNsn(g.home);
    const numberNsn = phone?.nationalNumber ?? '';
    const sameCountry = phone?.countryCallingCode === getCountryCallingCode(g.home);
    let areaCode = '';
    if (g.areaMode === 'of-number' && sameCountry) areaCode = numberNsn.slice(0, g.areaLength);
    if (g.areaMode === 'of-home') areaCode = homeNsn.slice(0, g.areaLength);
    let baseNumber = '';
    if (g.baseMode === 'of-number' && sameCountry && numberNsn.startsWith(areaCode)) baseNumber = numberNsn.slice(areaCode.length, areaCode.length + g.baseLength);
    if (g.baseMode === 'random') baseNumber = g.baseDigits.slice(0, g.baseLength).join('');
    const record = {
      countryCode: getCountryCallingCode(g.home),
      areaCode,
      baseNumber,
      outsideLinePrefix: g.outsideLinePrefix,
      maxInternalLength: g.maxInternalLength,
      dialLocalWithoutAreaCode: g.dialLocalWithoutAreaCode,
    };
    return { ...g, phone, sameCountry, record };
  });

describe('round trip', () => {
  fcTest.prop([scenario], { numRuns: 400 })('dial string read back as a caller number gives the same E.164 number', (sc) => {
    fc.pre(sc.phone !== undefined && sc.phone.isPossible() && sc.phone.number.length <= 16);
    const phone = sc.phone!;
    const settings = effectiveSettings(sc.record);
    if (!settings.ok) throw settings.error;
    const s = settings.settings;
    // area codes that start with the trunk prefix are refused by the settings; skip such homes
    let typed = phone.number as string;
    if (sc.format === 'international') typed = phone.formatInternational();
    if (sc.format === 'national') {
      fc.pre(sc.sameCountry);
      typed = phone.formatNational();
      fc.pre(s.nationalPrefix === '' || typed.replace(/\D/g, '').startsWith(s.nationalPrefix));
    }

    const r = toDialString(typed, s);
    if (!r.ok) throw r.error;
    const incoming = normalizeIncoming(r.dial, { ...s, incomingDirectionCode: s.outsideLinePrefix });
    if (!incoming.ok) throw incoming.error;
    if (r.kind === 'external') {
      expect(r.e164).toBe(phone.number);
      expect(r.dial.startsWith(s.outsideLinePrefix)).toBe(true);
      expect(incoming).toEqual({ ok: true, kind: 'external', e164: phone.number });
    } else {
      // a number of the own company is dialled as its extension and read back as that extension
      expect(companyNumberOf(r.extension, s)).toBe(phone.number);
      expect(r.extension.length).toBeLessThanOrEqual(s.maxInternalLength);
      expect(incoming).toEqual({ ok: true, kind: 'internal', extension: r.extension });
    }
    // the directory stores the typed number under the same E.164 number
    expect(normalizeCrmNumber(typed, s)).toEqual({ ok: true, kind: 'external', e164: phone.number });
  });
});

describe('robustness', () => {
  const s = effectiveSettings({ countryCode: '49', areaCode: '30', baseNumber: '826', outsideLinePrefix: '0', maxInternalLength: 3 });
  fcTest.prop([fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.stringMatching(/^[+]?[\d ()/.-]{0,30}$/))], { numRuns: 500 })(
    'any text gives a typed result, never an exception',
    (text) => {
      if (!s.ok) throw s.error;
      for (const r of [normalizeCrmNumber(text, s.settings), normalizeIncoming(text, s.settings), toDialString(text, s.settings)]) {
        if (!r.ok) {
          expect(r.error.code).toMatch(/^[a-z-]+$/);
          continue;
        }
        if (r.kind === 'external') expect(r.e164).toMatch(/^\+[1-9]\d{1,14}$/);
        else expect(r.extension).toMatch(/^\d{1,3}$/);
      }
    },
  );
});
