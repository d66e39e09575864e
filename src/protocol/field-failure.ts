// What decoding and encoding share: a field that fails (its path and reason, made into the
// ProtocolError only at the message's edge, where the channel and command are known) and the
// rules that span fields, checked the same way in both directions.
import { ProtocolError, type ProtocolErrorCode, type ProtocolErrorContext } from './errors.ts';

export type Fields = Record<string, unknown>;

export class Failure {
  constructor(
    readonly code: ProtocolErrorCode,
    readonly path: string,
    readonly reason: string,
  ) {}
}

/** Rules that span fields. Returns the offending path and reason, if any. */
export function crossFieldProblem(fields: Fields): Failure | undefined {
  if (typeof fields.ok === 'boolean') {
    if (!fields.ok && fields.error === undefined) return new Failure('missing-field', 'error', 'is required when ok is false');
    if (fields.ok && fields.error !== undefined) return new Failure('invalid-field', 'error', 'must be absent when ok is true');
  }
  if (fields.e164 !== undefined && fields.extension !== undefined) {
    return new Failure('invalid-field', 'extension', 'must be absent when e164 is present (a number is external or internal)');
  }
  if (typeof fields.firstTimestamp === 'string' && typeof fields.lastTimestamp === 'string' && fields.firstTimestamp > fields.lastTimestamp) {
    return new Failure('invalid-field', 'lastTimestamp', 'is earlier than firstTimestamp');
  }
  return undefined;
}

export function toError(failure: Failure, what: string, context: ProtocolErrorContext): ProtocolError {
  return new ProtocolError(failure.code, `${what}: <${failure.path}> ${failure.reason}`, { ...context, field: failure.path });
}
