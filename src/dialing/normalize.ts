// Incoming caller numbers and numbers typed into CRM records to one form:
// an internal extension or an E.164 number. The phone directory keys on it.
import { cleanNumber } from './clean.ts';
import { toE164 } from './e164.ts';
import type { EffectiveDialingSettings, NormalizedNumber, Outcome } from './types.ts';

/**
 * A caller number as the PBX reports it on the line whose settings are `s`:
 * the incoming direction code is removed if the number starts with it, a
 * number of at most `maxInternalLength` digits is an internal extension, any
 * other becomes E.164.
 */
export function normalizeIncoming(callerNumber: string, s: EffectiveDialingSettings): Outcome<NormalizedNumber> {
  const clean = cleanNumber(callerNumber);
  if (!clean.ok) return clean;
  let { digits } = clean;
  const code = s.incomingDirectionCode;
  // A caller that is nothing but the direction code keeps it: it is then an extension, not an empty number.
  if (!clean.plus && code !== '' && digits.length > code.length && digits.startsWith(code)) digits = digits.slice(code.length);
  return normalizeDigits(clean.plus, digits, s, callerNumber);
}

/**
 * A number typed into a CRM record (contact, account, lead). A CRM record
 * belongs to no site, so callers pass the default record's settings
 * (DESIGN.md, clarification of issue 4). Same rules as a dialled number.
 */
export function normalizeCrmNumber(typedNumber: string, s: EffectiveDialingSettings): Outcome<NormalizedNumber> {
  const clean = cleanNumber(typedNumber);
  if (!clean.ok) return clean;
  return normalizeDigits(clean.plus, clean.digits, s, typedNumber);
}

/** The shared tail of both: short means internal, everything else E.164. */
export function normalizeDigits(plus: boolean, digits: string, s: EffectiveDialingSettings, shown: string): Outcome<NormalizedNumber> {
  if (!plus && digits.length <= s.maxInternalLength) return { ok: true, kind: 'internal', extension: digits };
  const parsed = toE164(plus, digits, s, JSON.stringify(shown));
  if (!parsed.ok) return parsed;
  return { ok: true, kind: 'external', e164: parsed.e164 };
}
