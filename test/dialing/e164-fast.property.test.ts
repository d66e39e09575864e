// The E.164 fast path (src/dialing/e164-fast.ts) against libphonenumber-js
// with its `/max` metadata: for generated numbers under every calling code
// the library knows, whatever the fast path answers must be exactly what the
// library answers (the number is possible, same E.164 form, same calling code
// and national number). Where it defers, the library decides anyway.
//
// DIALING_DIFFERENTIAL_NUMBERS sets how many numbers (default 200,000, CI-sized);
// DIALING_DIFFERENTIAL_SEED replays a run. The millions run:
//   DIALING_DIFFERENTIAL_NUMBERS=5000000 npx vitest run test/dialing/e164-fast.property.test.ts
import { describe, expect, it } from 'vitest';
import { Metadata, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { fastE164 } from '../../src/dialing/e164-fast.ts';
import { prng as random } from '../../simulator/dataverse/faults.ts';

const NUMBERS = Number(process.env.DIALING_DIFFERENTIAL_NUMBERS ?? 200_000);
const SEED = Number(process.env.DIALING_DIFFERENTIAL_SEED ?? Date.now() % 2 ** 31);
/** Generous: the library takes several microseconds a number, far more on a loaded machine. */
const BUDGET_MS = 60_000 + NUMBERS * 0.5;

interface Reader {
  countryCallingCodes(): Record<string, readonly string[]>;
  selectNumberingPlan(country: string): void;
  possibleLengths(): readonly number[] | undefined;
}

describe('E.164 fast path against libphonenumber-js (/max)', () => {
  it(`agrees on every number it answers (${NUMBERS.toLocaleString('en')} numbers, seed ${SEED})`, () => {
    const metadata = new Metadata() as unknown as Reader;
    const plans = Object.entries(metadata.countryCallingCodes()).map(([code, countries]) => {
      metadata.selectNumberingPlan(countries[0] as string);
      return { code, lengths: metadata.possibleLengths() ?? [] };
    });
    const next = random(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
    const mismatches: string[] = [];
    let answered = 0;
    for (let i = 0; i < NUMBERS; i += 1) {
      const { code, lengths } = pick(plans);
      const length = lengths.length > 0 && next() < 0.7 ? pick(lengths) : 1 + Math.floor(next() * 17);
      let national = next() < 0.2 ? '0' : String(1 + Math.floor(next() * 9));
      while (national.length < length) national += String(Math.floor(next() * 10));
      const digits = code + national.slice(0, length);
      const fast = fastE164(digits);
      if (fast === undefined) continue;
      answered += 1;
      const phone = parsePhoneNumberFromString(`+${digits}`);
      const lib = phone?.isPossible() ? { e164: phone.number, countryCode: phone.countryCallingCode, nationalNumber: phone.nationalNumber } : 'not possible';
      if (JSON.stringify(lib) !== JSON.stringify(fast) && mismatches.length < 20) mismatches.push(`+${digits}: fast ${JSON.stringify(fast)}, library ${JSON.stringify(lib)}`);
    }
    expect(mismatches).toStrictEqual([]);
    // The fast path must carry a real share of the numbers, or the comparison proves little.
    expect(answered).toBeGreaterThan(NUMBERS * 0.3);
  }, BUDGET_MS);

  it('defers what is not plain: shared and non-geographic calling codes, a national prefix, impossible lengths', () => {
    expect(fastE164('4930123456')).toEqual({ e164: '+4930123456', countryCode: '49', nationalNumber: '30123456' });
    expect(fastE164('12025550123')).toBeUndefined(); // +1 is shared by the NANP countries
    expect(fastE164('80012345678')).toBeUndefined(); // +800 is non-geographic
    expect(fastE164('49030123456')).toBeUndefined(); // a trunk 0 after the calling code: the library drops it
    expect(fastE164('491')).toBeUndefined();
    expect(fastE164('49')).toBeUndefined();
  });
});
