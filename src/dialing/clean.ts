// Step 1 of every rule: take a number as a person typed it and keep what
// matters (a leading "+", the digits, a trailing extension marker). One pass
// over the characters: the phone directory runs this on every CRM number.
import { DialingError } from './errors.ts';
import type { Outcome } from './types.ts';

/** Longer input is no phone number; refused before looking at it. */
export const MAX_INPUT_CHARS = 64;
/** More digits than an outside-line prefix, an international prefix and 15 E.164 digits. */
export const MAX_DIGITS = 24;

export interface CleanNumber {
  /** The number began with "+" (international). */
  readonly plus: boolean;
  readonly digits: string;
  /** Digits after an extension marker ("x56", "ext. 56", ";ext=56"); not part of the number. */
  readonly suffixExtension?: string;
}

// "x 56", "ext. 56", "extension 56", ";ext=56" at the end: the North American
// way to write an extension reached through the switchboard, not by direct dial.
const EXTENSION_SUFFIX = /(?<=[\d\s)])\s*(?:;\s*ext=|ext\.?|extension|x)\s*(\d{1,6})\s*$/i;

function isFormatting(code: number): boolean {
  return (
    code === 0x20 || // space
    code === 0x2f || // /
    code === 0x2d || // -
    code === 0x2e || // .
    code === 0x28 || // (
    code === 0x29 || // )
    code === 0x09 ||
    code === 0xa0 || // no-break space, common in pasted numbers
    (code >= 0x2000 && code <= 0x200b) || // typographic spaces
    (code >= 0x2010 && code <= 0x2015) || // hyphens and dashes
    code === 0x202f ||
    code === 0x2212 // minus sign
  );
}

function describeChar(ch: string): string {
  if (/\p{L}/u.test(ch)) return `letter "${ch}" (vanity numbers are not converted)`;
  const code = ch.codePointAt(0) ?? 0;
  return code < 0x20 || code === 0x7f ? `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}` : `character "${ch}"`;
}

export function cleanNumber(input: string): Outcome<CleanNumber> {
  if (input.length > MAX_INPUT_CHARS) {
    return { ok: false, error: new DialingError('too-long', `number of ${input.length} characters is longer than ${MAX_INPUT_CHARS}`) };
  }
  let text = input;
  let suffixExtension: string | undefined;
  const ext = EXTENSION_SUFFIX.exec(text);
  if (ext !== null) {
    suffixExtension = ext[1];
    text = text.slice(0, ext.index);
  }
  let digits = '';
  let plus = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x30 && code <= 0x39) digits += text[i];
    else if (isFormatting(code)) continue;
    else if (code === 0x2b && !plus && digits === '') plus = true;
    else {
      const ch = String.fromCodePoint(text.codePointAt(i) ?? code);
      const what = code === 0x2b ? 'a "+" that does not start the number' : describeChar(ch);
      return { ok: false, error: new DialingError('invalid-characters', `number ${JSON.stringify(input)}: ${what} at position ${i + 1}`) };
    }
  }
  if (digits === '') {
    return { ok: false, error: new DialingError('empty-number', input.trim() === '' ? 'number is empty' : `number ${JSON.stringify(input)} has no digits`) };
  }
  if (digits.length > MAX_DIGITS) {
    return { ok: false, error: new DialingError('too-long', `number ${JSON.stringify(input)} has ${digits.length} digits, more than ${MAX_DIGITS}`) };
  }
  return suffixExtension === undefined ? { ok: true, plus, digits } : { ok: true, plus, digits, suffixExtension };
}
