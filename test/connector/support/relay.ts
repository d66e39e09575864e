// A TCP relay on a free port of the manual's range 4502–4534 (a connector
// configuration file accepts no other) in front of a manager on any port.
// `cut()` breaks every relayed connection and refuses new ones, as a network
// outage would; `restore()` lets connections through again.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class RangeRelay {
  readonly #sockets = new Set<Socket>();
  #down = false;

  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<RangeRelay> {
    for (let port = 4502; port <= 4534; port += 1) {
      const server = createServer();
      const ok = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (!ok) continue;
      const relay = new RangeRelay(server, port);
      server.on('connection', (inbound) => relay.#relay(inbound, targetPort));
      return relay;
    }
    throw new Error('no free port in 4502–4534');
  }

  #relay(inbound: Socket, targetPort: number): void {
    if (this.#down) {
      inbound.destroy();
      return;
    }
    const outbound = connect(targetPort, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      this.#sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.#sockets.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  }

  cut(): void {
    this.#down = true;
    for (const s of this.#sockets) s.destroy();
  }

  restore(): void {
    this.#down = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
