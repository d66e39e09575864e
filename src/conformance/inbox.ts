// What a peer received, in order, with waits that always end: a match, the
// deadline, the peer closing, garbage from the peer or a flood. The reason of
// a failed wait says what was expected and what did arrive.
import type { TapiMessage } from '../protocol/index.ts';
import { CaseFailure } from './case.ts';

type Waiter = { from: number; test: (m: TapiMessage) => boolean; resolve: (index: number) => void; reject: (err: Error) => void };

/** More than this many messages in one case is a flood: the peer is cut off. */
export const DEFAULT_MAX_MESSAGES = 2_000;

export function describeMessage(m: TapiMessage): string {
  switch (m.command) {
    case 'callState':
      return `callState(seq ${m.seq}, ${m.state}${m.snapshot ? ', snapshot' : ''})`;
    case 'callNotification':
      return `callNotification(${m.state}${m.replayed ? ', replayed' : ''})`;
    case 'error':
      return `error(${m.code})`;
    case 'ack':
      return `ack(${m.seq})`;
    case 'result':
    case 'dialResult':
    case 'callControlResult':
      return `${m.command}(${m.requestId}, ${m.ok ? 'ok' : `failed: ${m.error?.code ?? '?'}`})`;
    default:
      return 'seq' in m ? `${m.command}(seq ${m.seq})` : m.command;
  }
}

export class Inbox {
  readonly messages: TapiMessage[] = [];
  /** Index after the last message a sequential `expect` consumed. */
  cursor = 0;
  private waiters: Waiter[] = [];
  private ended: string | undefined;
  private readonly listeners: ((m: TapiMessage) => void)[] = [];

  constructor(
    readonly peerName: string,
    private readonly maxMessages = DEFAULT_MAX_MESSAGES,
    private readonly onFlood: (reason: string) => void = () => undefined,
  ) {}

  /** Why the peer can send nothing more (closed, garbage, flood), or undefined while open. */
  get endReason(): string | undefined {
    return this.ended;
  }

  push(message: TapiMessage): void {
    if (this.ended !== undefined) return;
    this.messages.push(message);
    if (this.messages.length > this.maxMessages) {
      const reason = `flood: the ${this.peerName} sent more than ${this.maxMessages} messages in one case`;
      this.end(reason);
      this.onFlood(reason);
      return;
    }
    const index = this.messages.length - 1;
    for (const l of this.listeners) l(message);
    for (const w of [...this.waiters]) {
      if (index < w.from || !w.test(message)) continue;
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(index);
    }
  }

  /** Calls `listener` with every message from now on (e.g. to acknowledge events as they come). */
  onMessage(listener: (m: TapiMessage) => void): void {
    this.listeners.push(listener);
  }

  /** The peer can send nothing more; pending waits fail with `reason`. */
  end(reason: string): void {
    if (this.ended !== undefined) return;
    this.ended = reason;
    for (const w of this.waiters.splice(0)) w.reject(new CaseFailure(`${reason}; received: ${this.describe(w.from)}`));
  }

  describe(from = 0): string {
    const list = this.messages.slice(from);
    if (list.length === 0) return 'nothing';
    const shown = list.slice(-12).map(describeMessage).join(', ');
    return list.length > 12 ? `${list.length} messages, the last: ${shown}` : shown;
  }

  /**
   * The first message from `from` (default: the cursor) that passes `test`;
   * moves the cursor past it unless `keepCursor`.
   */
  async expect<M extends TapiMessage = TapiMessage>(
    test: (m: TapiMessage) => boolean,
    what: string,
    timeoutMs: number,
    options: { from?: number; keepCursor?: boolean; signal?: AbortSignal } = {},
  ): Promise<M> {
    const from = options.from ?? this.cursor;
    const index = await this.indexOf(test, what, timeoutMs, from, options.signal);
    if (!options.keepCursor) this.cursor = Math.max(this.cursor, index + 1);
    return this.messages[index] as M;
  }

  private indexOf(test: (m: TapiMessage) => boolean, what: string, timeoutMs: number, from: number, signal?: AbortSignal): Promise<number> {
    for (let i = from; i < this.messages.length; i += 1) if (test(this.messages[i] as TapiMessage)) return Promise.resolve(i);
    if (this.ended !== undefined) return Promise.reject(new CaseFailure(`${this.ended} before ${what}; received: ${this.describe(from)}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new CaseFailure(`no ${what} from the ${this.peerName} within ${timeoutMs} ms; received: ${this.describe(from)}`));
      }, timeoutMs);
      const onAbort = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new CaseFailure(`aborted while waiting for ${what}`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const waiter: Waiter = {
        from, test,
        resolve: (i) => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); resolve(i); },
        reject: (e) => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); reject(e); },
      };
      this.waiters.push(waiter);
    });
  }

  /** Messages from `from` that pass `test`. */
  filter<M extends TapiMessage = TapiMessage>(test: (m: TapiMessage) => boolean, from = 0): M[] {
    return this.messages.slice(from).filter(test) as M[];
  }
}

export function isCommand<C extends TapiMessage['command']>(command: C): (m: TapiMessage) => m is Extract<TapiMessage, { command: C }> {
  return (m): m is Extract<TapiMessage, { command: C }> => m.command === command;
}
