// A TCP relay between the connector and the manager that a test can cut, as
// a broken network would: every piped connection is destroyed at once and,
// while the link is down, new connections are dropped as soon as they
// arrive. Neither side is told anything beyond what TCP tells it.
import { createServer, connect, type Server, type Socket } from 'node:net';

export class CuttableLink {
  private readonly sockets = new Set<Socket>();
  private readonly replies = new Set<{ from: Socket; to: Socket }>();
  private down = false;
  /** Connections relayed so far (a reconnect shows as a new one). */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<CuttableLink> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('relay has no port');
    const link = new CuttableLink(server, address.port);
    server.on('connection', (inbound) => link.relay(inbound, targetPort));
    return link;
  }

  private relay(inbound: Socket, targetPort: number): void {
    if (this.down) {
      inbound.destroy();
      return;
    }
    this.accepted += 1;
    const outbound = connect(targetPort, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    this.replies.add({ from: outbound, to: inbound });
    outbound.on('close', () => {
      for (const r of this.replies) if (r.from === outbound) this.replies.delete(r);
    });
  }

  /**
   * Stops passing on what the manager sends (acknowledgements, keep-alives)
   * while the connector's frames still get through: the next `cut()` then
   * loses acknowledgements of events the manager already accepted.
   */
  holdReplies(): void {
    for (const { from, to } of this.replies) {
      from.unpipe(to);
      from.pause();
    }
  }

  /** Breaks every relayed connection and refuses new ones until `restore()`. */
  cut(): void {
    this.down = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.down = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
