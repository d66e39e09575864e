// A page's typed numbers to key codes, the same way in the key worker and on
// the main thread: one code per (record, field), row-major.
import { encodeKey, NO_KEY } from './key-codes.ts';
import type { EncodedKeys } from './phone-index.ts';

export type Phones = readonly (string | null | undefined)[];

/** The key of one typed number, or undefined when the field is empty or unusable (crmKey must not throw; if it does, no key). */
export function keyOfTyped(typed: string | null | undefined, crmKey: (typed: string) => string | undefined): string | undefined {
  if (typed === null || typed === undefined || typed.trim() === '') return undefined;
  try {
    return crmKey(typed);
  } catch {
    return undefined; // a number nobody can dial cannot match a caller either
  }
}

/** Codes of a flat list of typed numbers (records' phone fields one after another). */
export function encodePhones(phones: Phones, crmKey: (typed: string) => string | undefined): { codes: Float64Array; texts: Map<number, string> | undefined } {
  const codes = new Float64Array(phones.length);
  let texts: Map<number, string> | undefined;
  for (let i = 0; i < phones.length; i += 1) {
    const key = keyOfTyped(phones[i], crmKey);
    if (key === undefined || key === '') {
      codes[i] = NO_KEY;
      continue;
    }
    const code = encodeKey(key);
    if (code !== undefined) codes[i] = code;
    else {
      codes[i] = Number.NaN;
      (texts ??= new Map()).set(i, key);
    }
  }
  return { codes, texts };
}

/**
 * The phones of a page packed for a worker: one string and the length of each
 * number in it (-1: none), `width` fields per record. Cloning one string and
 * moving one buffer costs the main thread far less than cloning thousands of
 * small strings.
 */
export interface PackedPhones {
  readonly text: string;
  readonly lengths: Int32Array;
}

export function packPhones(records: readonly { readonly phones: Phones }[], width: number): PackedPhones {
  const lengths = new Int32Array(records.length * width);
  let text = ''; // a rope: cloning flattens it once
  for (let r = 0; r < records.length; r += 1) {
    const phones = (records[r] as { readonly phones: Phones }).phones;
    for (let f = 0; f < width; f += 1) {
      const typed = phones[f];
      if (typed === null || typed === undefined) lengths[r * width + f] = -1;
      else {
        lengths[r * width + f] = typed.length;
        text += typed;
      }
    }
  }
  return { text, lengths };
}

export function unpackPhones({ text, lengths }: PackedPhones): (string | null)[] {
  const phones = new Array<string | null>(lengths.length);
  let at = 0;
  for (let i = 0; i < lengths.length; i += 1) {
    const n = lengths[i] as number;
    if (n < 0) phones[i] = null;
    else {
      phones[i] = text.slice(at, at + n);
      at += n;
    }
  }
  return phones;
}

export type { EncodedKeys };
