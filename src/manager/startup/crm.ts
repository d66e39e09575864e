// The first step of the start: a working CRM connection. The manual: the
// manager opens its ports only after it could connect to the CRM. Until
// then it tries again with capped, jittered back-off and says each time why
// it waits. Configuration problems (an unreadable CA file, an unset env:
// variable) cannot heal by waiting and end the start at once.
import { ConfigError } from '../../config/file.ts';
import { connect, type Connection, type ConnectOptions } from '../../dataverse/connection.ts';
import type { ConnectionConfig } from '../../dataverse/connection-config.ts';
import type { DataverseLogger } from '../../dataverse/web-api/types.ts';
import { CrmTapiError } from '../../protocol/errors.ts';

export class StartAbortedError extends CrmTapiError {
  readonly code = 'start-aborted';
}

export interface WaitForCrmOptions {
  logger: DataverseLogger;
  /** Longest wait between two attempts (CrmRetryMaxDelay). */
  maxDelayMs: number;
  firstDelayMs?: number;
  signal?: AbortSignal;
  connectOptions?: ConnectOptions;
  random?: () => number;
}

export interface CrmReady {
  connection: Connection;
  userId: string;
  organizationId: string;
  attempts: number;
}

/** Waits `ms`; a cancelled start rejects with StartAbortedError naming `what` it waited for. */
export function sleep(ms: number, signal: AbortSignal | undefined, what = 'the CRM'): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new StartAbortedError(`the start was cancelled while waiting for ${what}`));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new StartAbortedError(`the start was cancelled while waiting for ${what}`));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Connects and asks the CRM who we are (WhoAmI) until it answers. Each probe
 * makes one attempt (no inner retries), so the log shows every wait and why.
 */
export async function waitForCrm(config: ConnectionConfig, options: WaitForCrmOptions): Promise<CrmReady> {
  const random = options.random ?? Math.random;
  const first = options.firstDelayMs ?? 1_000;
  for (let attempt = 1; ; attempt += 1) {
    let probe: Connection | undefined;
    try {
      probe = await connect(config, { ...options.connectOptions, logger: options.logger, retry: { maxAttempts: 1 } });
      const who = await probe.client.whoAmI();
      await probe.client.close().catch(() => undefined);
      const connection = await connect(config, { ...options.connectOptions, logger: options.logger });
      options.logger.info({ attempts: attempt, userId: who.UserId, url: connection.webApiUrl }, 'connected to the CRM');
      return { connection, userId: who.UserId, organizationId: who.OrganizationId, attempts: attempt };
    } catch (err) {
      await probe?.client.close().catch(() => undefined);
      if (err instanceof ConfigError) throw err;
      const ceiling = Math.min(options.maxDelayMs, first * 2 ** Math.min(attempt - 1, 20));
      const delay = Math.round(ceiling / 2 + (ceiling / 2) * random());
      const code = err instanceof CrmTapiError ? err.code : 'error';
      options.logger.warn({ attempt, code, delayMs: delay }, `waiting for the CRM before opening the ports: ${code}: ${(err as Error).message}`);
      await sleep(delay, options.signal);
    }
  }
}
