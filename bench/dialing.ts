// How fast the dialing rules normalise numbers: this bounds how fast the phone
// directory can be built. Run: npx tsx bench/dialing.ts [count]
// A mixed list of typed numbers (the library's example numbers of several
// countries with varied digits, in E.164, international, national, local and
// extension forms, a few broken) goes through normalizeCrmNumber, beside two
// baselines measured in the same run on the same list: libphonenumber-js's
// own parsePhoneNumberFromString (+ isPossible) and a digits-only strip (the floor).
//
// Requirement (exit 1 when missed): normalizeCrmNumber at least 1× the
// libphonenumber-js baseline, checked at 100,000 numbers or more (the default).
// Issue 4 asked for the figure, not a bound; this one is derived from
// docs/dialing.md's claim that a normalisation costs about one library parse,
// and issue 18's E.164 fast path lets plain numbers skip the library, so it
// must not be slower than the library alone. At every size every number must
// come back normalised or as a typed DialingError (a throw ends the run); that
// is all smaller sizes (`npm run bench -- --quick`) check.
import { getCountryCallingCode, getExampleNumber, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { DialingError, effectiveSettings, normalizeCrmNumber, toDialString } from '../src/dialing/index.ts';
import { verdict } from './support.ts';

const count = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(count) || count < 1000) {
  process.stderr.write('usage: npx tsx bench/dialing.ts [count ≥ 1000]\n');
  process.exit(2);
}

// Deterministic list: the same numbers in every run (mulberry32).
let seed = 0x5eed;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');

const settingsResult = effectiveSettings({ countryCode: '49', areaCode: '34361', baseNumber: '826', outsideLinePrefix: '0', maxInternalLength: 3 });
if (!settingsResult.ok) throw settingsResult.error;
const settings = settingsResult.settings;

const countries: CountryCode[] = ['DE', 'DE', 'DE', 'AT', 'CH', 'GB', 'US', 'FR', 'NL', 'IT'];
function typedNumber(): string {
  const roll = random();
  if (roll < 0.05) return digits(2 + Math.floor(random() * 2)); // internal extension
  if (roll < 0.12) return `${digits(3)}-${digits(2)}`; // local, as in "826-25"
  if (roll < 0.14) return pick(['1-800-FLOWERS', 'n/a', '', '+49 30 12a4567', 'unknown']); // ordinary bad data
  const country = pick(countries);
  const example = getExampleNumber(country, examples)?.nationalNumber ?? '301234567';
  const keep = Math.max(2, example.length - 4);
  const phone = parsePhoneNumberFromString(`+${getCountryCallingCode(country)}${example.slice(0, keep)}${digits(example.length - keep)}`);
  if (phone === undefined) return example;
  switch (Math.floor(random() * 4)) {
    case 0:
      return phone.number;
    case 1:
      return phone.formatInternational();
    case 2:
      return country === 'DE' ? phone.formatNational() : `00${phone.formatInternational().slice(1)}`;
    default:
      // the trunk prefix in brackets is written only where the trunk prefix is 0 and not part of the number
      return country === 'IT' || country === 'US' ? phone.formatInternational() : `+${phone.countryCallingCode} (0)${phone.nationalNumber}`;
  }
}
const list = Array.from({ length: count }, typedNumber);

interface Candidate {
  readonly name: string;
  readonly fn: (text: string) => unknown;
  best: number;
}

// Rounds interleave the candidates, so load from other processes on a shared
// machine hits all of them alike; the best round of each counts.
function measureAll(candidates: Candidate[], rounds = 5): void {
  for (const c of candidates) for (let i = 0; i < Math.min(list.length, 5000); i++) c.fn(list[i] as string); // warm up
  for (let round = 0; round < rounds; round++) {
    for (const c of candidates) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < list.length; i++) c.fn(list[i] as string);
      c.best = Math.min(c.best, Number(process.hrtime.bigint() - start) / 1e9);
    }
  }
}

let ok = 0;
const rejected = new Map<string, number>();
for (const text of list) {
  const r = normalizeCrmNumber(text, settings);
  if (r.ok) ok++;
  else if (r.error instanceof DialingError) rejected.set(r.error.code, (rejected.get(r.error.code) ?? 0) + 1);
  else throw new Error(`${JSON.stringify(text)} was refused without a typed DialingError`);
}

const floor: Candidate = { name: 'digits-only strip (floor)', fn: (text) => text.replace(/\D/g, ''), best: Infinity };
const baseline: Candidate = {
  name: 'libphonenumber-js parsePhoneNumberFromString + isPossible (baseline)',
  fn: (text) => parsePhoneNumberFromString(text, 'DE')?.isPossible(),
  best: Infinity,
};
const ours: Candidate = { name: 'normalizeCrmNumber', fn: (text) => normalizeCrmNumber(text, settings), best: Infinity };
const dial: Candidate = { name: 'toDialString', fn: (text) => toDialString(text, settings), best: Infinity };
measureAll([floor, baseline, ours, dial]);

process.stdout.write(`dialing benchmark: ${count} mixed numbers, ${ok} normalised, ${count - ok} rejected with a typed error (Node ${process.version})\n`);
process.stdout.write(`  rejected: ${[...rejected].map(([code, n]) => `${code} ${n}`).join(', ')}\n`);
for (const c of [floor, baseline, ours, dial]) {
  const perSecond = list.length / c.best;
  process.stdout.write(`  ${c.name.padEnd(72)} ${Math.round(perSecond).toLocaleString('en').padStart(12)} /s  ${(baseline.best / c.best).toFixed(2)}× baseline\n`);
}
const ratio = baseline.best / ours.best;
const figures = `normalizeCrmNumber ${ratio.toFixed(2)}× libphonenumber-js's parse (≥ 1×), ${count.toLocaleString('en')} numbers each normalised or refused with a typed error`;
verdict(count >= 100_000 ? ratio >= 1 : { notChecked: 'below 100,000 numbers (every number answered is checked)' }, figures);
