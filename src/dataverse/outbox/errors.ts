// Typed errors of the durable outbox. Codes are stable; docs/directory-and-outbox.md lists them.
import { CrmTapiError } from '../../protocol/errors.ts';

export type OutboxErrorCode =
  /** A record handed to the outbox is malformed (the message names the field). */
  | 'invalid-record'
  /** A write with this id is already in the outbox or its dead letters. */
  | 'duplicate-id'
  /** No dead letter with this id. */
  | 'not-found'
  /** The database file cannot be opened, is not an outbox, or has a newer layout. */
  | 'store-unavailable'
  /** The outbox was closed. */
  | 'closed';

export class OutboxError extends CrmTapiError {
  constructor(
    readonly code: OutboxErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
