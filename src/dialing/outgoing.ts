// Click to dial: a CRM number to the digits the PBX expects, with log lines
// like the manual's OutCallLog ("number 40 recognised as internal number",
// "converted number: 40 is dialled").
import { cleanNumber } from './clean.ts';
import { dialableCompanyExtension } from './company.ts';
import { toE164, type ParsedE164 } from './e164.ts';
import { DialingError } from './errors.ts';
import { normalizeDigits } from './normalize.ts';
import type { DialString, EffectiveDialingSettings, Outcome } from './types.ts';

interface Form {
  readonly digits: string;
  readonly how: string;
}

/** The ways to write an external number, shortest first, as rule 4 of the issue orders them. */
function candidateForms(p: ParsedE164, s: EffectiveDialingSettings): Form[] {
  const forms: Form[] = [];
  if (p.countryCode === s.countryCode) {
    // Without a national prefix there is no local dialling to tell apart from national.
    if (s.dialLocalWithoutAreaCode && s.areaCode !== '' && s.nationalPrefix !== '' && p.nationalNumber.startsWith(s.areaCode)) {
      forms.push({ digits: p.nationalNumber.slice(s.areaCode.length), how: 'in the own area without area code' });
    }
    forms.push({ digits: s.nationalPrefix + p.nationalNumber, how: 'as a national number' });
  }
  forms.push({ digits: s.internationalPrefix + p.countryCode + p.nationalNumber, how: 'as an international number' });
  return forms;
}

/**
 * A form is only dialled if the incoming rules read it back as the same
 * number: a short local number could otherwise look like an extension, or a
 * subscriber number starting with the national prefix like a national one.
 */
function readsBackAs(form: string, e164: string, s: EffectiveDialingSettings): boolean {
  const back = normalizeDigits(false, form, s, form);
  return back.ok && back.kind === 'external' && back.e164 === e164;
}

export function toDialString(number: string, s: EffectiveDialingSettings): Outcome<DialString> {
  const clean = cleanNumber(number);
  if (!clean.ok) return clean;
  const shown = number.trim();
  const trace: string[] = [];
  if (clean.suffixExtension !== undefined) {
    trace.push(`extension ${clean.suffixExtension} after the number is not dialled (it is reached through the switchboard)`);
  }
  if (!clean.plus && clean.digits.length <= s.maxInternalLength) {
    trace.push(`number ${shown} recognised as internal number`, `converted number: ${clean.digits} is dialled`);
    return { ok: true, kind: 'internal', extension: clean.digits, dial: clean.digits, trace };
  }
  const parsed = toE164(clean.plus, clean.digits, s, JSON.stringify(shown));
  if (!parsed.ok) return parsed;
  const { e164 } = parsed;

  const extension = dialableCompanyExtension(e164, s);
  if (extension !== undefined) {
    trace.push(`number ${shown} recognised as internal number ${extension} of the own company (${e164})`, `converted number: ${extension} is dialled`);
    return { ok: true, kind: 'internal', extension, dial: extension, trace };
  }

  trace.push(`number ${shown} recognised as external number ${e164}`);
  const skipped: string[] = [];
  for (const form of candidateForms(parsed, s)) {
    if (!readsBackAs(form.digits, e164, s)) {
      skipped.push(form.digits);
      continue;
    }
    const note = skipped.length > 0 ? ` (${skipped.join(', ')} would be read as another number)` : '';
    trace.push(`dialled ${form.how}${note}`);
    if (s.outsideLinePrefix !== '') trace.push(`outside-line prefix ${s.outsideLinePrefix} put in front`);
    const dial = s.outsideLinePrefix + form.digits;
    trace.push(`converted number: ${dial} is dialled`);
    return { ok: true, kind: 'external', e164, dial, trace };
  }
  return {
    ok: false,
    error: new DialingError('unparseable', `number ${JSON.stringify(shown)} (${e164}) has no dialled form that these settings read back as the same number`),
  };
}
