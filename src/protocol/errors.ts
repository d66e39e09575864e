// The one base class of every typed error in the project. Subclasses carry a
// stable string `code` (documented where the error is defined) so callers,
// wire replies and the CLI can act on the kind of failure, not on its wording.

export abstract class CrmTapiError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Stable codes of `ProtocolError` (spec/protocol.md "Errors"). Framing:
 * frame-too-large, truncated-frame, invalid-utf8. XML: document-too-large,
 * malformed-xml, doctype-forbidden, entity-forbidden, too-deep, too-many-elements.
 * Messages: invalid-envelope (root is not `tapiaction`), unknown-channel,
 * unknown-command, missing-field, invalid-field (encoding uses the same codes).
 */
export const PROTOCOL_ERROR_CODES = [
  'frame-too-large',
  'truncated-frame',
  'invalid-utf8',
  'document-too-large',
  'malformed-xml',
  'doctype-forbidden',
  'entity-forbidden',
  'too-deep',
  'too-many-elements',
  'invalid-envelope',
  'unknown-channel',
  'unknown-command',
  'missing-field',
  'invalid-field',
] as const;
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/** What is known about the message that failed, so a receiver can address its error reply. */
export interface ProtocolErrorContext {
  channel?: string;
  command?: string;
  requestId?: string;
  /** Element path of the offending field, e.g. `lines/line[2]/name`. */
  field?: string;
}

/** Every failure of the codecs in src/protocol. Messages never quote secrets. */
export class ProtocolError extends CrmTapiError {
  readonly channel: string | undefined;
  readonly command: string | undefined;
  readonly requestId: string | undefined;
  readonly field: string | undefined;

  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    context: ProtocolErrorContext = {},
  ) {
    super(message);
    this.channel = context.channel;
    this.command = context.command;
    this.requestId = context.requestId;
    this.field = context.field;
  }
}
