// Typed failures of the dialing rules. The codes are stable: the CLI prints
// them, the phone directory counts them, the manager reports them to a client
// whose click could not be dialled. Messages quote the offending number (a
// phone number is CRM data, not a secret) so an admin can find the record.
import { CrmTapiError } from '../protocol/errors.ts';

export const DIALING_ERROR_CODES = [
  /** Nothing left after removing formatting. */
  'empty-number',
  /** A letter or symbol that is neither a digit, formatting nor a leading `+`. */
  'invalid-characters',
  /** More digits than any dialable number has (E.164 allows 15). */
  'too-long',
  /** Fewer digits than any number of that country has. */
  'too-short',
  /** The digits after `+` or the international prefix start no country code. */
  'invalid-country-code',
  /** A local number was given but no area code is configured. */
  'missing-area-code',
  /** The number has an allowed form but no possible number of its country matches it. */
  'unparseable',
  /** The settings themselves are wrong (bad digits, contradictory prefixes, missing country code). */
  'invalid-settings',
] as const;

export type DialingErrorCode = (typeof DIALING_ERROR_CODES)[number];

export class DialingError extends CrmTapiError {
  constructor(
    readonly code: DialingErrorCode,
    message: string,
  ) {
    super(message);
  }
}
