// The TAPI port: a TCP listener, or TLS when a certificate is configured.
// This file only accepts sockets and counts them; what a socket may do is
// the gateway's business. TLS is layered onto each accepted TCP socket here
// (not by tls.createServer), so the socket goes to the gateway at once and
// its registration deadline also bounds the handshake: a client that never
// sends its ClientHello is closed like any other silent one. Raw sockets are
// counted before any handshake, so half-open handshakes meet the same caps.
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { TlsMaterial } from '../contracts.ts';
import { GatewayError } from './errors.ts';

export interface ListenerOptions {
  host: string;
  port: number;
  tls?: TlsMaterial;
  /** Decides on every raw socket (and may evict older ones to make room); false = destroyed at once. */
  admit(raw: Socket): boolean;
  /** A usable socket (after the TLS handshake when TLS is on). */
  onSocket(socket: Socket): void;
  onRawClose(): void;
  onTlsError(err: Error, peer: string): void;
}

export class GatewayListener {
  #server: Server | undefined;
  #port = 0;
  readonly #raw = new Set<Socket>();

  constructor(private readonly options: ListenerOptions) {}

  get port(): number {
    return this.#port;
  }

  get listening(): boolean {
    return this.#server?.listening ?? false;
  }

  /** Raw sockets open right now (before and after registration). */
  get rawCount(): number {
    return this.#raw.size;
  }

  async listen(port = this.options.port): Promise<number> {
    const { tls } = this.options;
    let context: SecureContext | undefined;
    try {
      context = tls ? createSecureContext(tls) : undefined;
    } catch (err) {
      throw new GatewayError('tls-material', `cannot use the TLS certificate for the TAPI port: ${(err as Error).message}`, { cause: err });
    }
    const server = createNetServer((raw) => {
      if (!this.options.admit(raw)) {
        raw.destroy();
        return;
      }
      this.#raw.add(raw);
      raw.once('close', () => {
        this.#raw.delete(raw);
        this.options.onRawClose();
      });
      if (context === undefined) {
        this.options.onSocket(raw);
        return;
      }
      const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
      secure.once('error', (err) => this.options.onTlsError(err, `${raw.remoteAddress ?? '?'}:${raw.remotePort ?? 0}`));
      this.options.onSocket(secure);
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(new GatewayError('listen-failed', `cannot listen on ${this.options.host}:${port} for connectors (${err.code ?? 'error'}: ${err.message})`, { cause: err }));
      };
      server.once('error', onError);
      server.listen({ host: this.options.host, port, exclusive: true }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const address = server.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : port;
    this.#server = server;
    return this.#port;
  }

  /**
   * Stops accepting and frees the port; open sockets are left to the caller
   * (server.close's callback would wait for them, which a rebuild must not).
   */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    server.close();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Destroys every raw socket (the last step of a stop). */
  destroyAll(): void {
    for (const raw of this.#raw) raw.destroy();
  }
}
