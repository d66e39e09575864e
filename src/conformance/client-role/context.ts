// The client role: the suite plays the manager for a browser (or other)
// client. It listens for WebSockets and takes the connections the client
// makes — again after the suite closes one, as a client reconnects.
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { Acceptor } from '../acceptor.ts';
import type { Hook } from '../hooks.ts';
import { WsPeer } from '../ws-peer.ts';

export interface ClientTarget {
  /** Makes the client dial: gets CONFORMANCE_LINE (full line name) and CONFORMANCE_NUMBER. */
  onDial?: Hook;
  /** Makes the client carry out a call control (CONFORMANCE_CALL_KEY, CONFORMANCE_NUMBER, CONFORMANCE_ACTION, CONFORMANCE_TARGET); prints `not-offered` when the client offers no such control for the call. */
  onControl?: Hook;
  /** Prints what the client shows of a call (CONFORMANCE_CALL_KEY, CONFORMANCE_NUMBER) as `key=value` lines: state, offers, message, consultation. */
  showCall?: Hook;
  /** How long to wait for the client to (re)connect and for a proof (sign-in may take a while) (ms). */
  acceptMs: number;
  replyMs: number;
  /** heartbeatInterval the suite announces in `welcome` (s). */
  heartbeatInterval: number;
  hookTimeoutMs: number;
}

export class ClientListener {
  private readonly connections: Acceptor<WebSocket>;

  private constructor(private readonly wss: WebSocketServer) {
    this.connections = new Acceptor((ws) => ws.readyState === ws.OPEN, () => `client connected to port ${this.port}`);
    wss.on('connection', (ws) => {
      ws.on('error', () => undefined);
      this.connections.offer(ws);
    });
  }

  static async listen(port: number, host = '127.0.0.1'): Promise<ClientListener> {
    // maxPayload as spec §2.2: no document above 65,535 bytes.
    const wss = new WebSocketServer({ host, port, maxPayload: 65_535 });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', () => resolve());
      wss.once('error', reject);
    });
    return new ClientListener(wss);
  }

  get port(): number {
    const a = this.wss.address();
    return a !== null && typeof a !== 'string' ? a.port : 0;
  }

  async accept(timeoutMs: number, signal?: AbortSignal): Promise<WsPeer> {
    return new WsPeer(await this.connections.take(timeoutMs, signal), 'client');
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

export class ClientContext {
  /** The user the suite welcomes (the one the client claimed, else a made-up one). */
  userId: string = randomUUID();
  /** New in every run: call keys of one run never meet a call an earlier run showed the same client. */
  readonly runId = randomUUID().slice(0, 6);
  private counter = 0;

  constructor(
    readonly target: ClientTarget,
    readonly listener: ClientListener,
  ) {}

  unique(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.counter}`;
  }
}
