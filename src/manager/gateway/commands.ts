// Commands to connectors: each gets a request id, waits for the connector's
// `result` (or an `error` naming the request) and ends in a CommandOutcome —
// also when the connector is away, does not answer in time, or the manager
// stops. Nothing here throws at the caller.
import { randomUUID } from 'node:crypto';
import type { ConnectorDownMessage, ResultMessage, WireError } from '../../protocol/index.ts';
import type { CommandFailureCode, CommandOutcome, ConnectorCommand } from '../contracts.ts';
import type { ConnectorRegistry } from './registry.ts';

interface Pending {
  host: string;
  command: string;
  resolve(outcome: CommandOutcome): void;
  timer: ReturnType<typeof setTimeout>;
}

export function failure(code: CommandFailureCode, message: string): CommandOutcome {
  return { ok: false, error: { code, message } };
}

/** Requests waiting at once; past this a command is refused instead of queued (a stuck connector must not grow memory). */
export const MAX_PENDING_COMMANDS = 10_000;

export class PendingCommands {
  readonly #pending = new Map<string, Pending>();
  #stopped = false;

  constructor(private readonly timeoutMs: () => number) {}

  get size(): number {
    return this.#pending.size;
  }

  /**
   * Registers a request and hands its id to `send`; resolves with the outcome.
   * `send` returns false when nothing could be written.
   */
  start(host: string, command: string, send: (requestId: string) => boolean): Promise<CommandOutcome> {
    if (this.#stopped) return Promise.resolve(failure('shutting-down', 'the manager is shutting down'));
    if (this.#pending.size >= MAX_PENDING_COMMANDS) return Promise.resolve(failure('connector-offline', 'too many commands are waiting for connectors'));
    const requestId = randomUUID();
    return new Promise<CommandOutcome>((resolve) => {
      const ms = this.timeoutMs();
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        resolve(failure('command-timeout', `connector ${host} did not answer ${command} within ${Math.round(ms / 1000)} s`));
      }, ms);
      timer.unref();
      this.#pending.set(requestId, { host, command, resolve, timer });
      if (!send(requestId)) this.#settle(requestId, failure('connector-offline', `connector ${host} is not connected`));
    });
  }

  /** The connector's `result`. Returns false when no request with that id waits (late or foreign). */
  result(host: string, message: ResultMessage): boolean {
    const pending = this.#pending.get(message.requestId);
    if (pending === undefined || pending.host !== host) return false;
    // A 1.2 connector names the call its makeCall or consult placed: the manager learns who dialled it.
    const outcome: CommandOutcome = message.ok
      ? { ok: true, ...(message.callId === undefined ? {} : { callId: message.callId }) }
      : { ok: false, error: message.error ?? { code: 'internal', message: 'the connector reported a failure without details' } };
    this.#settle(message.requestId, outcome);
    return true;
  }

  /** An `error` the connector sent about one of our requests (e.g. it could not decode it). */
  error(host: string, requestId: string, error: WireError): boolean {
    const pending = this.#pending.get(requestId);
    if (pending === undefined || pending.host !== host) return false;
    this.#settle(requestId, { ok: false, error });
    return true;
  }

  /** The connector of `host` went away without a replacement: its requests cannot be answered any more. */
  failHost(host: string, code: CommandFailureCode, message: string): void {
    for (const [id, pending] of this.#pending) if (pending.host === host) this.#settle(id, failure(code, message));
  }

  stop(): void {
    this.#stopped = true;
    for (const id of [...this.#pending.keys()]) this.#settle(id, failure('shutting-down', 'the manager is shutting down'));
  }

  #settle(requestId: string, outcome: CommandOutcome): void {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) return;
    this.#pending.delete(requestId);
    clearTimeout(pending.timer);
    pending.resolve(outcome);
  }
}

function splitOnce(text: string, separator: string): [string, string] | undefined {
  const at = text.indexOf(separator);
  return at <= 0 || at === text.length - 1 ? undefined : [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Finds the connector of a command — by the line `<host>:<line>` for makeCall,
 * by the call key `<host>/<callId>` otherwise — and sends it with a request id.
 * Host names hold no `:` or `/`, so the first one separates.
 */
export function routeCommand(
  command: ConnectorCommand,
  registry: ConnectorRegistry,
  pending: PendingCommands,
  sendTo: (host: string, message: ConnectorDownMessage) => boolean,
): Promise<CommandOutcome> {
  if (command.kind === 'makeCall') {
    const parts = splitOnce(command.line, ':');
    const entry = parts && registry.entry(parts[0]);
    if (!parts || !entry || !entry.lines.has(parts[1])) return Promise.resolve(failure('unknown-line', `no connector reports line ${command.line}`));
    const [host, line] = parts;
    return pending.start(host, 'makeCall', (requestId) => sendTo(host, { channel: 'connector', command: 'makeCall', requestId, line, dialString: command.dialString }));
  }
  const parts = splitOnce(command.callKey, '/');
  const entry = parts && registry.entry(parts[0]);
  if (!parts || !entry || !entry.calls.has(parts[1])) return Promise.resolve(failure('unknown-call', `no running call ${command.callKey}`));
  const [host, callId] = parts;
  const { kind, dialString } = command;
  return pending.start(host, kind, (requestId) =>
    sendTo(host, { channel: 'connector', command: kind, requestId, callId, ...(dialString === undefined ? {} : { dialString }) }));
}
