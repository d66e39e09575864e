// What happens to each message of one client: the handshake (`connect` →
// `challenge` → `prove` → `welcome`, or on the diagnose channel any request →
// `challenge` → `prove` → the answer), messages kept while the proof runs and
// handled after it (the manual's "MissedMessages"), then the user's requests.
// Nothing before the proof gets an event or an answer beyond the handshake.
import { later, type ManagerClock } from '../clock.ts';
import type { Logger } from 'pino';
import { decodeMessage, ProtocolError, type TapiMessage } from '../../protocol/index.ts';
import type { DialService } from '../dial/dial.ts';
import { CLOSE, type ClientConnection } from './connection.ts';
import { newNonce, ProofError, verifyProof, type ProofDeps } from './proof.ts';

/** Messages kept during the handshake at most; more is a misbehaving client. */
export const MAX_KEPT = 16;
/** Undecodable messages tolerated per connection before it is closed. */
export const MAX_BAD_MESSAGES = 5;

export interface SessionDeps {
  proof: ProofDeps;
  dial: DialService;
  logger: Logger;
  clock: ManagerClock;
  handshakeTimeoutMs: number;
  /** The client is proven: enrol it, send the welcome and what it missed (incall/outcall). */
  welcome: (c: ClientConnection) => void;
  /** Answers a diagnose-channel request of a proven admin. */
  diagnose: (c: ClientConnection, m: Extract<TapiMessage, { channel: 'diagnose' }>) => Promise<void>;
}

export class ClientSession {
  private readonly deadline: NodeJS.Timeout;

  constructor(
    private readonly c: ClientConnection,
    private readonly d: SessionDeps,
  ) {
    this.deadline = setTimeout(() => {
      if (c.phase !== 'ready') c.close(CLOSE.handshakeTimeout, 'identity proof not completed in time');
    }, d.handshakeTimeoutMs);
    this.deadline.unref();
    c.whenGone(() => clearTimeout(this.deadline));
  }

  receive(text: string): void {
    const c = this.c;
    c.lastReceive = this.d.clock.wall();
    let message: TapiMessage;
    try {
      message = decodeMessage(text);
    } catch (err) {
      const e = err instanceof ProtocolError ? err : undefined;
      const channel = e?.channel === 'diagnose' || e?.channel === 'outcall' ? e.channel : c.kind === 'diagnose' ? 'diagnose' : 'intincall';
      this.bad(channel, e?.code ?? 'malformed-xml', e?.message ?? 'the message could not be read', e?.requestId);
      return;
    }
    if (c.phase === 'ready') void this.handle(message);
    else this.handshake(message);
  }

  bad(channel: TapiMessage['channel'], code: string, message: string, requestId?: string): void {
    const c = this.c;
    c.badMessages += 1;
    c.sendError(channel, code, message, requestId);
    if (c.badMessages >= MAX_BAD_MESSAGES) c.close(CLOSE.badMessages, 'too many unreadable messages');
  }

  private handshake(m: TapiMessage): void {
    const c = this.c;
    if (c.phase === 'connect') {
      if (m.command === 'connect') {
        c.kind = m.incallClient === 'incalltest' ? 'incalltest' : m.channel === 'outcall' ? 'outcall' : 'incall';
        if (m.userid !== undefined) c.claimedUserId = m.userid;
        this.challenge('intincall');
        return;
      }
      if (m.channel === 'diagnose' && (m.command === 'diagnose' || m.command === 'refreshPhoneNumbers' || m.command === 'outboxRetry' || m.command === 'outboxDrop')) {
        c.kind = 'diagnose';
        c.kept.push(m);
        this.challenge('diagnose');
        return;
      }
      this.bad(m.channel, 'handshake-required', 'send connect first (or a diagnose request on the diagnose channel)');
      return;
    }
    if (m.command === 'prove' && c.phase === 'challenged') {
      void this.prove(m);
      return;
    }
    if (m.command === 'connect' || m.command === 'prove') {
      this.bad(m.channel, 'handshake-in-progress', `${m.command} is not expected now`);
      return;
    }
    if (c.kept.length >= MAX_KEPT) {
      c.close(CLOSE.policy, 'too many messages before the identity proof');
      return;
    }
    c.kept.push(m);
  }

  private challenge(channel: 'intincall' | 'diagnose'): void {
    const c = this.c;
    c.nonce = newNonce();
    c.nonceExpiresAt = this.d.clock.wall() + this.d.handshakeTimeoutMs;
    c.nonceDeadline = later(this.d.clock.mono(), this.d.handshakeTimeoutMs);
    c.phase = 'challenged';
    c.send({ channel, command: 'challenge', nonce: c.nonce, expiresAt: new Date(c.nonceExpiresAt).toISOString() });
  }

  private async prove(m: Extract<TapiMessage, { command: 'prove' }>): Promise<void> {
    const c = this.c;
    const channel = c.kind === 'diagnose' ? 'diagnose' : 'intincall';
    if (m.channel !== channel) return this.bad(m.channel, 'wrong-channel', `prove belongs on the ${channel} channel`);
    if (m.nonce !== c.nonce) return this.refuse(channel, new ProofError('proof-failed', 'the nonce is not the one this connection was given'));
    if (this.d.clock.mono() > c.nonceDeadline) return this.refuse(channel, new ProofError('proof-expired', 'the challenge has expired'));
    c.phase = 'proving';
    try {
      const user = await verifyProof({ nonce: m.nonce, sessionRecordId: m.sessionRecordId, clientInstanceId: m.clientInstanceId, channel }, this.d.proof);
      if (c.phase !== 'proving') return; // closed meanwhile
      if (c.kind === 'diagnose' && !user.admin) return this.refuse(channel, new ProofError('not-admin', 'the diagnose channel is for TapiInterface Admin and System Administrator only'));
      if (c.claimedUserId !== undefined && c.claimedUserId !== user.id) {
        this.d.logger.warn({ client: c.id, peer: c.peer, claimed: c.claimedUserId, proven: user.id }, 'client claimed another user id than it proved; the proof wins');
      }
      c.user = user;
      c.phase = 'ready';
      c.nonce = undefined;
      c.lastActive = this.d.clock.mono();
      this.d.logger.info({ client: c.id, peer: c.peer, kind: c.kind, user: user.id }, 'client proved its identity');
      if (c.kind !== 'diagnose') this.d.welcome(c);
      const kept = c.kept.splice(0);
      for (const k of kept) await this.handle(k);
    } catch (err) {
      const e = err instanceof ProofError ? err : new ProofError('proof-failed', 'the identity proof failed', { cause: err });
      if (!(err instanceof ProofError)) this.d.logger.error({ err, client: c.id }, 'identity proof failed unexpectedly');
      this.refuse(channel, e);
    }
  }

  private refuse(channel: 'intincall' | 'diagnose', e: ProofError): void {
    const c = this.c;
    this.d.logger.warn({ client: c.id, peer: c.peer, code: e.code, reason: e.message }, 'client identity proof refused');
    c.sendError(channel, e.code, e.message);
    c.close(e.code === 'not-admin' ? CLOSE.notAdmin : CLOSE.proofFailed, e.code);
  }

  private async handle(m: TapiMessage): Promise<void> {
    const c = this.c;
    const user = c.user;
    if (user === undefined) return;
    try {
      if (m.channel === 'diagnose') {
        if (c.kind !== 'diagnose') return this.bad('diagnose', 'wrong-channel', 'this connection is not a diagnose connection');
        return await this.d.diagnose(c, m);
      }
      if (c.kind === 'diagnose') return this.bad(m.channel, 'wrong-channel', 'this is a diagnose connection');
      switch (m.command) {
        case 'heartbeat':
          c.send({ channel: 'intincall', command: 'heartbeat' });
          return;
        case 'dial':
          c.lastActive = this.d.clock.mono();
          c.send(await this.d.dial.dial({ userId: user.id, userName: user.name }, m));
          return;
        case 'callControl':
          c.lastActive = this.d.clock.mono();
          c.send(await this.d.dial.callControl({ userId: user.id, userName: user.name }, m));
          return;
        case 'error':
          this.d.logger.info({ client: c.id, code: m.code, reason: m.message }, 'client reported an error');
          return;
        default:
          this.bad(m.channel, 'unexpected-command', `${m.command} is not something a client sends now`, 'requestId' in m ? (m.requestId as string | undefined) : undefined);
      }
    } catch (err) {
      this.d.logger.error({ err, client: c.id, command: m.command }, 'client request failed');
      c.sendError(m.channel, 'internal-error', 'the request failed inside the manager', 'requestId' in m ? (m.requestId as string | undefined) : undefined);
    }
  }
}
