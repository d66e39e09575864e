// What a popup says about the caller (routing/notification.ts `identify`):
// the number normalised with the line's settings, and the CRM records the
// directory found — exact matches before those found only through the
// company's base number, only what the wire can carry, ids in one spelling,
// at most 100 — and a directory that fails costs the matches, never the
// popup. Each case failed on a hand-made break the routing, records and
// user-side tests did not catch.
import { describe, expect, it } from 'vitest';
import type { DirectoryMatch } from '../../../src/dataverse/directory/directory.ts';
import { effectiveSettings } from '../../../src/dialing/index.ts';
import { identify, MAX_MATCHES } from '../../../src/manager/routing/notification.ts';

const dialing = effectiveSettings({ internationalPrefix: '00', nationalPrefix: '0', countryCode: '49', areaCode: '30', maxInternalLength: 4 });
if (!dialing.ok) throw dialing.error;
const settings = dialing.settings;

const id = (n: number) => `0b000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const match = (n: number, extra: Partial<DirectoryMatch> = {}): DirectoryMatch => ({
  entity: 'contact', id: id(n), name: `Contact ${n}`, field: 'telephone1', key: '+49301234567', viaFallback: false, ...extra,
});

describe('identify', () => {
  it('puts exact matches before those found only through the base number, keeping the directory\'s order otherwise', () => {
    const found = [match(1, { viaFallback: true }), match(2), match(3, { viaFallback: true }), match(4)];
    expect(identify('030 1234567', settings, () => found).matches.map((m) => m.name)).toEqual(['Contact 2', 'Contact 4', 'Contact 1', 'Contact 3']);
  });

  it('drops a match the wire cannot carry (an id that is no GUID, an entity that is no logical name, no field) and spells ids in lower case', () => {
    const found = [
      match(1, { id: 'not-a-guid' }),
      match(2, { entity: 'Contact; drop' }),
      match(3, { field: '' }),
      match(4, { id: id(4).toUpperCase() }),
    ];
    const { matches } = identify('030 1234567', settings, () => found);
    expect(matches).toEqual([{ entity: 'contact', id: id(4), name: 'Contact 4', field: 'telephone1' }]);
  });

  it(`sends at most ${MAX_MATCHES} matches`, () => {
    const found = Array.from({ length: MAX_MATCHES + 5 }, (_, i) => match(i));
    expect(identify('030 1234567', settings, () => found).matches).toHaveLength(MAX_MATCHES);
  });

  it('a directory that throws costs the matches, not the normalised number', () => {
    const result = identify('030 1234567', settings, () => {
      throw new Error('index is being rebuilt');
    });
    expect(result).toEqual({ matches: [], e164: '+49301234567' });
    expect(identify('21', settings, () => [])).toEqual({ matches: [], extension: '21' });
  });

  it('an anonymous caller or a line without usable settings is not looked up', () => {
    let asked = 0;
    const lookup = () => {
      asked += 1;
      return [match(1)];
    };
    expect(identify('  ', settings, lookup)).toEqual({ matches: [] });
    expect(identify('030 1234567', undefined, lookup)).toEqual({ matches: [] });
    expect(asked).toBe(0);
  });
});
