// Character classes of XML 1.0 (fifth edition): which code points a document
// may hold (section 2.2 Char) and which may start or continue a name (section
// 2.3 NameStartChar, NameChar). ASCII goes through one table, the rest
// through the ranges of the recommendation.

/** True for code points XML 1.0 allows in a document (section 2.2 Char). */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Bits of ASCII_CLASS. */
export const NAME_START = 1;
export const NAME_CHAR = 2;

/** Class bits of each ASCII code unit (index < 128). */
export const ASCII_CLASS: Uint8Array = (() => {
  const table = new Uint8Array(128);
  const set = (from: number, to: number, bits: number) => {
    for (let c = from; c <= to; c += 1) table[c] = (table[c] ?? 0) | bits;
  };
  set(0x41, 0x5a, NAME_START | NAME_CHAR); // A-Z
  set(0x61, 0x7a, NAME_START | NAME_CHAR); // a-z
  set(0x3a, 0x3a, NAME_START | NAME_CHAR); // :
  set(0x5f, 0x5f, NAME_START | NAME_CHAR); // _
  set(0x30, 0x39, NAME_CHAR); // 0-9
  set(0x2d, 0x2e, NAME_CHAR); // - .
  return table;
})();

/** NameStartChar for a code point of U+0080 and above. */
export function isWideNameStart(cp: number): boolean {
  return (
    (cp >= 0xc0 && cp <= 0xd6) ||
    (cp >= 0xd8 && cp <= 0xf6) ||
    (cp >= 0xf8 && cp <= 0x2ff) ||
    (cp >= 0x370 && cp <= 0x37d) ||
    (cp >= 0x37f && cp <= 0x1fff) ||
    (cp >= 0x200c && cp <= 0x200d) ||
    (cp >= 0x2070 && cp <= 0x218f) ||
    (cp >= 0x2c00 && cp <= 0x2fef) ||
    (cp >= 0x3001 && cp <= 0xd7ff) ||
    (cp >= 0xf900 && cp <= 0xfdcf) ||
    (cp >= 0xfdf0 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0xeffff)
  );
}

/** NameChar for a code point of U+0080 and above. */
export function isWideNameChar(cp: number): boolean {
  return cp === 0xb7 || (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x203f && cp <= 0x2040) || isWideNameStart(cp);
}

/** A name character of ASCII, or any non-ASCII code unit (which a name test settles later). */
export function isNameChar(c: number): boolean {
  return c >= 0x80 || ((ASCII_CLASS[c] ?? 0) & NAME_CHAR) !== 0;
}

export function skipSpaces(xml: string, from: number): number {
  let i = from;
  for (let c = xml.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d; c = xml.charCodeAt(i)) i += 1;
  return i;
}

/** End of the XML name starting at `from`: `from` itself when none starts there. */
export function nameEnd(xml: string, from: number): number {
  const n = xml.length;
  let i = from;
  if (i >= n) return i;
  const first = xml.charCodeAt(i);
  if (first < 0x80) {
    if (((ASCII_CLASS[first] as number) & NAME_START) === 0) return i;
    i += 1;
  } else {
    const cp = xml.codePointAt(i) as number;
    if (!isWideNameStart(cp)) return i;
    i += cp > 0xffff ? 2 : 1;
  }
  while (i < n) {
    const c = xml.charCodeAt(i);
    if (c < 0x80) {
      if (((ASCII_CLASS[c] as number) & NAME_CHAR) === 0) return i;
      i += 1;
    } else {
      const cp = xml.codePointAt(i) as number;
      if (!isWideNameChar(cp)) return i;
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return i;
}
