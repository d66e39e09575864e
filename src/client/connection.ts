// The client's connection to the manager (spec/protocol.md 7.6): WebSocket,
// `connect` → `challenge` → session record in Dataverse → `prove` →
// `welcome`, heartbeats, requests matched by requestId, and reconnect with
// back-off after any loss. The socket, the session-record writer, timers and
// randomness come in from outside, so the same code runs in the browser and
// under vitest against a real manager or a fake one.
import {
  decodeMessage,
  encodeMessage,
  PROTOCOL_VERSION,
  ProtocolError,
  isSameMajorVersion,
  type CallControlAction,
  type CallControlResultMessage,
  type CallNotificationMessage,
  type ClientUpMessage,
  type DialResultMessage,
  type RegardingRef,
  type TapiMessage,
  type WelcomeMessage,
} from '../protocol/index.ts';
import { DEFAULT_BACKOFF, reconnectDelay, type BackoffOptions } from './backoff.ts';
import { ClientError } from './errors.ts';
import { loggable, redact, type DiagnosticLog } from './log.ts';

export type ConnectionStatus = 'connecting' | 'connected' | 'error';

/** The part of the browser's WebSocket the client uses (the `ws` package offers the same). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: { data?: unknown; code?: number; reason?: string }) => void): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ConnectionOptions {
  /** Resolves the manager's WebSocket URL (read from the line records before each attempt). */
  url: () => Promise<string>;
  createSocket: (url: string) => SocketLike;
  /** Creates the session record as the signed-in user; resolves with its id. */
  createSession: (nonce: string, clientInstanceId: string) => Promise<string>;
  clientInstanceId: string;
  /** Claimed in `connect` for the manager's log (never trusted). */
  userId?: string;
  organisation?: string;
  log: DiagnosticLog;
  random: () => number;
  timers?: Timers;
  backoff?: BackoffOptions;
  requestTimeoutMs?: number;
  /** The incallVersion we announce. */
  version?: string;
}

export interface ConnectionEvents {
  status?: (status: ConnectionStatus, detail: string) => void;
  welcome?: (message: WelcomeMessage) => void;
  notification?: (message: CallNotificationMessage) => void;
}

const OPEN = 1;

interface Pending {
  resolve: (m: DialResultMessage | CallControlResultMessage) => void;
  reject: (e: ClientError) => void;
  timer: unknown;
}

export class ManagerConnection {
  private socket: SocketLike | undefined;
  private stopped = true;
  private attempt = 0;
  private reconnectTimer: unknown;
  private heartbeatTimer: unknown;
  private silenceTimer: unknown;
  private heartbeatMs = 30_000;
  private ready = false;
  private counter = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly timers: Timers;
  private currentStatus: ConnectionStatus = 'connecting';
  welcome: WelcomeMessage | undefined;

  constructor(
    private readonly o: ConnectionOptions,
    private readonly events: ConnectionEvents = {},
  ) {
    this.timers = o.timers ?? { setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms), clearTimeout: (h) => globalThis.clearTimeout(h as number) };
  }

  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    this.timers.clearTimeout(this.reconnectTimer);
    this.drop('the client stopped', 1000);
  }

  dial(line: string, number: string, regarding?: RegardingRef): Promise<DialResultMessage> {
    const requestId = `d-${(this.counter += 1)}`;
    return this.request(requestId, { channel: 'intincall', command: 'dial', requestId, line, number, ...(regarding ? { regarding } : {}) }) as Promise<DialResultMessage>;
  }

  /** `target`: the number for `transfer` and `consult` (the manager converts it with the line's dialing rules). */
  callControl(callKey: string, action: CallControlAction, target?: string): Promise<CallControlResultMessage> {
    const requestId = `c-${(this.counter += 1)}`;
    const message: ClientUpMessage = { channel: 'intincall', command: 'callControl', requestId, callKey, action, ...(target === undefined ? {} : { target }) };
    return this.request(requestId, message) as Promise<CallControlResultMessage>;
  }

  private request(requestId: string, message: ClientUpMessage): Promise<DialResultMessage | CallControlResultMessage> {
    if (!this.ready) return Promise.reject(new ClientError('not-connected', 'not connected to the TAPI manager'));
    return new Promise((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(requestId);
        reject(new ClientError('request-timeout', `the manager did not answer ${message.command} in time`));
      }, this.o.requestTimeoutMs ?? 15_000);
      this.pending.set(requestId, { resolve, reject, timer });
      this.send(message);
    });
  }

  private setStatus(status: ConnectionStatus, detail: string): void {
    this.currentStatus = status;
    this.events.status?.(status, detail);
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    this.setStatus('connecting', 'connecting');
    let url: string;
    try {
      url = await this.o.url();
      const parsed = new URL(url);
      if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new ClientError('invalid-manager-url', `the manager URL ${url} is not ws:// or wss://`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.o.log.error(`the manager URL could not be read: ${message} — the host name is read from the default and site records`);
      this.setStatus('error', message);
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) return;
    this.o.log.info(`connect to ${url}`);
    let socket: SocketLike;
    try {
      socket = this.o.createSocket(url);
    } catch (err) {
      this.o.log.error(`could not connect to endpoint ${url}: ${err instanceof Error ? err.message : String(err)}`);
      this.setStatus('error', 'could not connect');
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      this.o.log.info('WebSocket open');
      this.send({
        channel: 'intincall', command: 'connect', registration: 'manuell', incallVersion: this.o.version ?? '9.0.0', incallClient: 'web',
        ...(this.o.userId ? { userid: this.o.userId } : {}), ...(this.o.organisation ? { organisation: this.o.organisation } : {}),
      });
      this.armSilence();
    });
    socket.addEventListener('message', (event) => {
      if (this.socket === socket && typeof event.data === 'string') void this.receive(event.data);
    });
    socket.addEventListener('error', () => {
      if (this.socket === socket) this.o.log.error(`could not connect to endpoint ${url} (WebSocket error)`);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.o.log.error(`connection closed (${event.code ?? 0}${event.reason ? `: ${event.reason}` : ''})`);
      this.lost(event.reason || 'connection closed');
    });
  }

  private lost(detail: string): void {
    this.ready = false;
    this.timers.clearTimeout(this.heartbeatTimer);
    this.timers.clearTimeout(this.silenceTimer);
    for (const [id, p] of this.pending) {
      this.timers.clearTimeout(p.timer);
      p.reject(new ClientError('not-connected', 'the connection to the TAPI manager was lost'));
      this.pending.delete(id);
    }
    if (this.stopped) return;
    this.setStatus('error', detail);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = reconnectDelay(this.attempt, this.o.random, this.o.backoff ?? DEFAULT_BACKOFF);
    this.attempt += 1;
    this.o.log.info(`reconnect in ${(delay / 1000).toFixed(1)} s`);
    this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.timers.setTimeout(() => void this.open(), delay);
  }

  private drop(reason: string, code = 4000): void {
    const s = this.socket;
    this.socket = undefined;
    try {
      s?.close(code, reason);
    } catch {
      // already closing
    }
    this.lost(reason);
  }

  private send(message: ClientUpMessage): void {
    const s = this.socket;
    if (s === undefined || s.readyState !== OPEN) return;
    const xml = encodeMessage(message);
    this.o.log.add('send', loggable(xml));
    s.send(xml);
    this.armHeartbeat();
  }

  private armHeartbeat(): void {
    if (!this.ready) return;
    this.timers.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = this.timers.setTimeout(() => this.send({ channel: 'intincall', command: 'heartbeat' }), this.heartbeatMs);
  }

  /** A manager that stays silent for 2.5 heartbeat intervals is gone, even if TCP has not noticed. */
  private armSilence(): void {
    this.timers.clearTimeout(this.silenceTimer);
    this.silenceTimer = this.timers.setTimeout(() => {
      this.o.log.error('the manager stopped answering');
      this.drop('the manager stopped answering');
    }, Math.max(this.heartbeatMs * 2.5, 10_000));
  }

  private async receive(text: string): Promise<void> {
    this.armSilence();
    this.o.log.add('receive', loggable(text));
    let m: TapiMessage;
    try {
      m = decodeMessage(text);
    } catch (err) {
      this.o.log.error(`unreadable message from the manager: ${err instanceof ProtocolError ? `${err.code}: ${err.message}` : String(err)}`);
      // Spec §5/§6: a bad message is answered with an error (with its requestId), never an error about an error.
      if (err instanceof ProtocolError && err.command !== 'error') {
        this.send({ channel: 'intincall', command: 'error', code: err.code, message: err.message.slice(0, 200), ...(err.requestId === undefined ? {} : { requestId: err.requestId }) });
      }
      return;
    }
    if (m.channel !== 'intincall') return;
    switch (m.command) {
      case 'challenge':
        return this.prove(m.nonce);
      case 'welcome':
        if (!isSameMajorVersion(m.protocolVersion)) {
          // Spec §6: another major is refused like the manager refuses one; retried with back-off (the manager may be rolled back).
          const reason = `the TAPI manager speaks protocol ${m.protocolVersion}; this client speaks ${PROTOCOL_VERSION}`;
          this.o.log.error(reason);
          this.send({ channel: 'intincall', command: 'error', code: 'unsupported-version', message: reason });
          this.drop(reason);
          return;
        }
        this.ready = true;
        this.attempt = 0;
        this.welcome = m;
        this.heartbeatMs = Math.max(1, m.heartbeatInterval) * 1000;
        this.armHeartbeat();
        this.armSilence();
        this.o.log.info(`signed in as ${m.userName} (${m.lines.length} line${m.lines.length === 1 ? '' : 's'})`);
        this.events.welcome?.(m);
        this.setStatus('connected', m.userName);
        return;
      case 'callNotification':
        this.events.notification?.(m);
        return;
      case 'dialResult':
      case 'callControlResult': {
        const p = this.pending.get(m.requestId);
        if (p === undefined) return;
        this.pending.delete(m.requestId);
        this.timers.clearTimeout(p.timer);
        p.resolve(m);
        return;
      }
      case 'error': {
        this.o.log.error(`manager error ${m.code}: ${m.message}`);
        const p = m.requestId === undefined ? undefined : this.pending.get(m.requestId);
        if (p !== undefined && m.requestId !== undefined) {
          this.pending.delete(m.requestId);
          this.timers.clearTimeout(p.timer);
          p.reject(new ClientError('crm-request-failed', `${m.code}: ${m.message}`));
        } else if (!this.ready) this.setStatus('error', `${m.code}: ${m.message}`);
        return;
      }
      default:
        return;
    }
  }

  private async prove(nonce: string): Promise<void> {
    const socket = this.socket;
    let sessionRecordId: string;
    try {
      this.o.log.info(`challenge received; creating the session record (nonce ${redact(nonce)})`);
      sessionRecordId = await this.o.createSession(nonce, this.o.clientInstanceId);
    } catch (err) {
      this.o.log.error(`the session record could not be created: ${err instanceof Error ? err.message : String(err)}`);
      if (this.socket === socket) this.drop('identity proof failed');
      return;
    }
    if (this.socket !== socket) return;
    this.send({ channel: 'intincall', command: 'prove', nonce, sessionRecordId, clientInstanceId: this.o.clientInstanceId });
  }
}
