// Step 2: digits plus the settings to an E.164 number. The prefixes decide
// which part of the number is already there (international, national, local);
// libphonenumber-js then splits off the country code and checks the length
// against the country's numbering plan, and drops a trunk "0" written after
// the country code ("+49 (0)30 …"). Plain numbers take a fast path
// (e164-fast.ts) that reads the same metadata without parsing.
import { parsePhoneNumberFromString, validatePhoneNumberLength } from 'libphonenumber-js/max';
import { fastE164 } from './e164-fast.ts';
import { DialingError } from './errors.ts';
import type { EffectiveDialingSettings, Outcome } from './types.ts';

export interface ParsedE164 {
  /** "+4934361826025" */
  readonly e164: string;
  readonly countryCode: string;
  /** The national significant number: without country code and national prefix. */
  readonly nationalNumber: string;
}

function parseInternational(digits: string, shown: string): Outcome<ParsedE164> {
  // Plain numbers need no parsing; the fast path defers everything else to the library.
  const fast = fastE164(digits);
  if (fast !== undefined) return { ok: true, ...fast };
  const phone = parsePhoneNumberFromString(`+${digits}`);
  if (phone !== undefined && phone.isPossible()) {
    return { ok: true, e164: phone.number, countryCode: phone.countryCallingCode, nationalNumber: phone.nationalNumber };
  }
  switch (validatePhoneNumberLength(`+${digits}`)) {
    case 'INVALID_COUNTRY':
      return { ok: false, error: new DialingError('invalid-country-code', `number ${shown}: +${digits.slice(0, 3)}… starts with no country code`) };
    case 'TOO_SHORT':
      return { ok: false, error: new DialingError('too-short', `number ${shown}: +${digits} is too short for its country`) };
    case 'TOO_LONG':
      return { ok: false, error: new DialingError('too-long', `number ${shown}: +${digits} is too long for its country`) };
    default:
      return { ok: false, error: new DialingError('unparseable', `number ${shown}: +${digits} has a length no number of its country has`) };
  }
}

/**
 * The E.164 form of a cleaned number. `plus`: it began with "+". Otherwise a
 * leading international prefix means international, a leading national prefix
 * national in the own country, anything else local in the own area. A local
 * reading that is impossible while the digits form a complete national number
 * is read as national: North Americans type ten digits without the "1".
 */
export function toE164(plus: boolean, digits: string, s: EffectiveDialingSettings, shown: string): Outcome<ParsedE164> {
  if (plus) return parseInternational(digits, shown);
  if (s.internationalPrefix !== '' && digits.startsWith(s.internationalPrefix)) {
    return parseInternational(digits.slice(s.internationalPrefix.length), shown);
  }
  // Without a national prefix (closed numbering plans such as Italy's) every number is national.
  if (s.nationalPrefix === '') return parseInternational(s.countryCode + digits, shown);
  if (digits.startsWith(s.nationalPrefix)) return parseInternational(s.countryCode + digits.slice(s.nationalPrefix.length), shown);
  if (s.areaCode === '') {
    const national = parseInternational(s.countryCode + digits, shown);
    if (national.ok) return national;
    return { ok: false, error: new DialingError('missing-area-code', `number ${shown} is a local number but no area code is set`) };
  }
  const local = parseInternational(s.countryCode + s.areaCode + digits, shown);
  if (local.ok) return local;
  const national = parseInternational(s.countryCode + digits, shown);
  return national.ok ? national : local;
}
