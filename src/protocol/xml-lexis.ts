// The lexical pieces of the XML scan (xml-scan.ts): references, attribute
// values, start-tag attributes and the character checks, each reading from an
// index of the document and reporting where it stopped.
import { ProtocolError } from './errors.ts';
import { isXmlChar, nameEnd, skipSpaces } from './xml-chars.ts';

export const LT = 0x3c;
export const GT = 0x3e;
export const AMP = 0x26;
export const SLASH = 0x2f;
export const BANG = 0x21;
export const QUESTION = 0x3f;
export const CR = 0x0d;
export const LF = 0x0a;
export const TAB = 0x09;
export const SEMI = 0x3b;
export const HASH = 0x23;
export const EQUALS = 0x3d;
export const RBRACKET = 0x5d;

export const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.create(null) as Record<string, string>;

export function malformed(what: string, at: number): ProtocolError {
  return new ProtocolError('malformed-xml', `${what} at offset ${at}`);
}

export function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

function predefined(name: string): string | undefined {
  switch (name) {
    case 'lt':
      return '<';
    case 'gt':
      return '>';
    case 'amp':
      return '&';
    case 'quot':
      return '"';
    case 'apos':
      return "'";
    default:
      return undefined;
  }
}

function digitValue(c: number, hex: boolean): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (!hex) return -1;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Second results of the readers below: where each stopped. The scan is
 * synchronous, so one slot each is safe, and no result object is allocated per call.
 */
export const ends = { reference: 0, value: 0 };

/** Decodes the reference starting with the `&` at `amp`; `ends.reference` is set after its `;`. */
export function reference(xml: string, amp: number): string {
  let i = amp + 1;
  if (xml.charCodeAt(i) === HASH) {
    i += 1;
    const hex = xml.charCodeAt(i) === 0x78; /* x */
    if (hex) i += 1;
    const digits = i;
    let cp = 0;
    for (let d = digitValue(xml.charCodeAt(i), hex); d >= 0; d = digitValue(xml.charCodeAt(i), hex)) {
      cp = Math.min(cp * (hex ? 16 : 10) + d, 0x110000); // capped: past U+10FFFF is refused anyway
      i += 1;
    }
    if (i === digits || xml.charCodeAt(i) !== SEMI) throw malformed("'&' that starts no valid reference", amp);
    if (!isXmlChar(cp)) throw malformed(`character reference ${clip(xml.slice(amp, i + 1))} to a character XML does not allow`, amp);
    ends.reference = i + 1;
    return String.fromCodePoint(cp);
  }
  const end = nameEnd(xml, i);
  if (end === i || xml.charCodeAt(end) !== SEMI) throw malformed("'&' that starts no valid reference", amp);
  const name = xml.slice(i, end);
  const value = predefined(name);
  if (value === undefined) {
    throw new ProtocolError('entity-forbidden', `entity reference &${clip(name)}; at offset ${amp}: only the five predefined XML entities are allowed`);
  }
  ends.reference = end + 1;
  return value;
}

/**
 * Checks the code unit `c` at `i`, which is not plain ASCII: a control
 * character, a lone surrogate, U+FFFE and U+FFFF are not XML characters.
 * Returns the index of the last code unit of the character.
 */
export function wideChar(xml: string, c: number, i: number): number {
  if (c < 0x80) {
    if (c === 0x7f) return i;
    throw malformed(`control character U+${c.toString(16).padStart(4, '0').toUpperCase()}`, i);
  }
  if (c < 0xd800) return i;
  if (c <= 0xdbff) {
    const low = xml.charCodeAt(i + 1);
    if (low >= 0xdc00 && low <= 0xdfff) return i + 1;
  } else if (c >= 0xe000 && c <= 0xfffd) {
    return i;
  }
  throw malformed(c >= 0xfffe ? `U+${c.toString(16).toUpperCase()}, not an XML character,` : 'an unpaired surrogate', i);
}

/** Checks that `from`..`to` (comment, CDATA, PI content) holds only XML characters. */
export function checkChars(xml: string, from: number, to: number): void {
  for (let i = from; i < to; i += 1) {
    const c = xml.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === LF || c === TAB || c === CR) continue;
    i = wideChar(xml, c, i);
  }
}

/**
 * Reads an attribute value from `start` to its closing quote, references
 * decoded and normalised (section 3.3.3: each white space character reads
 * as a space, CR LF as one); `ends.value` is set after the quote.
 */
export function attributeValue(xml: string, start: number, quote: number): string {
  const n = xml.length;
  let out = '';
  let from = start;
  for (let i = start; i < n; i += 1) {
    const c = xml.charCodeAt(i);
    if (c === quote) {
      ends.value = i + 1;
      return out + xml.slice(from, i);
    }
    if (c >= 0x20 && c < 0x7f) {
      if (c === LT) throw malformed("'<' inside an attribute value", i);
      if (c === AMP) {
        out += xml.slice(from, i) + reference(xml, i);
        from = ends.reference;
        i = from - 1;
      }
    } else if (c === TAB || c === LF || c === CR) {
      out += `${xml.slice(from, i)} `;
      if (c === CR && xml.charCodeAt(i + 1) === LF) i += 1;
      from = i + 1;
    } else {
      i = wideChar(xml, c, i);
    }
  }
  throw malformed('unterminated attribute value', start - 1);
}

/**
 * Reads the attributes of a start tag from `from` (just after the element
 * name) to its `>`; returns them, NO_ATTRIBUTES when there are none, and sets
 * `ends.value` on the `>` or the `/` of `/>`.
 */
export function attributes(xml: string, from: number): Readonly<Record<string, string>> {
  let own: Record<string, string> | undefined;
  let pos = from;
  for (;;) {
    const afterValue = pos;
    pos = skipSpaces(xml, pos);
    const c = xml.charCodeAt(pos);
    if (c === GT || c === SLASH) {
      ends.value = pos;
      return own ?? NO_ATTRIBUTES;
    }
    if (pos >= xml.length) throw malformed('unterminated start tag', from);
    if (pos === afterValue) throw malformed('attribute without white space before it', pos);
    const end = nameEnd(xml, pos);
    if (end === pos) throw malformed(c === LT ? "'<' inside a start tag" : 'invalid attribute name', pos);
    const name = xml.slice(pos, end);
    pos = skipSpaces(xml, end);
    if (xml.charCodeAt(pos) !== EQUALS) throw malformed(`attribute ${clip(name)} without a value`, pos);
    pos = skipSpaces(xml, pos + 1);
    const quote = xml.charCodeAt(pos);
    if (quote !== 0x22 && quote !== 0x27) throw malformed(`value of attribute ${clip(name)} not in quotes`, pos);
    const value = attributeValue(xml, pos + 1, quote);
    own ??= Object.create(null) as Record<string, string>;
    if (own[name] !== undefined) throw malformed(`attribute ${clip(name)} given twice`, pos);
    own[name] = value;
    pos = ends.value;
  }
}
