// The manager's commands, carried out on the line provider and answered with
// the request id and a result. Failures are typed: the provider's codes pass
// through unchanged, ours are `reject-disabled`, `shutting-down`, `timeout`
// and `internal` (spec/protocol.md, connector channel).
import type { Logger } from 'pino';
import type { MakeCallMessage, ReinitializeMessage, ResultMessage, CallCommandMessage, WireError } from '../protocol/index.ts';
import { LineProviderError, type LineProvider } from './line-provider.ts';
import { wireCallId } from './wire.ts';

export type CommandMessage = MakeCallMessage | CallCommandMessage | ReinitializeMessage;

export const CONNECTOR_COMMAND_ERROR_CODES = ['reject-disabled', 'shutting-down', 'timeout', 'internal'] as const;

export interface CommandContext {
  provider: LineProvider;
  /** Lines reported to the manager; commands on any other line are refused as unknown. */
  isReported(line: string): boolean;
  /** The live `RejectViaDisconnect` setting. */
  rejectEnabled(): boolean;
  /** Asked when a reinitialize command succeeded, so the line list is re-read. */
  afterReinitialize(): void;
  log: Logger;
  timeoutMs: number;
}

/** Results of recent requests, so a command the manager re-sends after a reconnect runs once. */
const REMEMBERED_REQUESTS = 256;

class CommandFailure {
  constructor(readonly error: WireError) {}
}

export class CommandHandler {
  #accepting = true;
  readonly #recent = new Map<string, Promise<ResultMessage>>();
  readonly #inFlight = new Set<Promise<ResultMessage>>();

  constructor(private readonly ctx: CommandContext) {}

  /** From now on every new command is answered with `shutting-down`. */
  refuseNew(): void {
    this.#accepting = false;
  }

  /** Resolves when every command started so far has its result. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  handle(message: CommandMessage): Promise<ResultMessage> {
    const known = this.#recent.get(message.requestId);
    if (known !== undefined) {
      this.ctx.log.info({ requestId: message.requestId, command: message.command }, 'repeated request answered from memory');
      return known;
    }
    const result = this.#run(message);
    this.#remember(message.requestId, result);
    this.#inFlight.add(result);
    void result.finally(() => this.#inFlight.delete(result));
    return result;
  }

  async #run(message: CommandMessage): Promise<ResultMessage> {
    const { requestId } = message;
    const started = performance.now();
    try {
      if (!this.#accepting) throw new CommandFailure({ code: 'shutting-down', message: 'the connector is shutting down and takes no new commands' });
      const callId = await this.#withTimeout(this.#execute(message));
      this.ctx.log.debug({ requestId, command: message.command, callId, ms: Math.round(performance.now() - started) }, 'command done');
      // The call a makeCall or consult placed is named (1.2): the manager learns from it who dialled.
      return { channel: 'connector', command: 'result', requestId, ok: true, ...(callId === undefined ? {} : { callId: wireCallId(callId) }) };
    } catch (err) {
      const error = this.#wireError(err);
      this.ctx.log[error.code === 'internal' ? 'error' : 'info']({ requestId, command: message.command, code: error.code }, `command failed: ${error.message}`);
      return { channel: 'connector', command: 'result', requestId, ok: false, error };
    }
  }

  /** Runs one command; resolves with the id of the call it placed (makeCall, consult). */
  async #execute(message: CommandMessage): Promise<string | undefined> {
    const { provider } = this.ctx;
    switch (message.command) {
      case 'makeCall':
        if (!this.ctx.isReported(message.line)) throw new LineProviderError('unknown-line', `no line ${message.line} on this connector`);
        return await provider.makeCall(message.line, message.dialString);
      case 'answer':
        this.#checkCall(message.callId);
        await provider.answer(message.callId);
        return;
      case 'drop':
        this.#checkCall(message.callId);
        await provider.drop(message.callId);
        return;
      case 'reject':
        if (!this.ctx.rejectEnabled()) {
          throw new CommandFailure({ code: 'reject-disabled', message: 'rejecting calls is switched off on this connector (RejectViaDisconnect = 0)' });
        }
        this.#checkCall(message.callId);
        await provider.reject(message.callId);
        return;
      case 'hold':
      case 'unhold':
      case 'completeTransfer':
      case 'cancelConsult':
      case 'conference':
        this.#checkCall(message.callId);
        await provider[message.command](message.callId);
        return;
      case 'transfer':
        this.#checkCall(message.callId);
        await provider.transfer(message.callId, this.#dialString(message));
        return;
      case 'consult':
        this.#checkCall(message.callId);
        return await provider.consult(message.callId, this.#dialString(message));
      case 'reinitialize':
        await provider.reinitialize();
        this.ctx.afterReinitialize();
        return;
    }
  }

  /** The target of a transfer or consultation (the wire requires it; a message built in code may lack it). */
  #dialString(message: CallCommandMessage): string {
    if (message.dialString === undefined) throw new LineProviderError('invalid-state', `${message.command} needs a dialString`);
    return message.dialString;
  }

  /** A call on a line the manager was never told about is not the manager's to control. */
  #checkCall(callId: string): void {
    const call = this.ctx.provider.activeCalls().find((c) => c.callId === callId);
    if (call !== undefined && !this.ctx.isReported(call.line)) throw new LineProviderError('no-such-call', `no call ${callId} on a reported line`);
  }

  #withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CommandFailure({ code: 'timeout', message: `the phone system did not answer within ${this.ctx.timeoutMs} ms` })), this.ctx.timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  #wireError(err: unknown): WireError {
    if (err instanceof CommandFailure) return err.error;
    if (err instanceof LineProviderError) return { code: err.code, message: err.message.slice(0, 1024) };
    // Unknown failures are logged in detail here, but only a generic sentence crosses the wire.
    this.ctx.log.error({ err }, 'unexpected failure in a provider command');
    return { code: 'internal', message: 'the connector failed to carry out the command; see its log' };
  }

  #remember(requestId: string, result: Promise<ResultMessage>): void {
    this.#recent.set(requestId, result);
    if (this.#recent.size > REMEMBERED_REQUESTS) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
  }
}
