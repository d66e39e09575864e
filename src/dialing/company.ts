// The company's own number range: `+<country><area><base><extension>`.
import type { EffectiveDialingSettings } from './types.ts';

/** The E.164 digits every number of the company starts with, or undefined without a base number. */
export function companyPrefix(s: EffectiveDialingSettings): string | undefined {
  return s.baseNumber === '' ? undefined : `+${s.countryCode}${s.areaCode}${s.baseNumber}`;
}

/** The extension part of a number in the company's own range (non-empty), else undefined. */
export function companyExtension(e164: string, s: EffectiveDialingSettings): string | undefined {
  const prefix = companyPrefix(s);
  if (prefix === undefined || e164.length <= prefix.length || !e164.startsWith(prefix)) return undefined;
  return e164.slice(prefix.length);
}

/**
 * The extension to dial internally for a company number, if it is one a
 * person can dial inside the PBX: at most `maxInternalLength` digits and not
 * starting with the outside-line prefix (an extension "0…" would seize a line).
 */
export function dialableCompanyExtension(e164: string, s: EffectiveDialingSettings): string | undefined {
  const ext = companyExtension(e164, s);
  if (ext === undefined || ext.length > s.maxInternalLength) return undefined;
  if (s.outsideLinePrefix !== '' && ext.startsWith(s.outsideLinePrefix)) return undefined;
  return ext;
}

/** The E.164 number of an extension in the company's range, or undefined without a base number. */
export function companyNumberOf(extension: string, s: EffectiveDialingSettings): string | undefined {
  const prefix = companyPrefix(s);
  return prefix === undefined ? undefined : prefix + extension;
}
