// Typed errors of the phone directory. Codes are stable; docs/directory-and-outbox.md lists them.
import { CrmTapiError } from '../../protocol/errors.ts';

export type DirectoryErrorCode =
  /** `IncallPhoneFields` or the phone-field configuration is malformed. */
  | 'invalid-phone-fields'
  /** `RefreshTelephoneNumberTime`, the interval or the time zone is malformed. */
  | 'invalid-schedule'
  /** The snapshot file is not a snapshot, has another version, or fails its checksum. */
  | 'snapshot-corrupt'
  /** The snapshot was written for other phone fields or dialing settings. */
  | 'snapshot-stale'
  /** The snapshot could not be written. */
  | 'snapshot-write-failed'
  /** The delta link of an entity expired: that entity needs a full resync. */
  | 'delta-expired'
  /** Reading the CRM failed (the cause holds the client's error). */
  | 'source-failed'
  /** The index cannot hold more records or fields than its packed layout allows. */
  | 'index-full'
  /** The scheduler was stopped before a requested refresh could run. */
  | 'stopped';

export class DirectoryError extends CrmTapiError {
  constructor(
    readonly code: DirectoryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
