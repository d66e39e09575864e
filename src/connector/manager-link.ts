// The connector's TCP (or TLS) link to the manager: connect, register, keep
// the link up with back-off, split incoming frames, and write with
// back-pressure. What to send and what a message means is the service's job;
// this file only knows the handshake and the wire.
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Logger } from 'pino';
import {
  FrameDecoder,
  PROTOCOL_VERSION,
  ProtocolError,
  decodePayload,
  encodeMessageFrame,
  isSameMajorVersion,
  redactMessage,
  type ConnectorDownMessage,
  type RegisterMessage,
  type RegisteredMessage,
  type TapiMessage,
} from '../protocol/index.ts';
import { Backoff, RECONNECT_BACKOFF } from './backoff.ts';
import { isDownMessage } from './wire.ts';

export interface ManagerEndpoint {
  host: string;
  port: number;
  /** Present when ManagerTls = 1. The server certificate is always verified. */
  tls?: { ca?: string | Buffer; servername?: string };
}

export interface LinkHandler {
  /** The manager accepted the registration; the link carries traffic now. */
  onReady(registered: RegisteredMessage): void;
  onMessage(message: ConnectorDownMessage): void;
  /** The socket drained after back-pressure: writing may go on. */
  onWritable(): void;
  /** The link went down (it reconnects by itself unless stopped). */
  onDown(reason: string): void;
}

export interface ManagerLinkOptions {
  endpoint: ManagerEndpoint;
  /** Built for every attempt: it carries the last acknowledged seq. */
  register: () => RegisterMessage;
  handler: LinkHandler;
  logger: Logger;
  /** Uniform in [0, 1), for the reconnect jitter. */
  random: () => number;
  backoff?: { baseMs: number; capMs: number };
  /** How long the TCP/TLS connect and the manager's `registered` may take. */
  handshakeTimeoutMs?: number;
}

export type LinkState = 'idle' | 'connecting' | 'registering' | 'ready' | 'stopped';

/** A peer that stops reading must not make us buffer without bound. */
export const MAX_UNSENT_BYTES = 8 * 1024 * 1024;

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Largest frame accepted from the manager. Everything a manager sends a
 * connector (commands, acks) fits in well under 1 KB; refusing a larger
 * declared length at once keeps a confused peer from parking 64 KB per frame.
 */
export const MAX_INCOMING_FRAME = 16 * 1024;

/** Undecodable frames in a row after which the stream is considered out of step. */
export const MAX_BAD_FRAMES_IN_A_ROW = 3;

export class ManagerLink {
  #state: LinkState = 'idle';
  #socket: Socket | undefined;
  #decoder = new FrameDecoder({ maxFrameLength: MAX_INCOMING_FRAME });
  #needDrain = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #badFrames = 0;
  #lastWriteAt = 0;
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #backoff: Backoff;
  readonly #log: Logger;

  constructor(private readonly options: ManagerLinkOptions) {
    this.#backoff = new Backoff({ ...(options.backoff ?? RECONNECT_BACKOFF), random: options.random });
    this.#log = options.logger;
  }

  get state(): LinkState {
    return this.#state;
  }

  /** Ready and not waiting for 'drain'. */
  get writable(): boolean {
    return this.#state === 'ready' && !this.#needDrain;
  }

  /** Wall-clock ms of the last write on the current connection (keep-alives are sent only when idle). */
  get lastWriteAt(): number {
    return this.#lastWriteAt;
  }

  /** Bytes handed to the socket and not yet written to the network. */
  get unsentBytes(): number {
    return this.#socket?.writableLength ?? 0;
  }

  start(): void {
    if (this.#state !== 'idle') return;
    this.#connect();
  }

  /**
   * Writes one message when the link is ready. Returns false when it was not
   * written (not ready) or when the socket now asks to wait for `onWritable`.
   * Control messages (results, keep-alives) may be written regardless of
   * back-pressure: they are small and must not wait behind a replay.
   */
  send(message: TapiMessage): boolean {
    if (this.#state !== 'ready') return false;
    return this.#write(message);
  }

  /** Drops the current connection (it reconnects with back-off), e.g. when the manager stopped acknowledging. */
  restart(reason: string): void {
    const socket = this.#socket;
    if (socket !== undefined && this.#state !== 'stopped') this.#fail(socket, reason);
  }

  /** Stops reconnecting and closes the socket after what was written leaves. */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#clearTimers();
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.destroy(), graceMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  #connect(): void {
    const { endpoint } = this.options;
    this.#state = 'connecting';
    this.#decoder = new FrameDecoder({ maxFrameLength: MAX_INCOMING_FRAME });
    this.#needDrain = false;
    this.#badFrames = 0;
    this.#log.debug({ host: endpoint.host, port: endpoint.port, tls: endpoint.tls !== undefined, attempt: this.#backoff.attempt + 1 }, 'connecting to the manager');
    const socket = endpoint.tls
      ? tlsConnect({
          host: endpoint.host,
          port: endpoint.port,
          ca: endpoint.tls.ca,
          // SNI carries host names only (RFC 6066); an IP address is still checked against the certificate.
          servername: endpoint.tls.servername ?? (isIP(endpoint.host) === 0 ? endpoint.host : undefined),
          rejectUnauthorized: true,
        })
      : netConnect({ host: endpoint.host, port: endpoint.port });
    this.#socket = socket;
    socket.setNoDelay(true);
    // The OS notices a manager host that vanished without closing the connection.
    socket.setKeepAlive(true, 10_000);
    this.#handshakeTimer = setTimeout(() => this.#fail(socket, 'the manager did not complete the registration in time'), this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
    socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
      if (this.#socket !== socket) return;
      this.#state = 'registering';
      const register = this.options.register();
      this.#log.debug({ message: redactMessage(register) }, 'connected; registering');
      this.#write(register);
    });
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('drain', () => {
      if (this.#socket !== socket) return;
      this.#needDrain = false;
      if (this.#state === 'ready') this.options.handler.onWritable();
    });
    socket.on('end', () => {
      if (this.#socket !== socket) return;
      try {
        this.#decoder.end();
      } catch (err) {
        this.#log.warn({ code: (err as ProtocolError).code }, `the manager closed the connection inside a frame: ${(err as Error).message}`);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.#socket !== socket) return;
      this.#log.warn({ code: err.code, host: endpoint.host, port: endpoint.port }, `manager connection error: ${err.message}`);
    });
    socket.on('close', () => this.#onClose(socket));
  }

  #onData(socket: Socket, chunk: Buffer): void {
    // After our end() (a refused registration) nothing more from this connection counts.
    if (this.#socket !== socket || this.#state === 'stopped' || socket.writableEnded) return;
    let payloads: Uint8Array[];
    try {
      payloads = this.#decoder.push(chunk);
    } catch (err) {
      // A broken length prefix cannot be resynchronised: drop the connection.
      this.#fail(socket, `the manager sent an unusable frame (${(err as ProtocolError).code}): ${(err as Error).message}`);
      return;
    }
    for (const payload of payloads) {
      if (this.#socket !== socket || socket.destroyed || socket.writableEnded) return;
      try {
        this.#onPayload(socket, payload);
      } catch (err) {
        // A bug of ours must not take the service down with a peer's message: drop this connection only.
        this.#log.error({ err }, 'failed to handle a message from the manager');
        this.#fail(socket, 'dropping the connection after an internal error', 'error');
        return;
      }
    }
  }

  #onPayload(socket: Socket, payload: Uint8Array): void {
    let message: TapiMessage;
    try {
      message = decodePayload(payload);
    } catch (caught) {
      const err = caught instanceof ProtocolError ? caught : new ProtocolError('malformed-xml', 'the message could not be parsed');
      this.#log.warn({ code: err.code, bytes: payload.length }, `undecodable message from the manager: ${err.message}`);
      // One bad document leaves the framing intact; several in a row mean the
      // length prefixes are out of step, and only a new connection resynchronises.
      this.#badFrames += 1;
      if (this.#badFrames >= MAX_BAD_FRAMES_IN_A_ROW) {
        this.#fail(socket, `${this.#badFrames} undecodable frames in a row: the stream from the manager is out of step`);
        return;
      }
      this.#write({ channel: 'connector', command: 'error', code: err.code, message: err.message.slice(0, 1024), ...(err.requestId ? { requestId: err.requestId } : {}) });
      return;
    }
    this.#badFrames = 0;
    if (!isDownMessage(message)) {
      this.#log.warn({ channel: message.channel, command: message.command }, 'unexpected message from the manager');
      this.#write({ channel: 'connector', command: 'error', code: 'unexpected-message', message: `${message.channel}/${message.command} is not a message a manager sends to a connector` });
      return;
    }
    if (this.#state === 'registering') {
      if (message.command === 'registered' && !isSameMajorVersion(message.protocolVersion)) {
        // §6: refused like the manager refuses a register of another major; a manager upgraded later is found by the next attempt.
        this.#log.error({ protocolVersion: message.protocolVersion }, `the manager speaks protocol ${message.protocolVersion}, another major version than this connector's ${PROTOCOL_VERSION}: registration refused`);
        this.#write({ channel: 'connector', command: 'error', code: 'unsupported-version', message: `protocol ${message.protocolVersion} is not supported; this connector speaks ${PROTOCOL_VERSION}` });
        // end(), not destroy(): the error must reach the manager. The handshake timer bounds a manager that never closes.
        socket.end();
      } else if (message.command === 'registered') {
        this.#clearHandshakeTimer();
        this.#state = 'ready';
        this.#backoff.reset();
        this.#log.info({ lastAckedSeq: message.lastAckedSeq, keepAliveInterval: message.keepAliveInterval, protocolVersion: message.protocolVersion }, 'registered with the manager');
        this.options.handler.onReady(message);
      } else if (message.command === 'error') {
        this.#fail(socket, `the manager refused the registration: ${message.code}: ${message.message}`, 'error');
      } else {
        this.#log.warn({ command: message.command }, 'message before registration ignored');
      }
      return;
    }
    if (this.#state === 'ready') this.options.handler.onMessage(message);
  }

  #write(message: TapiMessage): boolean {
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed) return false;
    const frame = encodeMessageFrame(message);
    if (socket.writableLength + frame.length > MAX_UNSENT_BYTES) {
      this.#fail(socket, `the manager stopped reading (${socket.writableLength} bytes unsent)`);
      return false;
    }
    this.#lastWriteAt = Date.now();
    if (!socket.write(frame)) this.#needDrain = true;
    return !this.#needDrain;
  }

  #fail(socket: Socket, reason: string, level: 'warn' | 'error' = 'warn'): void {
    if (this.#socket !== socket) return;
    this.#log[level](reason);
    socket.destroy();
  }

  #onClose(socket: Socket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    this.#clearHandshakeTimer();
    const wasReady = this.#state === 'ready';
    if (this.#state === 'stopped') return;
    this.#state = 'idle';
    if (wasReady) this.options.handler.onDown('connection closed');
    const delay = this.#backoff.next();
    const ceiling = this.#backoff.ceilingMs;
    this.#log[wasReady ? 'warn' : 'info']({ delayMs: delay, attempt: this.#backoff.attempt, ceilingMs: ceiling }, `manager link down; reconnecting in ${delay} ms`);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#state === 'idle') this.#connect();
    }, delay);
  }

  #clearHandshakeTimer(): void {
    if (this.#handshakeTimer !== undefined) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
  }

  #clearTimers(): void {
    this.#clearHandshakeTimer();
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }
}
