// The fast path of E.164 parsing. libphonenumber-js spends several
// microseconds and many allocations on each number; the phone directory
// normalises a million of them per build. Most numbers are plain: a calling
// code that belongs to one country, then a national number of a possible
// length that does not start with that country's national prefix. For those
// the answer follows from the library's own metadata (`/max`) without
// parsing; anything else (shared or non-geographic calling codes, a national
// prefix after the country code, an impossible length) returns undefined and
// goes to libphonenumber-js. test/dialing/e164-fast.property.test.ts checks
// that both agree on every number the fast path answers.
import { Metadata } from 'libphonenumber-js/max';

interface Plan {
  /** Possible lengths of the national significant number (libphonenumber's general description). */
  readonly lengths: ReadonlySet<number>;
  /** What the library strips after the calling code (national prefix for parsing); a number it matches is left to the library. */
  readonly prefix: RegExp | undefined;
}

/** The parts of the library's Metadata class this module reads (its typings list fewer). */
interface MetadataReader {
  countryCallingCodes(): Record<string, readonly string[]>;
  selectNumberingPlan(country: string): void;
  possibleLengths(): readonly number[] | undefined;
  nationalPrefixForParsing(): string | undefined;
}

/** Every calling code the library knows, and the plan of those the fast path may answer for. */
const { callingCodes, plans } = (() => {
  const metadata = new Metadata() as unknown as MetadataReader;
  const codes = new Set<string>();
  const byCode = new Map<string, Plan>();
  for (const [code, countries] of Object.entries(metadata.countryCallingCodes())) {
    codes.add(code);
    const [country] = countries;
    // "001" is the library's name for non-geographic numbering plans (+800, +882, …).
    if (countries.length !== 1 || country === undefined || country === '001') continue;
    metadata.selectNumberingPlan(country);
    const lengths = metadata.possibleLengths();
    if (lengths === undefined || lengths.length === 0) continue;
    const prefix = metadata.nationalPrefixForParsing();
    byCode.set(code, { lengths: new Set(lengths), prefix: prefix ? new RegExp(`^(?:${prefix})`) : undefined });
  }
  return { callingCodes: codes, plans: byCode };
})();

/** The library's bounds on a national significant number. */
const MIN_NATIONAL = 2;
const MAX_NATIONAL = 17;

export interface FastE164 {
  readonly e164: string;
  readonly countryCode: string;
  readonly nationalNumber: string;
}

/**
 * What `parsePhoneNumberFromString('+' + digits)` would give for a possible
 * number, when it is plain enough to know without parsing; undefined otherwise
 * (the caller then asks the library). `digits` holds digits only.
 */
export function fastE164(digits: string): FastE164 | undefined {
  // The library takes the shortest prefix that is a calling code; calling codes have 1 to 3 digits.
  for (let n = 1; n <= 3 && n < digits.length; n += 1) {
    const code = digits.slice(0, n);
    if (!callingCodes.has(code)) continue;
    const plan = plans.get(code);
    if (plan === undefined) return undefined;
    const national = digits.slice(n);
    if (national.length < MIN_NATIONAL || national.length > MAX_NATIONAL || !plan.lengths.has(national.length)) return undefined;
    if (plan.prefix?.test(national)) return undefined;
    return { e164: `+${digits}`, countryCode: code, nationalNumber: national };
  }
  return undefined;
}
