// One browser (or diagnose) client on the WebSocket port: its identity once
// proven, its kind, the times the diagnose report shows, and a send path that
// never blocks the manager — a client whose unsent bytes pass the cap is
// dropped (issue 7 item 4: a slow client never slows the others).
import type { MonoMs } from '../clock.ts';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { carryableText, encodeMessage, ProtocolError, type DiagnoseSocket, type TapiMessage } from '../../protocol/index.ts';

export type ClientKind = 'incall' | 'incalltest' | 'outcall' | 'diagnose';
export type Phase = 'connect' | 'challenged' | 'proving' | 'ready' | 'closed';

export interface ProvenUser {
  id: string;
  name: string;
  admin: boolean;
  /** True for the operator proof (DiagnoseKey) instead of a CRM user. */
  operator: boolean;
}

/** WebSocket close codes we use (4000–4999 are the application's). */
export const CLOSE = {
  policy: 1008,
  tooSlow: 4008,
  proofFailed: 4401,
  notAdmin: 4403,
  handshakeTimeout: 4408,
  badMessages: 4400,
  /** RFC 6455 "unsupported data": spec §2.2 refuses binary messages with it. */
  unsupportedData: 1003,
  shutdown: 1001,
} as const;

export class ClientConnection {
  kind: ClientKind | undefined;
  phase: Phase = 'connect';
  user: ProvenUser | undefined;
  nonce: string | undefined;
  /** Wall time the challenge tells the client; the check itself uses `nonceDeadline`. */
  nonceExpiresAt = 0;
  nonceDeadline = 0 as MonoMs;
  claimedUserId: string | undefined;
  /** Wall time: shown in the diagnose report. */
  lastReceive: number;
  /** Monotonic: last user action (welcome, dial, call control); the popup goes to the most recently active tab. */
  lastActive: MonoMs;
  alive = true;
  badMessages = 0;
  /** Messages that arrived before the identity proof finished ("MissedMessages"), handled after it. */
  readonly kept: TapiMessage[] = [];
  private onGone: (() => void) | undefined;

  constructor(
    readonly id: string,
    private readonly ws: WebSocket,
    readonly peer: string,
    /** Wall time: shown in the diagnose report. */
    readonly created: number,
    createdMono: MonoMs,
    private readonly sendCap: number,
    private readonly logger: Logger,
  ) {
    this.lastReceive = created;
    this.lastActive = createdMono;
  }

  get open(): boolean {
    return this.phase !== 'closed' && this.ws.readyState === WebSocket.OPEN;
  }

  /** Encodes and queues a message; false when the client is gone or was just dropped for being too slow. */
  send(message: TapiMessage): boolean {
    if (!this.open) return false;
    if (this.ws.bufferedAmount > this.sendCap) {
      this.logger.warn({ client: this.id, peer: this.peer, user: this.user?.id, buffered: this.ws.bufferedAmount }, 'client reads too slowly; dropped');
      this.terminate();
      return false;
    }
    let text: string;
    try {
      text = encodeMessage(message);
    } catch (err) {
      this.logger.error({ err, client: this.id, command: message.command }, 'message could not be encoded; not sent');
      this.replyUnencodable(message, err);
      return false;
    }
    this.ws.send(text);
    return true;
  }

  /**
   * A reply to a request (it carries the request's id) that cannot be encoded — content from the CRM
   * or a connector the catalogue refuses — is answered with a typed error instead of silence, so the
   * client does not wait out its timeout. The error names the field, never the refused value.
   */
  private replyUnencodable(message: TapiMessage, err: unknown): void {
    const requestId = (message as { requestId?: unknown }).requestId;
    if (typeof requestId !== 'string' || message.command === 'error') return;
    const field = err instanceof ProtocolError && err.field !== undefined ? ` (${err.field.slice(0, 128)})` : '';
    const code = err instanceof ProtocolError ? err.code : 'internal';
    this.sendError(message.channel, 'unencodable-reply', `the ${message.command} reply could not be encoded: ${code}${field}; the manager's log has the details`, requestId);
  }

  sendError(channel: TapiMessage['channel'], code: string, message: string, requestId?: string): void {
    this.send({ channel, command: 'error', code, message: message.slice(0, 1024), ...(requestId === undefined ? {} : { requestId }) } as TapiMessage);
  }

  close(code: number, reason: string): void {
    if (this.phase === 'closed') return;
    this.markClosed();
    // The close frame follows whatever is queued; terminate if the peer never answers it.
    this.ws.close(code, reason.slice(0, 120));
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  terminate(): void {
    this.markClosed();
    this.ws.terminate();
  }

  ping(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  whenGone(listener: () => void): void {
    this.onGone = listener;
  }

  markClosed(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    const gone = this.onGone;
    this.onGone = undefined;
    gone?.();
  }

  describe(): DiagnoseSocket | undefined {
    if (this.kind === undefined) return undefined;
    return {
      kind: this.kind,
      peer: this.peer.slice(0, 300),
      created: new Date(this.created).toISOString(),
      lastReceive: new Date(this.lastReceive).toISOString(),
      ...(this.user === undefined ? {} : { user: carryableText(this.user.name, 256) }),
    };
  }
}
