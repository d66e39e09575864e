// Numbers shown one way everywhere (popup, missed list, dial box, lines):
// libphonenumber's international format when the number is known in E.164,
// the number as the PBX or the agent wrote it otherwise (extensions, short
// codes). The raw value always goes into a tooltip beside the formatted one.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { LineDialingSettings } from '../protocol/index.ts';
import { toDialString } from '../dialing/outgoing.ts';

export interface ShownNumber {
  /** What the agent reads. */
  text: string;
  /** The value as received or typed (the tooltip). */
  raw: string;
}

/** `+442079460321` → `+44 20 7946 0321`; anything libphonenumber cannot read stays as it was. */
export function internationalFormat(e164: string): string | undefined {
  if (!/^\+[1-9]\d{1,14}$/.test(e164)) return undefined;
  const p = parsePhoneNumberFromString(e164);
  return p === undefined ? undefined : p.formatInternational();
}

/** A call's other party: the manager's E.164 when it sent one, else a number that already carries its country code. */
export function showNumber(raw: string, e164?: string): ShownNumber {
  const r = raw.trim();
  const compact = r.replace(/[\s().\-/]/g, '');
  const text = (e164 === undefined ? undefined : internationalFormat(e164)) ?? (compact.startsWith('+') ? internationalFormat(compact) : undefined) ?? r;
  return { text, raw: r };
}

/** What a typed or clicked number is on a line: where the dialing rules understand it, its E.164 (or extension). */
export interface DialTarget {
  /** The digits the PBX will dial on this line. */
  dial: string;
  shown: ShownNumber;
}

/** Undefined when the line's dialing rules cannot read the number (`hello`, an empty string, 40 digits). */
export function dialTarget(number: string, dialing: LineDialingSettings): DialTarget | undefined {
  const r = toDialString(number, dialing);
  if (!r.ok) return undefined;
  return { dial: r.dial, shown: r.kind === 'external' ? showNumber(number, r.e164) : { text: r.extension, raw: number.trim() } };
}
