// carryableText: any string from outside becomes text every text field of
// that length accepts; clean text within the limit is left as it is.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { carryableText } from '../../src/protocol/index.ts';
import { readScalar, text, textProblem } from '../../src/protocol/fields.ts';

const anyText = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string({ unit: fc.constantFrom('\t', '\n', '\u0007', '\u0000', '\ud800', '\udc00', '\ufffe', 'a', 'ü', '\ud83d\ude00') }));

describe('carryableText', () => {
  it('gives text a field of at most `max` characters accepts, for any input', () => {
    fc.assert(fc.property(anyText, fc.integer({ min: 1, max: 40 }), (value, max) => {
      const out = carryableText(value, max);
      expect(textProblem(out)).toBeUndefined();
      expect(out.length).toBeLessThanOrEqual(max);
      expect(readScalar(text(max), out)).toBe(out);
    }), { numRuns: 2000 });
  });

  it('leaves clean text within the limit unchanged, and cuts clean text only at its end', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }).filter((s) => textProblem(s) === undefined), fc.integer({ min: 1, max: 40 }), (value, max) => {
      const out = carryableText(value, max);
      if (value.length <= max) expect(out).toBe(value);
      else expect(value.startsWith(out) && out.length >= max - 1).toBe(true);
    }), { numRuns: 2000 });
  });

  it('keeps each character\'s place: a tab or line break becomes a space, anything else refused becomes U+FFFD', () => {
    expect(carryableText('Eve\tTab\r\nMallory\u0007', 256)).toBe('Eve Tab  Mallory\ufffd');
    expect(carryableText('A\udfffB\ud800', 256)).toBe('A\ufffdB\ufffd');
    expect(carryableText('x\ufffey', 256)).toBe('x\ufffdy');
    // A surrogate pair is never split by the cut.
    expect(carryableText('ab\ud83d\ude00', 3)).toBe('ab');
    expect(carryableText('ab\ud83d\ude00', 4)).toBe('ab\ud83d\ude00');
  });
});
