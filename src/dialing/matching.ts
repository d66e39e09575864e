// How the phone directory finds a record for a caller. Records are stored
// under `directoryKey` of their normalised number; a caller's `matchKeys` are
// tried in order and the first key with records wins.
import { companyExtension, companyNumberOf, companyPrefix } from './company.ts';
import type { EffectiveDialingSettings, NormalizedNumber } from './types.ts';

/** The key a normalised number is stored under: its E.164 form, or "ext:<digits>" for an extension. */
export function directoryKey(n: NormalizedNumber): string {
  return n.kind === 'external' ? n.e164 : `ext:${n.extension}`;
}

/**
 * Keys to look up for a caller, best first. An external caller matches its own
 * E.164 number; failing that, a caller from the company's range (base number
 * plus any extension) matches the base number, so calls from a company's
 * switchboard range find the company. An internal caller matches records
 * typed with its extension, then the company's full number for it.
 */
export function matchKeys(n: NormalizedNumber, s: EffectiveDialingSettings): string[] {
  if (n.kind === 'internal') {
    const full = companyNumberOf(n.extension, s);
    return full === undefined ? [directoryKey(n)] : [directoryKey(n), full];
  }
  const base = companyExtension(n.e164, s) === undefined ? undefined : companyPrefix(s);
  return base === undefined ? [n.e164] : [n.e164, base];
}
