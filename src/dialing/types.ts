// The values the dialing rules take and give. Pure data: no behaviour here.
import type { DialingError } from './errors.ts';

/**
 * One record's phone settings as read from the CRM (default, site or user
 * line record) or a settings file. Every field is optional; `undefined`,
 * `null` and the empty (or blank) string all mean "not set here, inherit".
 * Prefixes are strings because "00" and "0" differ; codes and lengths may
 * come as numbers because CRM integer fields deliver them that way.
 */
export interface DialingSettings {
  /** Auslandsvorwahl, e.g. "00" (DE), "011" (US). */
  internationalPrefix?: string | null;
  /** Inlandsvorwahl, e.g. "0" (DE), "1" (US). */
  nationalPrefix?: string | null;
  /** Landeskennzahl, e.g. "49" (a leading "+" is accepted). */
  countryCode?: string | number | null;
  /** Vorwahl/Ortskennzahl without the national prefix, e.g. "34361" (the manual's form shows "34.361"). */
  areaCode?: string | number | null;
  /** Einwahlnummer: the company's number without extension, e.g. "826". */
  baseNumber?: string | number | null;
  /** Amtsvorwahl: dialled in front of every external number, e.g. "0". */
  outsideLinePrefix?: string | null;
  /** Richtungskennzahl: the PBX puts it in front of incoming external caller numbers; often empty. */
  incomingDirectionCode?: string | null;
  /** Länge interne Nummer: numbers of at most this many digits are internal extensions. */
  maxInternalLength?: number | string | null;
  /** Dial numbers in the own area without the area code (default true). */
  dialLocalWithoutAreaCode?: boolean | string | null;
}

/** The three record kinds whose settings are merged (manual: Standard → Standort → Benutzer). */
export interface DialingSettingsLayers {
  default: DialingSettings;
  site?: DialingSettings | null;
  userLine?: DialingSettings | null;
}

/**
 * Fully resolved and validated settings: digits only, nothing undefined.
 * An empty string means "none" (no outside-line prefix, no direction code,
 * no area code, no base number, no national prefix).
 */
export interface EffectiveDialingSettings {
  readonly internationalPrefix: string;
  readonly nationalPrefix: string;
  readonly countryCode: string;
  readonly areaCode: string;
  readonly baseNumber: string;
  readonly outsideLinePrefix: string;
  readonly incomingDirectionCode: string;
  readonly maxInternalLength: number;
  readonly dialLocalWithoutAreaCode: boolean;
}

/** A number after normalisation: an internal extension or an E.164 number ("+4934361826025"). */
export type NormalizedNumber = { readonly kind: 'internal'; readonly extension: string } | { readonly kind: 'external'; readonly e164: string };

/** What to hand to the PBX for a click, with the manual-style log lines that explain it. */
export type DialString = (
  | { readonly kind: 'internal'; readonly extension: string }
  | { readonly kind: 'external'; readonly e164: string }
) & {
  /** The exact digits the PBX dials (outside-line prefix included for external numbers). */
  readonly dial: string;
  /** Log lines like the manual's OutCallLog ("number 40 recognised as internal number", …). */
  readonly trace: readonly string[];
};

/** Ordinary bad data is a value, not an exception: the phone directory normalises millions of numbers. */
export type Failure = { readonly ok: false; readonly error: DialingError };
export type Outcome<T> = ({ readonly ok: true } & T) | Failure;

export type SettingsOutcome = { readonly ok: true; readonly settings: EffectiveDialingSettings } | Failure;
