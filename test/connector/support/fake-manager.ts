// A fake manager for the connector's tests: a real TCP server on 127.0.0.1,
// the real protocol codecs, and a record of everything it received. It checks
// the "exactly once, in order" rule as the real manager would: each sequenced,
// non-snapshot event must carry the next seq.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { FrameDecoder, decodePayload, encodeMessageFrame, type TapiMessage } from '../../../src/protocol/index.ts';

export interface FakeManagerOptions {
  /** Acknowledge each accepted event at once (default true). */
  autoAck?: boolean;
  keepAliveInterval?: number;
  /** Refuse registration with this error code. */
  refuse?: string;
  /** Do not answer `register` at all. */
  silent?: boolean;
  /** Close every new connection at once (the manager is "away" but its port is open). */
  away?: boolean;
  /** Serve TLS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
  /** Stop reading from the connector right after answering its registration (back-pressure). */
  stallAfterRegister?: boolean;
  /** The protocolVersion of `registered` (default 1.0). */
  protocolVersion?: string;
  /** Commands this manager does not know: answered as an older manager would (error unknown-command, link kept). */
  unknownCommands?: string[];
}

type Sequenced = Extract<TapiMessage, { seq: number }>;

export class FakeManager {
  readonly received: TapiMessage[] = [];
  /** Accepted sequenced events, in order: every seq exactly once. */
  readonly events: Sequenced[] = [];
  /** Seqs that arrived out of turn (duplicates or gaps): must stay empty. */
  readonly violations: string[] = [];
  readonly registrations: Extract<TapiMessage, { command: 'register' }>[] = [];
  readonly sockets = new Set<Socket>();
  lastSeq = 0;
  options: FakeManagerOptions;
  #server: Server;
  #listeners = new Set<() => void>();

  private constructor(options: FakeManagerOptions) {
    this.options = options;
    this.#server = options.tls ? createTlsServer({ ...options.tls }, (socket) => this.#accept(socket)) : createServer((socket) => this.#accept(socket));
    this.#server.on('tlsClientError', () => {});
  }

  static async start(options: FakeManagerOptions = {}, port = 0): Promise<FakeManager> {
    const m = new FakeManager(options);
    await new Promise<void>((resolve, reject) => {
      m.#server.once('error', reject);
      m.#server.listen(port, '127.0.0.1', () => resolve());
    });
    return m;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  /** Messages of one command, in arrival order. */
  of<C extends TapiMessage['command']>(command: C): Extract<TapiMessage, { command: C }>[] {
    return this.received.filter((m): m is Extract<TapiMessage, { command: C }> => m.command === command);
  }

  send(message: TapiMessage): void {
    for (const s of this.sockets) s.write(encodeMessageFrame(message));
  }

  sendRaw(bytes: Uint8Array): void {
    for (const s of this.sockets) s.write(bytes);
  }

  ack(seq = this.lastSeq): void {
    this.send({ channel: 'connector', command: 'ack', seq });
  }

  /** Starts reading again after `stallAfterRegister`. */
  resume(): void {
    this.options.stallAfterRegister = false;
    for (const s of this.sockets) s.resume();
  }

  /** Cuts every connection at once (the connector sees a reset). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async waitFor(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}; received: ${this.received.map((m) => m.command).join(',')}`));
      }, timeoutMs);
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve();
      };
      this.#listeners.add(check);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    if (this.options.away) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      let payloads: Uint8Array[];
      try {
        payloads = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const p of payloads) this.#onMessage(socket, decodePayload(p));
      for (const l of [...this.#listeners]) l();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.sockets.delete(socket);
      for (const l of [...this.#listeners]) l();
    });
  }

  #onMessage(socket: Socket, message: TapiMessage): void {
    this.received.push(message);
    if (this.options.unknownCommands?.includes(message.command)) {
      // The words of src/protocol/codec.ts for a command the catalogue lacks.
      socket.write(encodeMessageFrame({ channel: 'connector', command: 'error', code: 'unknown-command', message: `channel connector has no command "${message.command}"` }));
      return;
    }
    if (message.command === 'register') {
      this.registrations.push(message);
      if (this.options.silent) return;
      if (this.options.refuse) {
        socket.write(encodeMessageFrame({ channel: 'connector', command: 'error', code: this.options.refuse, message: 'registration refused' }));
        return;
      }
      // No lastAckedSeq: a connector process that starts a fresh sequence.
      if (message.lastAckedSeq === undefined) this.lastSeq = 0;
      socket.write(
        encodeMessageFrame({ channel: 'connector', command: 'registered', protocolVersion: this.options.protocolVersion ?? '1.0', lastAckedSeq: this.lastSeq, keepAliveInterval: this.options.keepAliveInterval ?? 20 }),
      );
      if (this.options.stallAfterRegister) socket.pause();
      return;
    }
    if ('seq' in message && message.command !== 'ack' && !(message.command === 'callState' && message.snapshot)) {
      if (message.seq !== this.lastSeq + 1) {
        this.violations.push(`got seq ${message.seq} (${message.command}) after ${this.lastSeq}`);
        return;
      }
      this.lastSeq = message.seq;
      this.events.push(message);
      if (this.options.autoAck ?? true) socket.write(encodeMessageFrame({ channel: 'connector', command: 'ack', seq: message.seq }));
    }
  }
}

/** Polls `predicate` (state inside the connector, which sends no signal) until true. */
export async function until(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The manual allows the TAPI port only in 4502–4534: a fake manager on a free port there (for configuration files). */
export async function managerInRange(options: FakeManagerOptions = {}): Promise<FakeManager> {
  for (let port = 4502; port <= 4534; port += 1) {
    try {
      return await FakeManager.start(options, port);
    } catch {
      // taken; try the next
    }
  }
  throw new Error('no free port in 4502–4534');
}
