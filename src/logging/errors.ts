import { CrmTapiError } from '../protocol/errors.ts';

/** `log-file-unwritable`: `LogFile` cannot be created or opened for writing. */
export type LogErrorCode = 'log-file-unwritable';

export class LogError extends CrmTapiError {
  constructor(
    readonly code: LogErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
