// Start-up steps after the first CRM contact (creating the default and site
// records) can still meet a CRM that hiccups: they are repeated with the same
// capped back-off as the connection itself, saying why each time.
import type { DataverseLogger } from '../../dataverse/web-api/types.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { StartAbortedError } from './crm.ts';

export interface RetryOptions {
  logger: DataverseLogger;
  maxDelayMs: number;
  firstDelayMs: number;
  signal?: AbortSignal;
}

export async function retrying<T>(what: string, options: RetryOptions, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (err) {
      if (options.signal?.aborted) throw new StartAbortedError(`the start was cancelled while retrying ${what}`);
      const delay = Math.min(options.maxDelayMs, options.firstDelayMs * 2 ** Math.min(attempt - 1, 20));
      const code = err instanceof CrmTapiError ? err.code : 'error';
      options.logger.warn({ attempt, code, delayMs: delay }, `waiting to retry ${what}: ${code}: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
