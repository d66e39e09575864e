// Phone numbers as people type them into CRM records, and things that are no
// numbers at all: shared by the key worker and directory tests.
import fc from 'fast-check';

export const typedNumber: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('+', '00', '0', '', '011', '9'), fc.stringMatching(/^[0-9]{1,16}$/), fc.constantFrom('', ' ', '-', ' / ', ' (0) ')).map(([p, d, sep]) => `${p}${d.slice(0, 3)}${sep}${d.slice(3)}`) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', 'anonymous', '+', '12', '0', '+49 (0)30 1234567', '030 1234567 x 12', '+1 212 555 0199', '+800 1234 5678', '+882 1234 5678', '\u00a0+44\u00a020 7946 0000') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

/** A phone field: mostly a typed number, sometimes null (the field is empty). */
export const phoneField: fc.Arbitrary<string | null> = fc.option(typedNumber, { nil: undefined, freq: 8 }).map((p) => (p === undefined ? null : p));
