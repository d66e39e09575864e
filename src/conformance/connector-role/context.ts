// The connector role: the suite plays the manager. It listens on a TCP port
// and takes the connections a connector makes (and makes again after the
// suite closes one), so each case starts from a fresh registration.
import { createServer, type Server, type Socket } from 'node:net';
import { Acceptor } from '../acceptor.ts';
import type { Hook } from '../hooks.ts';
import { TcpPeer } from '../tcp-peer.ts';

export interface ConnectorTarget {
  /** The key the connector must present (checked when given). */
  connectorKey?: string;
  /** Makes the connector's PBX ring a line: gets CONFORMANCE_LINE and CONFORMANCE_FROM. */
  onRing?: Hook;
  /** Line to ring (default: the first line the connector reports). */
  ringLine?: string;
  /** How long to wait for the connector to (re)connect (ms). */
  acceptMs: number;
  replyMs: number;
  /** keepAliveInterval the suite announces in `registered` (s). */
  keepAliveInterval: number;
  hookTimeoutMs: number;
}

/** Accepts connections on a port; hands them out in arrival order. */
export class ConnectorListener {
  private readonly sockets = new Set<Socket>();
  private readonly connections: Acceptor<Socket>;

  private constructor(private readonly server: Server) {
    this.connections = new Acceptor((s) => !s.destroyed && s.readable, () => `connector connected to port ${this.port}`);
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
      this.connections.offer(s);
    });
  }

  static async listen(port: number, host = '127.0.0.1'): Promise<ConnectorListener> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return new ConnectorListener(server);
  }

  get port(): number {
    const a = this.server.address();
    return a !== null && typeof a !== 'string' ? a.port : 0;
  }

  /** The next connection (one that already waits, or the next to come). */
  async accept(timeoutMs: number, signal?: AbortSignal): Promise<TcpPeer> {
    return new TcpPeer(await this.connections.take(timeoutMs, signal), 'connector');
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export class ConnectorContext {
  /** What the suite acknowledged last (what it answers in `registered`). */
  acked = 0;
  /** Highest non-snapshot seq seen from the connector in this run. */
  maxSeq = -1;
  /** Lines the connector reported last. */
  lines: string[] = [];
  /** Rings so far (the ring hook goes round the reported lines). */
  rings = 0;
  private counter = 0;

  constructor(
    readonly target: ConnectorTarget,
    readonly listener: ConnectorListener,
  ) {}

  unique(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.counter}`;
  }

  uniqueNumber(): string {
    this.counter += 1;
    return `+49301234${String(this.counter).padStart(3, '0')}`;
  }
}
