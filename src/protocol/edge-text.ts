// Text from outside made fit for the wire. From the phone system: a remote
// caller often controls the display name (a SIP From header) and sometimes the
// number; the connector makes each field fit at its edge and keeps the raw
// value for the log. From the CRM: names the manager puts into messages. An
// event is never dropped for its content. Pure functions, no I/O.
import { textProblem } from './fields.ts';
import { isXmlChar } from './xml-chars.ts';

/** U+FFFD: what a name shows where the caller sent something that cannot be shown. */
export const REPLACEMENT = '\uFFFD';

/**
 * Explicit bidirectional formatting: embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069) and the marks U+200E, U+200F, U+061C. In a
 * popup they can make "+49 30 1234" read as another number or reorder the
 * text around a name, so they are removed from what an agent sees.
 */
export function isBidiControl(cp: number): boolean {
  return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x200e || cp === 0x200f || cp === 0x061c;
}

/**
 * What a single-line XML 1.0 text field cannot carry, plus what is invisible
 * and meaningless in a phone number or name: C0 controls (tab and line breaks
 * included), DEL, C1 controls, lone surrogates and the non-characters U+FFFE/U+FFFF.
 */
function isUnfit(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0xfffe || cp === 0xffff;
}

/** Cuts to at most `max` UTF-16 code units without splitting a surrogate pair. */
export function cutText(value: string, max: number): string {
  if (value.length <= max) return value;
  const last = value.charCodeAt(max - 1);
  return value.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** Walks code points; a lone surrogate comes through as its own code unit. */
function map(value: string, replace: (cp: number) => string | undefined): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    const r = replace(cp);
    out += r === undefined ? ch : r;
  }
  return out;
}

/**
 * A phone number: unfit characters and bidi controls are removed (they are
 * not digits; removing them keeps `+49 30 12\r\n34567` findable in the CRM).
 */
export function edgeNumber(value: string, max: number): string {
  return cutText(map(value, (cp) => (isUnfit(cp) || isBidiControl(cp) ? '' : undefined)), max);
}

/**
 * A display name: unfit characters become U+FFFD (the agent sees that
 * something was there), bidi controls are removed.
 */
export function edgeName(value: string, max: number): string {
  return cutText(map(value, (cp) => (isBidiControl(cp) ? '' : isUnfit(cp) ? REPLACEMENT : undefined)), max);
}

/**
 * An identifier (line name, call id): unfit characters become U+FFFD; an
 * empty id becomes `?` (the wire requires one character). Ids come from the
 * driver, not from callers; the mapping is not reversible, so a command for a
 * call whose id had to be changed cannot reach it (logged when it happens).
 */
export function edgeId(value: string, max: number): string {
  const safe = cutText(map(value, (cp) => (isUnfit(cp) ? REPLACEMENT : undefined)), max);
  return safe === '' ? '?' : safe;
}

/**
 * Text from the CRM (contact, account and user names, line display names) made fit for a text field
 * of at most `max` characters: what `textProblem` refuses becomes a space (tab, line breaks) or U+FFFD
 * (other control characters, lone surrogates, code points XML cannot carry). Unlike `edgeName` it
 * keeps what the CRM shows (bidi marks, C1) and keeps a tab's place as a space. Content must never
 * stop a message: a contact whose name holds a tab would otherwise have its callers' popups refused.
 */
export function carryableText(value: string, max: number): string {
  if (value.length <= max && textProblem(value) === undefined) return value;
  return cutText(map(value, (cp) => (cp === 0x09 || cp === 0x0a || cp === 0x0d ? ' ' : cp < 0x20 || cp === 0x7f || !isXmlChar(cp) ? REPLACEMENT : undefined)), max);
}
