// A client of baresip's ctrl_tcp module. ctrl_tcp serves one client at a time
// and runs one command at a time, so commands are queued here and sent one by
// one; each carries a token and waits for the response with that token. Events
// arrive on the same connection between responses.
import type { Socket} from 'node:net';
import { connect } from 'node:net';
import { LineProviderError } from '../../line-provider.ts';
import { NetstringDecoder, encodeNetstring } from './netstring.ts';
import { parseCtrlMessage } from './messages.ts';
import type { CtrlEvent, CtrlResponse } from './messages.ts';

export interface CtrlClientOptions {
  readonly host: string;
  readonly port: number;
  /** How long a command may wait for its response (default 5 s). */
  readonly commandTimeoutMs?: number;
  onEvent(event: CtrlEvent): void;
  /** The connection ended (baresip quit or died, or `close()`); called once. */
  onClose(reason: string): void;
}

interface Pending {
  readonly token: string;
  readonly line: string;
  resolve(response: CtrlResponse): void;
  reject(error: LineProviderError): void;
}

export class CtrlClient {
  private readonly decoder = new NetstringDecoder();
  private readonly queue: Pending[] = [];
  private inFlight: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private nextToken = 1;

  private constructor(
    private readonly socket: Socket,
    private readonly options: CtrlClientOptions,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.end('the control connection to baresip closed'));
  }

  /** Connects once; rejects with provider-down when nothing listens. */
  static connect(options: CtrlClientOptions, timeoutMs = 2_000): Promise<CtrlClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host, port: options.port });
      const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new CtrlClient(socket, options));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new LineProviderError('provider-down', `baresip control ${options.host}:${options.port}: ${err.message}`, { cause: err }));
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends `command params` and resolves with baresip's response (ok or not). */
  command(command: string, params = ''): Promise<CtrlResponse> {
    if (this.closed) return Promise.reject(new LineProviderError('provider-down', 'the control connection to baresip is closed'));
    return new Promise((resolve, reject) => {
      const token = `t${this.nextToken++}`;
      this.queue.push({ token, line: JSON.stringify({ command, params, token }), resolve, reject });
      this.pump();
    });
  }

  close(): void {
    this.socket.destroy();
    this.end('closed by the provider');
  }

  private pump(): void {
    if (this.inFlight !== undefined || this.closed) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    this.inFlight = next;
    this.timer = setTimeout(() => {
      // A command that never answers means a hung baresip: drop the connection so the phone is restarted.
      this.socket.destroy();
      this.end('baresip did not answer a command in time');
    }, this.options.commandTimeoutMs ?? 5_000);
    this.socket.write(encodeNetstring(next.line));
  }

  private onData(chunk: Buffer): void {
    let payloads: string[];
    try {
      payloads = this.decoder.push(chunk);
    } catch {
      this.socket.destroy();
      this.end('baresip sent a malformed control message');
      return;
    }
    for (const text of payloads) {
      const message = parseCtrlMessage(text);
      if (message === undefined) continue;
      if (message.kind === 'event') {
        this.options.onEvent(message);
      } else if (this.inFlight !== undefined && (message.token === undefined || message.token === this.inFlight.token)) {
        const done = this.inFlight;
        this.inFlight = undefined;
        clearTimeout(this.timer);
        done.resolve(message);
        this.pump();
      }
    }
  }

  private end(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    const waiting = this.inFlight === undefined ? this.queue.splice(0) : [this.inFlight, ...this.queue.splice(0)];
    this.inFlight = undefined;
    for (const p of waiting) p.reject(new LineProviderError('provider-down', reason));
    this.options.onClose(reason);
  }
}
