// Settings inheritance (default → site → user line) and validation.
import { describe, expect, it } from 'vitest';
import { test as fcTest, fc } from '@fast-check/vitest';
import { DIALING_SETTING_FIELDS, effectiveSettings, isSet, type DialingSettings, type EffectiveDialingSettings } from '../../src/dialing/index.ts';

function ok(r: ReturnType<typeof effectiveSettings>): EffectiveDialingSettings {
  if (!r.ok) throw r.error;
  return r.settings;
}

function problem(r: ReturnType<typeof effectiveSettings>): string {
  if (r.ok) throw new Error('expected invalid settings');
  expect(r.error.code).toBe('invalid-settings');
  return r.error.message;
}

describe('effectiveSettings', () => {
  it('takes each field from the nearest record that sets it', () => {
    const s = ok(
      effectiveSettings(
        { countryCode: '49', areaCode: '30', baseNumber: '123', outsideLinePrefix: '0', maxInternalLength: 4 },
        { areaCode: '34361', baseNumber: '826', maxInternalLength: 3 },
        { baseNumber: '', outsideLinePrefix: null, maxInternalLength: '2' },
      ),
    );
    expect(s).toEqual({
      internationalPrefix: '00',
      nationalPrefix: '0',
      countryCode: '49',
      areaCode: '34361',
      baseNumber: '826',
      outsideLinePrefix: '0',
      incomingDirectionCode: '',
      maxInternalLength: 2,
      dialLocalWithoutAreaCode: true,
    });
  });

  it('fills unset prefixes from the numbering plan of the country code', () => {
    expect(ok(effectiveSettings({ countryCode: 1 }))).toMatchObject({ internationalPrefix: '011', nationalPrefix: '1' });
    expect(ok(effectiveSettings({ countryCode: '+44' }))).toMatchObject({ internationalPrefix: '00', nationalPrefix: '0' });
    // Italy has no trunk prefix: every number without + is national
    expect(ok(effectiveSettings({ countryCode: '39' }))).toMatchObject({ internationalPrefix: '00', nationalPrefix: '' });
    expect(ok(effectiveSettings({ countryCode: '49', internationalPrefix: '000' }))).toMatchObject({ internationalPrefix: '000' });
  });

  it('reads CRM integer fields and formatted codes', () => {
    const s = ok(effectiveSettings({ countryCode: 49, areaCode: '34.361', baseNumber: 826, maxInternalLength: '3', dialLocalWithoutAreaCode: 'false' }));
    expect(s).toMatchObject({ countryCode: '49', areaCode: '34361', baseNumber: '826', maxInternalLength: 3, dialLocalWithoutAreaCode: false });
  });

  it('treats blank strings as unset', () => {
    const s = ok(effectiveSettings({ countryCode: '49', outsideLinePrefix: '9' }, { outsideLinePrefix: '   ' }, { outsideLinePrefix: '' }));
    expect(s.outsideLinePrefix).toBe('9');
  });

  it.each<[DialingSettings, string]>([
    [{}, 'countryCode is not set in any record'],
    [{ countryCode: '999' }, 'countryCode "999" (from default) is no country\'s calling code'],
    [{ countryCode: '800' }, 'countryCode "800" (from default) is no country\'s calling code'],
    [{ countryCode: '49', internationalPrefix: '0' }, 'internationalPrefix "0" (from default) equals nationalPrefix'],
    [{ countryCode: '49', areaCode: '034361' }, 'areaCode "034361" (from default) starts with the national prefix 0'],
    [{ countryCode: '49', areaCode: '34a61' }, 'areaCode "34a61" (from default) must contain digits only'],
    [{ countryCode: '49', outsideLinePrefix: '0-' }, 'outsideLinePrefix "0-" (from default) must contain digits only'],
    [{ countryCode: '49', maxInternalLength: 11 }, 'maxInternalLength 11 (from default) is more than 10'],
    [{ countryCode: '49', maxInternalLength: -1 }, 'maxInternalLength -1 (from default) must be a whole non-negative number'],
    [{ countryCode: '49', maxInternalLength: 2.5 }, 'maxInternalLength 2.5 (from default) must be a whole non-negative number'],
    [{ countryCode: '49', dialLocalWithoutAreaCode: 'maybe' }, 'dialLocalWithoutAreaCode "maybe" (from default) must be true or false'],
    [{ countryCode: '49', areaCode: '34361', baseNumber: '1234567890' }, 'leaves no room for an extension'],
    [{ countryCode: '55' }, 'internationalPrefix is not set and the numbering plan of country code 55 names none'],
  ])('rejects %o: %s', (record, text) => {
    expect(problem(effectiveSettings(record))).toContain(text);
  });

  it('names the record a bad value came from and lists every problem', () => {
    const message = problem(effectiveSettings({ countryCode: '49' }, { areaCode: 'x' }, { maxInternalLength: 'three' }));
    expect(message).toContain('areaCode "x" (from site)');
    expect(message).toContain('maxInternalLength "three" (from userLine)');
  });
});

// Values every field may take, valid in every combination below.
const pools = {
  internationalPrefix: ['00', '011', '0011'],
  nationalPrefix: ['0', '1'],
  countryCode: ['49', '43', '1', 44],
  areaCode: ['30', '34361', 212, '7'],
  baseNumber: ['826', 53115, '9'],
  outsideLinePrefix: ['0', '9', '00'],
  incomingDirectionCode: ['0', '9'],
  maxInternalLength: [0, 2, '3', 5],
  dialLocalWithoutAreaCode: [true, false, 'true', '0'],
} as const satisfies Record<(typeof DIALING_SETTING_FIELDS)[number], readonly unknown[]>;

const unset = fc.constantFrom(undefined, null, '', '  ');
const layer = fc.record(
  Object.fromEntries(DIALING_SETTING_FIELDS.map((f) => [f, fc.oneof(unset, fc.constantFrom(...pools[f]))])) as {
    [K in keyof typeof pools]: fc.Arbitrary<(typeof pools)[K][number] | null | undefined>;
  },
  { requiredKeys: [] },
);

const planPrefixes: Record<string, [string, string]> = { '49': ['00', '0'], '43': ['00', '0'], '1': ['011', '1'], '44': ['00', '0'] };

function normalised(field: (typeof DIALING_SETTING_FIELDS)[number], value: unknown): unknown {
  if (field === 'maxInternalLength') return Number(value);
  if (field === 'dialLocalWithoutAreaCode') return value === true || value === 'true';
  return String(value);
}

describe('inheritance property', () => {
  fcTest.prop([layer, fc.option(layer, { nil: undefined }), fc.option(layer, { nil: undefined }), fc.constantFrom(...pools.countryCode)], { numRuns: 300 })(
    'every effective field is the nearest set value (or its default)',
    (def, site, line, cc) => {
      const defaultRecord = { ...def, countryCode: isSet(def.countryCode) ? def.countryCode : cc };
      const s = ok(effectiveSettings(defaultRecord, site, line));
      for (const field of DIALING_SETTING_FIELDS) {
        const nearest = [line?.[field], site?.[field], defaultRecord[field]].find((v) => v !== undefined && v !== null && String(v).trim() !== '');
        if (nearest !== undefined) {
          expect(s[field], field).toEqual(normalised(field, nearest));
          continue;
        }
        const plan = planPrefixes[s.countryCode] ?? ['?', '?'];
        const fallback = { internationalPrefix: plan[0], nationalPrefix: plan[1], maxInternalLength: 0, dialLocalWithoutAreaCode: true } as Record<string, unknown>;
        expect(s[field], field).toEqual(fallback[field] ?? '');
      }
    },
  );
});
