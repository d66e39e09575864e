// TAPI's asynchronous requests: lineMakeCall, lineAnswer, lineDrop, lineHold,
// lineUnhold, lineBlindTransfer, lineSetupTransfer, lineDial and
// lineCompleteTransfer return a request id at once and answer later with LINE_REPLY. One promise per request
// id, settled by its reply or failed after the timeout (the TSP never replied).
import { LineProviderError } from '../../line-provider.ts';
import type { TapiMessage } from './binding.ts';
import { lineErrorName, providerCodeOf } from './mapping.ts';

interface Pending {
  readonly what: string;
  readonly onSuccess: ((message: TapiMessage) => void) | undefined;
  resolve(message: TapiMessage): void;
  reject(error: Error): void;
  readonly timer: NodeJS.Timeout;
}

export class TapiRequests {
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly timeoutMs: number) {}

  /**
   * Waits for the LINE_REPLY of request `id` (already sent as `what`).
   * `onSuccess` runs synchronously with a successful reply, before the next
   * message is handled: a new call handle must be known before its first state.
   */
  await(id: number, what: string, onSuccess?: (message: TapiMessage) => void): Promise<TapiMessage> {
    return new Promise<TapiMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LineProviderError('provider-down', `${what}: no LINE_REPLY within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { what, onSuccess, resolve, reject, timer });
    });
  }

  /** Settles the request a LINE_REPLY answers; returns its result (undefined for a reply nobody waits for). */
  reply(message: TapiMessage): number | undefined {
    const request = this.pending.get(message.param1);
    if (request === undefined) return undefined;
    this.pending.delete(message.param1);
    clearTimeout(request.timer);
    const result = message.result ?? 0;
    if (result === 0) {
      request.onSuccess?.(message);
      request.resolve(message);
    }
    else request.reject(new LineProviderError(providerCodeOf(result), `${request.what} failed: ${lineErrorName(result)}`));
    return result;
  }

  /** Fails every request still waiting (the session is ending: its replies will never come). */
  failAll(reason: string): void {
    for (const [id, request] of this.pending) {
      clearTimeout(request.timer);
      request.reject(new LineProviderError('provider-down', `${request.what} was not answered: ${reason}`));
      this.pending.delete(id);
    }
  }
}
