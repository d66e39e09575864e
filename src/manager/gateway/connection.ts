// One connector's TCP (or TLS) connection as the gateway sees it: frames in
// through the protocol's FrameDecoder, typed messages out to a handler, and
// every limit raw TCP needs because it has no HTTP timeouts — a deadline for
// a frame once its first byte arrived, an idle deadline before registration,
// a keep-alive deadline after it, a cap on bad frames and on bytes waiting to
// be written. Nothing a peer sends can throw out of this file.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import {
  FrameDecoder,
  ProtocolError,
  decodePayload,
  encodeMessageFrame,
  type AckMessage,
  type ConnectorDownMessage,
  type ConnectorUpMessage,
  type TapiMessage,
} from '../../protocol/index.ts';
import { afterReadyIo } from '../../platform/after-ready-io.ts';
import { elapsed, type MonoMs } from '../clock.ts';

export interface ConnectionLimits {
  /** Largest frame payload accepted (≤ 65,535). */
  maxFrameLength: number;
  /** From accept until `registered` was sent (TLS handshake included). */
  registrationTimeoutMs: number;
  /** From the first byte of a frame until its last. */
  frameTimeoutMs: number;
  /** Undecodable or refused frames in a row after which the connection is closed. */
  maxBadFrames: number;
  /** Bytes waiting to be written (socket buffer and our queue) past which a connector that does not read is dropped. */
  maxSendBuffer: number;
}

/** How long a registered connector may send nothing at all: its keep-alive interval plus the manager's grace. */
export interface SilenceLimit {
  intervalMs: number;
  graceMs: number;
}

export interface ConnectionHandler {
  /** A decoded message; before registration only `register` arrives here. */
  onMessage(connection: ConnectorConnection, message: ConnectorUpMessage): void;
  onClose(connection: ConnectorConnection, reason: string): void;
}

const UP_COMMANDS = new Set(['register', 'lines', 'lineAdded', 'lineRemoved', 'lineState', 'callState', 'eventsLost', 'synced', 'keepalive', 'result', 'error']);

function isUpMessage(message: TapiMessage): message is ConnectorUpMessage {
  return message.channel === 'connector' && UP_COMMANDS.has(message.command);
}

let nextId = 1;

/** While a read's call events are handled, the ready sockets are served at least this often (ms). */
export const SERVE_READY_EVERY_MS = 1;

export class ConnectorConnection {
  readonly id = nextId++;
  readonly peer: string;
  readonly created = new Date();
  lastReceive = new Date();
  /** Set once the handler accepted `register`. */
  host: string | undefined;
  connectorVersion = '';
  #registered = false;
  #closed = false;
  #closeReason = '';
  readonly #decoder: FrameDecoder;
  #badFrames = 0;
  #frameTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Frames held while the socket asks us to wait for 'drain'. */
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #waitingForDrain = false;
  /** A cumulative ack waiting to be written: only the highest is ever sent. */
  #pendingAck: number | undefined;
  #ackScheduled = false;
  /** Frames read and not yet handled (`#next` the first of them), and whether their handling waits for a later turn. */
  #unhandled: Uint8Array[] = [];
  #next = 0;
  #waiting = false;
  /** When the frames' handling last went on after the ready sockets were served (monotonic ms). */
  #servedAt = Number.NEGATIVE_INFINITY as MonoMs;

  constructor(
    readonly socket: Socket,
    private readonly limits: ConnectionLimits,
    private readonly handler: ConnectionHandler,
    private readonly log: Logger,
    /** The manager's monotonic clock (how long a burst has held the loop). */
    private readonly mono: () => MonoMs,
  ) {
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.#decoder = new FrameDecoder({ maxFrameLength: limits.maxFrameLength });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    this.#armIdle(limits.registrationTimeoutMs, `not registered within ${Math.round(limits.registrationTimeoutMs / 1000)} s`);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#flush());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.#closed) this.log.debug({ peer: this.peer, code: err.code }, `connector socket error: ${err.message}`);
    });
    socket.on('close', () => this.#onClosed());
  }

  get registered(): boolean {
    return this.#registered;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes written but not yet on the network, plus our own queue. */
  get pendingBytes(): number {
    return this.socket.writableLength + this.#queuedBytes;
  }

  /** The handler accepted `register`: from now on receiving nothing for longer than the silence limit closes the connection. */
  markRegistered(host: string, connectorVersion: string, silence: SilenceLimit): void {
    this.#registered = true;
    this.host = host;
    this.connectorVersion = connectorVersion;
    this.setKeepAlive(silence);
  }

  /** (Re)arms the silence deadline, e.g. after ConnectionKeepAliveIntervall changed. */
  setKeepAlive({ intervalMs, graceMs }: SilenceLimit): void {
    const s = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
    this.#armIdle(intervalMs + graceMs, `nothing received for ${s(intervalMs + graceMs)} (keep-alive interval ${s(intervalMs)} + grace ${s(graceMs)})`);
  }

  /** Writes one message; a connector that stopped reading is dropped once the cap is passed. */
  send(message: ConnectorDownMessage): void {
    if (this.#closed) return;
    let frame: Uint8Array;
    try {
      frame = encodeMessageFrame(message);
    } catch (err) {
      // Our own message failing to encode is a bug, not the peer's fault: log it, keep the link.
      this.log.error({ peer: this.peer, command: message.command, code: (err as ProtocolError).code }, `cannot encode a message for the connector: ${(err as Error).message}`);
      return;
    }
    this.#write(frame);
  }

  /** Acknowledges every event up to `seq`; acks of one turn of the event loop become one frame. */
  ack(seq: number): void {
    this.#pendingAck = Math.max(seq, this.#pendingAck ?? 0);
    if (this.#ackScheduled) return;
    this.#ackScheduled = true;
    setImmediate(() => {
      this.#ackScheduled = false;
      const pending = this.#pendingAck;
      this.#pendingAck = undefined;
      if (pending !== undefined) this.send({ channel: 'connector', command: 'ack', seq: pending } satisfies AckMessage);
    });
  }

  /** Replies with an `error` naming the code (never quoting secrets). */
  sendError(code: string, message: string, requestId?: string): void {
    this.send({ channel: 'connector', command: 'error', code, message: message.slice(0, 1024), ...(requestId === undefined ? {} : { requestId }) });
  }

  /** Ends the connection after what was written leaves (at most one second), then destroys it. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#markClosed(reason);
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), 1_000);
    timer.unref();
  }

  /** Drops the connection at once. */
  destroy(reason: string): void {
    if (this.#closed) return;
    this.#markClosed(reason);
    this.socket.destroy();
  }

  #markClosed(reason: string): void {
    this.#closed = true;
    this.#closeReason = reason;
    this.#clearTimers();
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#unhandled = [];
    this.#next = 0;
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    let payloads: Uint8Array[];
    try {
      payloads = this.#decoder.push(chunk);
    } catch (err) {
      // A length prefix over the limit cannot be skipped: the stream is lost.
      const code = err instanceof ProtocolError ? err.code : 'frame-too-large';
      this.sendError(code, (err as Error).message);
      this.close(`${code}: ${(err as Error).message}`);
      return;
    }
    // Any byte is life (a frame in progress is bounded by its own deadline): the same timer moved on, not a new one.
    if (this.#registered) this.#idleTimer?.refresh();
    // The deadline runs from the first byte of the frame in progress: a frame completed here restarts it.
    if (payloads.length > 0 || !this.#decoder.inFrame) this.#clearFrameDeadline();
    if (this.#decoder.inFrame) this.#armFrameDeadline();
    if (payloads.length === 0) return;
    this.lastReceive = new Date();
    for (const payload of payloads) this.#unhandled.push(payload);
    if (!this.#waiting) this.#handleFrames();
  }

  /**
   * Handles the frames read, in order. After a call event, which may have
   * written popups, the rest waits until the sockets that are ready have been
   * served (the socket paused meanwhile, so nothing overtakes): the popup's
   * reader, and another connector's events, do not wait behind this chunk's
   * later events (in the bench, the call's own `idle` right behind it). A
   * burst (a replay after an outage) waits so at most once per
   * SERVE_READY_EVERY_MS: a turn of its own for each event made a replay of
   * 10,000 events take 1.1 s instead of 0.14 s.
   */
  #handleFrames(): void {
    while (this.#next < this.#unhandled.length && !this.#closed) {
      const payload = this.#unhandled[this.#next] as Uint8Array;
      this.#next += 1;
      const callEvent = this.#onPayload(payload);
      if (callEvent && this.#next < this.#unhandled.length && !this.#closed && elapsed(this.mono(), this.#servedAt) >= SERVE_READY_EVERY_MS) {
        this.#waiting = true;
        this.socket.pause();
        afterReadyIo(() => {
          this.#waiting = false;
          this.#servedAt = this.mono();
          this.#handleFrames();
        });
        return;
      }
    }
    this.#unhandled = [];
    this.#next = 0;
    if (!this.#closed && this.socket.isPaused()) this.socket.resume();
  }

  /** True for a call event the handler took (not a snapshot): one that may have made popups. */
  #onPayload(payload: Uint8Array): boolean {
    let message: TapiMessage;
    try {
      message = decodePayload(payload, { limits: { maxDocumentBytes: this.limits.maxFrameLength } });
    } catch (err) {
      if (!(err instanceof ProtocolError)) {
        this.log.error({ peer: this.peer, err }, 'decoding a connector frame failed unexpectedly');
        this.destroy('internal decoding failure');
        return false;
      }
      this.#badFrame(err.code, err.message, err.requestId);
      return false;
    }
    if (!isUpMessage(message)) {
      this.#badFrame('unexpected-message', `${message.channel}/${message.command} is not a message a connector sends to the manager`);
      return false;
    }
    if (!this.#registered && message.command !== 'register') {
      this.#badFrame('not-registered', `${message.command} before register`);
      return false;
    }
    this.#badFrames = 0;
    try {
      this.handler.onMessage(this, message);
    } catch (err) {
      // A handler bug must not take the process down; the connection is suspect now.
      this.log.error({ peer: this.peer, host: this.host, command: message.command, err }, 'handling a connector message failed');
      this.destroy('internal error while handling a message');
      return false;
    }
    return message.command === 'callState' && !message.snapshot;
  }

  #badFrame(code: string, message: string, requestId?: string): void {
    this.#badFrames += 1;
    this.log.warn({ peer: this.peer, host: this.host, code, badFrames: this.#badFrames }, `bad frame from a connector: ${message.slice(0, 200)}`);
    this.sendError(code, message, requestId);
    if (this.#badFrames >= this.limits.maxBadFrames) this.close(`${this.#badFrames} bad frames in a row (last: ${code})`);
  }

  #write(frame: Uint8Array): void {
    if (this.pendingBytes + frame.length > this.limits.maxSendBuffer) {
      this.log.warn({ peer: this.peer, host: this.host, pendingBytes: this.pendingBytes }, 'connector does not read; dropping the connection');
      this.destroy(`the connector stopped reading (${this.pendingBytes} bytes waiting)`);
      return;
    }
    if (this.#waitingForDrain) {
      this.#queue.push(frame);
      this.#queuedBytes += frame.length;
      return;
    }
    if (!this.socket.write(frame)) this.#waitingForDrain = true;
  }

  #flush(): void {
    this.#waitingForDrain = false;
    while (this.#queue.length > 0 && !this.#waitingForDrain && !this.#closed) {
      const frame = this.#queue.shift() as Uint8Array;
      this.#queuedBytes -= frame.length;
      if (!this.socket.write(frame)) this.#waitingForDrain = true;
    }
  }

  #armIdle(ms: number, why: string): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    if (this.#closed) return;
    this.#idleTimer = setTimeout(() => this.destroy(why), ms);
    this.#idleTimer.unref();
  }

  #armFrameDeadline(): void {
    if (this.#frameTimer !== undefined) return;
    this.#frameTimer = setTimeout(
      () => this.destroy(`a frame was not completed within ${Math.round(this.limits.frameTimeoutMs / 1000)} s of its first byte`),
      this.limits.frameTimeoutMs,
    );
    this.#frameTimer.unref();
  }

  #clearFrameDeadline(): void {
    if (this.#frameTimer !== undefined) clearTimeout(this.#frameTimer);
    this.#frameTimer = undefined;
  }

  #clearTimers(): void {
    this.#clearFrameDeadline();
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #onClosed(): void {
    if (!this.#closed) this.#markClosed('closed by the connector');
    try {
      this.handler.onClose(this, this.#closeReason);
    } catch (err) {
      this.log.error({ peer: this.peer, err }, 'connector close handler failed');
    }
  }
}
