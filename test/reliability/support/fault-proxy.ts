// A TCP fault proxy between a client (the connector) and a server (the
// manager), for the reliability suite. What a broken network does, and
// nothing either side is told beyond what TCP tells it:
// - delay(ms): every chunk, both ways, is held this long (order kept);
// - blackhole(): bytes in both directions vanish; the connections stay open,
//   and new connections are accepted but go nowhere — a dead route, not a
//   refusal, so only a keep-alive notices;
// - cut(): every connection is destroyed at once; new ones are refused
//   (destroyed on arrival) until restore();
// - reconnect(): every connection is destroyed, new ones pass — the client
//   comes back on a new connection, so what was in flight on the old one is
//   overtaken by what it sends on the new (reorder-by-reconnect);
// - restore(): back to a clean pipe.
import { connect, createServer, type Server, type Socket } from 'node:net';

type Mode = 'pass' | 'blackhole' | 'down';

interface Pair {
  inbound: Socket;
  outbound: Socket;
}

export class FaultProxy {
  private readonly pairs = new Set<Pair>();
  private mode: Mode = 'pass';
  private delayMs = 0;
  /** Connections accepted and relayed (a reconnect shows as a new one). */
  accepted = 0;
  /** Bytes dropped by the blackhole, per direction. */
  readonly dropped = { toServer: 0, toClient: 0 };

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  /** `port` 0 = any free port; a connector process needs one in the manual's range (see freeTapiPort). */
  static async start(targetPort: number, port = 0): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('fault proxy has no port');
    const proxy = new FaultProxy(server, address.port, targetPort);
    server.on('connection', (inbound) => proxy.accept(inbound));
    return proxy;
  }

  get connections(): number {
    return this.pairs.size;
  }

  delay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  blackhole(): void {
    this.mode = 'blackhole';
  }

  cut(): void {
    this.mode = 'down';
    this.destroyAll();
  }

  reconnect(): void {
    this.destroyAll();
    this.mode = 'pass';
  }

  restore(): void {
    this.mode = 'pass';
    this.delayMs = 0;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(inbound: Socket): void {
    inbound.on('error', () => undefined);
    if (this.mode === 'down') {
      inbound.destroy();
      return;
    }
    this.accepted += 1;
    const outbound = connect(this.targetPort, '127.0.0.1');
    outbound.on('error', () => undefined);
    const pair = { inbound, outbound };
    this.pairs.add(pair);
    const end = (): void => {
      this.pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('close', end);
    outbound.on('close', end);
    this.forward(inbound, outbound, 'toServer');
    this.forward(outbound, inbound, 'toClient');
  }

  private forward(from: Socket, to: Socket, direction: 'toServer' | 'toClient'): void {
    // One queue per direction keeps the order when a delay is on.
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      if (this.mode === 'blackhole') {
        this.dropped[direction] += chunk.length;
        return;
      }
      const delay = this.delayMs;
      if (delay === 0) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      chain = chain.then(() => new Promise<void>((resolve) => setTimeout(() => {
        if (!to.destroyed && this.mode !== 'blackhole') to.write(chunk);
        resolve();
      }, delay)));
    });
  }

  private destroyAll(): void {
    for (const { inbound, outbound } of [...this.pairs]) {
      inbound.destroy();
      outbound.destroy();
    }
    this.pairs.clear();
  }
}
