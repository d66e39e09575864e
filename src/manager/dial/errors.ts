// Stable codes a client receives in `dialResult` / `callControlResult`
// (docs/manager-clients.md lists them with their meaning).
import type { WireError } from '../../protocol/index.ts';

export const DIAL_ERROR_CODES = [
  'line-not-entitled',
  'line-settings-invalid',
  'not-a-phone-number',
  'rate-limited',
  'connector-offline',
  'command-timeout',
  'pbx-refused',
  'unknown-call',
  'shutting-down',
  /** 1.1: the line's phone system does not offer this call control (hold, transfer, consult, conference). */
  'control-not-supported',
] as const;
export type DialErrorCode = (typeof DIAL_ERROR_CODES)[number];

export function wireError(code: DialErrorCode, message: string): WireError {
  return { code, message: message.slice(0, 1024) };
}

/** The connector side's failure codes, mapped to what a user can act on. */
export function fromConnector(error: WireError, line: string): WireError {
  switch (error.code) {
    case 'connector-offline':
    case 'unknown-line':
      return wireError('connector-offline', `line ${line} is not available: its connector is not connected`);
    case 'command-timeout':
      return wireError('command-timeout', `the connector of line ${line} did not answer in time`);
    case 'shutting-down':
      return wireError('shutting-down', 'the manager is shutting down');
    case 'unknown-call':
    case 'no-such-call':
      return wireError('unknown-call', 'the telephone system no longer knows this call');
    case 'not-supported':
      return wireError('control-not-supported', `the telephone system of line ${line} does not offer this: ${error.message}`);
    default:
      return wireError('pbx-refused', `the telephone system refused: ${error.message} (${error.code})`);
  }
}
