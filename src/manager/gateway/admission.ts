// Which connector connections the gateway admits (break 4 of issue 11: strangers must not lock out a keyed
// connector). Registered connections filling MaxConnectorConnections refuse a newcomer; a full cap of
// unregistered ones never does: the oldest of the peer holding the most (of the newcomer's own peer past
// MaxUnregisteredPerPeer) is evicted instead. Refusals and evictions are logged throttled: strangers set their rate.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ThrottledLog } from '../admission/log-throttle.ts';
import { PreAuthAdmission } from '../admission/pre-auth.ts';
import type { MonoMs } from '../clock.ts';
import type { ConnectorConnection } from './connection.ts';

/** The settings admission reads on every use (GatewaySettings' share). */
export interface AdmissionSettings {
  maxConnections: number;
  maxUnregistered: number;
  maxUnregisteredPerPeer: number;
}

export class ConnectorAdmission {
  readonly #pending: PreAuthAdmission<ConnectorConnection>;
  readonly #refusals: ThrottledLog;
  readonly #evictions: ThrottledLog;

  constructor(
    private readonly settings: () => AdmissionSettings,
    /** Registered connections open now. */
    private readonly registered: () => number,
    log: Logger,
    mono: () => MonoMs,
  ) {
    this.#pending = new PreAuthAdmission(() => {
      const s = settings();
      return { total: Math.min(s.maxUnregistered, s.maxConnections - registered()), perPeer: s.maxUnregisteredPerPeer };
    });
    this.#refusals = new ThrottledLog(log, 'connector connections refused', undefined, mono);
    this.#evictions = new ThrottledLog(log, 'unregistered connector connections evicted', undefined, mono);
  }

  /** Whether a new socket may be accepted; makes room among the unregistered ones first. */
  admit(raw: Socket): boolean {
    const s = this.settings();
    const peer = raw.remoteAddress ?? '?';
    const registered = this.registered();
    if (registered >= s.maxConnections) {
      this.#refusals.note(peer, { connections: registered, max: s.maxConnections }, 'connector connection refused: MaxConnectorConnections reached, all registered');
      return false;
    }
    for (const { item: victim, cap } of this.#pending.victimsFor(peer)) {
      this.#pending.remove(victim);
      this.#evictions.note(victim.socket.remoteAddress ?? '?', { newcomer: peer, unregistered: this.#pending.size + 1, max: s.maxUnregistered, perPeer: s.maxUnregisteredPerPeer },
        cap === 'perPeer' ? 'unregistered connector connection evicted: MaxUnregisteredPerPeer reached for its address' : 'unregistered connector connection evicted: MaxUnregisteredConnections reached');
      victim.destroy('evicted to admit a newer connection before it registered');
    }
    return true;
  }

  /** An accepted connection, not yet registered. */
  pending(connection: ConnectorConnection, peer: string): void {
    this.#pending.add(connection, peer);
  }

  /** A connection that registered or closed: no longer pending. */
  settled(connection: ConnectorConnection): void {
    this.#pending.remove(connection);
  }
}
