// Directory keys as numbers. An E.164 key ("+" and at most 15 digits, the
// first not 0) is its digits read as a number: below 10^15, so exact in a
// float64. An extension key ("ext:" and 1–15 digits) is -(10^length + value),
// which keeps leading zeros apart ("ext:07" ≠ "ext:7"). 0 is no key at all.
// Numbers need no heap object per key; keys of any other form (none today)
// stay strings beside them.

/** Code of "no key". */
export const NO_KEY = 0;

const MAX_DIGITS = 15;

/** The number standing for a key, or undefined when the key has no numeric form. */
export function encodeKey(key: string): number | undefined {
  let start: number;
  let negative: boolean;
  if (key.charCodeAt(0) === 0x2b /* + */) {
    start = 1;
    negative = false;
    if (key.charCodeAt(1) === 0x30) return undefined; // no calling code starts with 0
  } else if (key.startsWith('ext:')) {
    start = 4;
    negative = true;
  } else return undefined;
  const length = key.length - start;
  if (length < 1 || length > MAX_DIGITS) return undefined;
  let value = 0;
  for (let i = start; i < key.length; i += 1) {
    const d = key.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  return negative ? -(10 ** length + value) : value;
}

/** The key a code stands for (inverse of `encodeKey`). */
export function decodeKey(code: number): string {
  return code > 0 ? `+${code}` : `ext:${String(-code).slice(1)}`;
}

const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);

/** 32-bit hash of a key code (both halves of the float64 mixed, then murmur3's finaliser). */
export function hashCode(code: number): number {
  scratch[0] = code;
  return mix((words[0] as number) ^ Math.imul(words[1] as number, 0x9e3779b1));
}

/** 32-bit hash of a string (FNV-1a over its UTF-16 units, then murmur3's finaliser). */
export function hashText(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ Math.imul(seed, 0x9e3779b1)) | 0;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return mix(h);
}

function mix(x: number): number {
  let h = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
