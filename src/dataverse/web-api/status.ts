// Turns an HTTP error response into a DataverseError: the status picks the
// code, the OData error body adds its own code and message. Change-tracking
// failures are recognised by their Dataverse error codes (and, for servers
// that phrase them differently, by the message) because callers must react
// to them specifically: a full read instead of a delta.
import { DataverseError, type DataverseErrorCode } from './errors.ts';
import { parseODataError } from './odata.ts';
import { parseRetryAfter } from './retry.ts';
import type { HttpResponse } from './types.ts';

/** ExpiredVersionStamp: "Version stamp associated with the client has expired. Please perform a full sync." */
export const DELTA_EXPIRED_CODES: ReadonlySet<string> = new Set(['0x80044352']);
/** ChangeTrackingNotEnabled for the entity. */
export const CHANGE_TRACKING_OFF_CODES: ReadonlySet<string> = new Set(['0x80044353', '0x80072491']);

const MAX_MESSAGE = 300;

export function statusError(res: HttpResponse, what: string, attempts: number): DataverseError {
  const odata = parseODataError(res.body);
  const serverText = odata.message === undefined ? '' : `: ${truncate(odata.message)}`;
  const odataCode = odata.code;
  const code = classify(res.status, odataCode, odata.message ?? '');
  const codePart = odataCode === undefined ? '' : ` ${odataCode}`;
  return new DataverseError(code, `${what}: HTTP ${res.status}${codePart}${serverText}`, {
    status: res.status,
    odataCode,
    request: what,
    attempts,
    retryAfterMs: parseRetryAfter(res.headers['retry-after'], Date.now()),
  });
}

function classify(status: number, odataCode: string | undefined, message: string): DataverseErrorCode {
  if (odataCode !== undefined && DELTA_EXPIRED_CODES.has(odataCode)) return 'delta-expired';
  if (odataCode !== undefined && CHANGE_TRACKING_OFF_CODES.has(odataCode)) return 'change-tracking-disabled';
  if (status === 400 || status === 410) {
    if (/version stamp|delta token|full sync/i.test(message) && /expire/i.test(message)) return 'delta-expired';
    if (/change tracking/i.test(message) && /not enabled|disabled/i.test(message)) return 'change-tracking-disabled';
  }
  switch (status) {
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not-found';
    case 409: return 'conflict';
    case 412: return 'precondition-failed';
    case 429: return 'throttled';
    default:
      return status >= 500 ? 'server-error' : 'bad-request';
  }
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_MESSAGE ? `${oneLine.slice(0, MAX_MESSAGE)}…` : oneLine;
}
