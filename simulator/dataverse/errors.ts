// Typed errors of the simulated Dataverse. Two kinds:
// - SimulatorError: the simulator itself cannot start or run (bad seed files, bad options).
// - ODataError: a request failed the way real Dataverse fails it; it carries the HTTP status
//   and the hexadecimal error code Dataverse puts into `{"error":{"code":"0x…","message":"…"}}`.
import { CrmTapiError } from '../../src/protocol/errors.ts';

export type SimulatorErrorCode =
  | 'sim-metadata-invalid'
  | 'sim-seed-invalid'
  | 'sim-seed-unreadable'
  | 'sim-options-invalid'
  | 'sim-persistence-failed'
  | 'sim-tls-unavailable';

export class SimulatorError extends CrmTapiError {
  constructor(
    readonly code: SimulatorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Dataverse error codes the simulator answers with. Values are the codes real Dataverse
 * returns (see docs/simulated-dataverse.md for the sources); the keys are our names.
 */
export const DV = {
  objectDoesNotExist: '0x80040217',
  duplicateRecord: '0x80040237',
  privilegeDenied: '0x80040220',
  impersonationDenied: '0x80040220',
  invalidArgument: '0x80040203',
  queryBuilderNoAttribute: '0x8006088a',
  resourceNotFound: '0x80060888',
  badRequestSyntax: '0x80060888',
  preconditionFailed: '0x80060882',
  concurrencyVersionMismatch: '0x80060882',
  invalidDeltaToken: '0x80044352',
  changeTrackingDisabled: '0x80044353',
  rateLimitRequests: '0x80072322',
  rateLimitExecutionTime: '0x80072321',
  rateLimitConcurrency: '0x80072326',
  userDisabled: '0x8004e00c',
  unexpected: '0x80040216',
  unknownOrganization: '0x8004a101',
  entityNotInMetadata: '0x80041102',
} as const;

export class ODataError extends CrmTapiError {
  constructor(
    readonly status: number,
    /** The Dataverse hexadecimal code, e.g. `0x80040217`. */
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}
