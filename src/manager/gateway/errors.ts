// Typed failures of the connector gateway. The codes double as the `code` of
// the `error` replies a connector receives (spec: connector channel), so a
// connector can act on the kind of refusal.
import { CrmTapiError } from '../../protocol/errors.ts';

export const GATEWAY_ERROR_CODES = [
  /** The connector key of `register` is not among ConnectorKeys. */
  'unauthorized',
  /** `register` names a protocol major version we do not speak. */
  'unsupported-version',
  /** A message other than `register` before registration. */
  'not-registered',
  /** A message a connector never sends (e.g. `ack`, `makeCall`). */
  'unexpected-message',
  /** A connector reports more lines or hosts than the gateway keeps. */
  'too-many-lines',
  'too-many-connectors',
  /** The listener could not be opened (port in use, bad address, TLS material). */
  'listen-failed',
  'tls-material',
] as const;
export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

export class GatewayError extends CrmTapiError {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
