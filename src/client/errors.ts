// Typed errors of the browser client. Codes are stable: the diagnostic log
// and the tests act on them, never on the wording.
import { CrmTapiError } from '../protocol/errors.ts';

export const CLIENT_ERROR_CODES = [
  'not-connected',
  'request-timeout',
  'no-manager-url',
  'invalid-manager-url',
  'crm-request-failed',
  'sign-in-failed',
  'no-line',
  'invalid-number',
  'no-xrm',
  'not-admin',
  'refused',
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

export class ClientError extends CrmTapiError {
  /** HTTP status of a failed CRM request, when there was one. */
  readonly status: number | undefined;

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }
}
