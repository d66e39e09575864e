// A hand-driven connector for the gateway's tests: a real TCP socket to the
// manager, the real codecs, and a record of everything the manager sent.
// It can also misbehave: raw bytes, no reading, silence.
import { connect, type Socket } from 'node:net';
import { FrameDecoder, decodePayload, encodeMessageFrame, type TapiMessage } from '../../../src/protocol/index.ts';

export const KEY = 'gateway-test-connector-key-5a1e';

export class RawConnector {
  readonly received: TapiMessage[] = [];
  closed = false;
  readonly #decoder = new FrameDecoder();
  readonly #waiters = new Set<() => void>();
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      try {
        for (const p of this.#decoder.push(chunk)) this.received.push(decodePayload(p));
      } catch {
        socket.destroy();
      }
      this.#notify();
    });
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.#notify();
        resolve();
      }),
    );
  }

  static async open(port: number): Promise<RawConnector> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawConnector(socket);
  }

  /** Opens and registers; resolves with the `registered` reply. */
  static async registered(port: number, host = 'pbx.test', lastAckedSeq?: number, key = KEY): Promise<RawConnector> {
    const c = await RawConnector.open(port);
    c.register(host, lastAckedSeq, key);
    await c.waitFor(() => c.of('registered').length === 1, 'registered');
    return c;
  }

  register(host = 'pbx.test', lastAckedSeq?: number, key = KEY): void {
    this.send({ channel: 'connector', command: 'register', protocolVersion: '1.0', connectorVersion: '0.9.0', host, connectorKey: key, ...(lastAckedSeq === undefined ? {} : { lastAckedSeq }) });
  }

  send(message: TapiMessage): void {
    this.socket.write(encodeMessageFrame(message));
  }

  sendRaw(bytes: Uint8Array | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  }

  /** A frame whose payload is the given text (any bytes, valid XML or not). */
  sendPayload(text: string): void {
    const body = Buffer.from(text, 'utf8');
    const header = Buffer.from([body.length >> 8, body.length & 0xff]);
    this.socket.write(Buffer.concat([header, body]));
  }

  lines(names: string[]): void {
    this.send({ channel: 'connector', command: 'lines', lines: names.map((name) => ({ name, address: name, permanentId: `p-${name}`, mediaModes: ['audio'], inService: true })) });
  }

  call(seq: number, callId: string, line: string, state: 'offering' | 'connected' | 'disconnected' | 'idle' = 'offering', snapshot = false): void {
    this.send({
      channel: 'connector', command: 'callState', seq, timestamp: '2024-05-01T12:00:00.000Z', line, callId, state, origin: 'inbound', callerNumber: '0301234567', snapshot,
    });
  }

  /** `synced`, then a keepalive: the manager's keepalive reply proves it handled `synced` (which it does not answer). */
  async synced(snapshotSeq: number, activeCalls?: number): Promise<void> {
    const before = this.of('keepalive').length;
    this.send({ channel: 'connector', command: 'synced', snapshotSeq, ...(activeCalls === undefined ? {} : { activeCalls }) });
    this.send({ channel: 'connector', command: 'keepalive' });
    await this.waitFor(() => this.of('keepalive').length > before, 'the manager to handle synced');
  }

  of<C extends TapiMessage['command']>(command: C): Extract<TapiMessage, { command: C }>[] {
    return this.received.filter((m): m is Extract<TapiMessage, { command: C }> => m.command === command);
  }

  lastAck(): number | undefined {
    return this.of('ack').at(-1)?.seq;
  }

  async waitFor(predicate: () => boolean, what = 'condition', timeoutMs = 5_000): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; received: ${this.received.map((m) => m.command).join(',')}; closed: ${this.closed}`));
      }, timeoutMs);
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }
}

/** Polls until `predicate` holds (state inside the manager sends no signal). */
export async function until(predicate: () => boolean, what = 'condition', timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
