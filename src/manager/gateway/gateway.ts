// The connector gateway: the manager's `ConnectorSide`. It accepts connector
// connections on the TAPI port, checks their key, keeps the registry of
// hosts, lines and calls, acknowledges events, and carries commands with
// request ids. Transport limits live in connection.ts, state in registry.ts,
// requests in commands.ts, which connections get in in admission.ts; this
// file wires them and decides policy.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { PROTOCOL_VERSION, isSameMajorVersion, type ConnectorUpMessage, type DiagnoseConnector, type DiagnoseSocket, type RegisterMessage } from '../../protocol/index.ts';
import type { CommandOutcome, ConnectorCommand, ConnectorSide, LineEvent, ReportedLine, RoutedCallEvent, TlsMaterial, Unsubscribe } from '../contracts.ts';
import { failure, PendingCommands, routeCommand } from './commands.ts';
import { ConnectorConnection, type ConnectionLimits, type SilenceLimit } from './connection.ts';
import { keyMatches } from './keys.ts';
import { GatewayListener } from './listener.ts';
import { loopbackFor, probeListener } from './probe.ts';
import { systemClock, type ManagerClock } from '../clock.ts';
import { ConnectorRegistry } from './registry.ts';
import type { SeqStore } from './seq-store.ts';
import { ConnectorAdmission } from './admission.ts';

/** Settings read on every use, so live configuration changes apply at once. */
export interface GatewaySettings extends ConnectionLimits {
  connectorKeys: readonly string[];
  /** ConnectionKeepAliveIntervall: announced in `registered`; silence past it + 15 s closes. */
  keepAliveSeconds: number;
  commandTimeoutMs: number;
  maxConnections: number;
  maxUnregistered: number;
  /** Unregistered connections from one peer address (MaxUnregisteredPerPeer). */
  maxUnregisteredPerPeer: number;
}

export interface GatewayOptions {
  bindAddress: string;
  port: number;
  tls?: TlsMaterial;
  settings: () => GatewaySettings;
  seqs: SeqStore;
  logger: Logger;
  /** Grace after the keep-alive interval before a silent connector is dropped (default 15 s, the manual's). */
  keepAliveGraceMs?: number;
  /** Users the CRM has configured for a full line name (diagnose report). */
  usersOfLine?: (line: string) => number;
  /** The manager's clock (default the system's): monotonic for `receivedAt`, wall for made-up call ends. */
  clock?: ManagerClock;
}

/** The manual: a connector is silent too long after its keep-alive interval plus this grace. */
export const KEEPALIVE_GRACE_SECONDS = 15;
/** Connector hosts remembered at once; each needed a valid key to get here. */
export const MAX_CONNECTOR_HOSTS = 4096;

export class ConnectorGateway implements ConnectorSide {
  readonly #log: Logger;
  readonly #registry: ConnectorRegistry;
  readonly #commands: PendingCommands;
  readonly #listener: GatewayListener;
  readonly #connections = new Set<ConnectorConnection>();
  readonly #callListeners = new Set<(event: RoutedCallEvent) => void>();
  readonly #lineListeners = new Set<(event: LineEvent) => void>();
  /** Connections not yet registered, by peer address (break 4 of issue 11: strangers must not lock out a keyed connector). */
  readonly #admission: ConnectorAdmission;
  /** The manager's monotonic clock: admission's windows and a connection's bursts. */
  readonly #mono: ManagerClock['mono'];

  constructor(private readonly options: GatewayOptions) {
    this.#log = options.logger;
    this.#mono = (options.clock ?? systemClock).mono;
    this.#admission = new ConnectorAdmission(options.settings, () => this.#registeredCount(), this.#log, this.#mono);
    this.#registry = new ConnectorRegistry(
      options.seqs,
      { call: (e) => this.#emit(this.#callListeners, e), line: (e) => this.#emit(this.#lineListeners, e) },
      this.#log,
      options.clock,
    );
    this.#commands = new PendingCommands(() => options.settings().commandTimeoutMs);
    this.#listener = new GatewayListener({
      host: options.bindAddress,
      port: options.port,
      ...(options.tls ? { tls: options.tls } : {}),
      admit: (raw) => this.#admission.admit(raw),
      onSocket: (socket) => this.#accept(socket),
      onRawClose: () => undefined,
      onTlsError: (err, peer) => this.#log.info({ peer, code: (err as NodeJS.ErrnoException).code }, `TLS handshake with a connector failed: ${err.message}`),
    });
  }

  get port(): number {
    return this.#listener.port;
  }

  /** Opens the TAPI port; resolves with the bound port. */
  /**
   * Before the port opens: the journaled events whose records were not yet
   * durable when the manager last ran go through again (seq-store.ts), so a
   * kill between an acknowledgement and the outbox loses nothing.
   */
  restoreJournal(): number {
    const events = this.options.seqs.journal();
    if (events.length === 0) return 0;
    const calls = new Set(events.map((e) => e.key)).size;
    this.#registry.restore(events);
    this.#log.info({ events: events.length, calls }, 'acknowledged events whose records were not yet queued are applied again from the journal');
    return events.length;
  }

  async start(): Promise<number> {
    const port = await this.#listener.listen();
    this.#log.info({ address: this.options.bindAddress, port, tls: this.options.tls !== undefined }, 'TAPI port open for connectors');
    return port;
  }

  /** Graceful stop: waiting commands end with `shutting-down`, every connection closes. */
  async stop(): Promise<void> {
    this.#commands.stop();
    await this.#listener.close();
    for (const c of [...this.#connections]) c.close('the manager is stopping');
    await new Promise((resolve) => setTimeout(resolve, 50));
    this.#listener.destroyAll();
  }

  /** Connects to the own listener as a connector would (TCP, and the TLS handshake when on). */
  async selfTest(timeoutMs = 5_000): Promise<boolean> {
    if (!this.#listener.listening) return false;
    return probeListener(loopbackFor(this.options.bindAddress), this.port, this.options.tls !== undefined, timeoutMs);
  }

  /** Closes the listener and opens it again on the same port; open connections stay. */
  async rebuildListener(): Promise<void> {
    const port = this.port;
    await this.#listener.close();
    await this.#listener.listen(port);
  }

  /** Drops the connection of `host` (its lines become unavailable until it reconnects). */
  disconnect(host: string, reason: string): boolean {
    const connection = this.#registry.entry(host)?.connection;
    if (connection === undefined) return false;
    connection.destroy(reason);
    return true;
  }

  /** Live settings changed: re-arm the silence deadline of every registered connection. */
  settingsChanged(): void {
    const silence = this.#silence();
    for (const c of this.#connections) if (c.registered) c.setKeepAlive(silence);
  }

  // ---------------------------------------------------------------- ConnectorSide

  onCallEvent(listener: (event: RoutedCallEvent) => void): Unsubscribe {
    this.#callListeners.add(listener);
    return () => this.#callListeners.delete(listener);
  }

  onLineEvent(listener: (event: LineEvent) => void): Unsubscribe {
    this.#lineListeners.add(listener);
    return () => this.#lineListeners.delete(listener);
  }

  lines(): ReportedLine[] {
    return this.#registry.entries().flatMap((e) => [...e.lines.values()].map((l) => ({ ...l })));
  }

  command(command: ConnectorCommand): Promise<CommandOutcome> {
    try {
      return routeCommand(command, this.#registry, this.#commands, (host, message) => this.#sendTo(host, message));
    } catch (err) {
      this.#log.error({ err, kind: command.kind }, 'sending a command failed unexpectedly');
      return Promise.resolve(failure('connector-offline', 'the command could not be sent'));
    }
  }

  diagnose(): { connectors: DiagnoseConnector[]; sockets: DiagnoseSocket[] } {
    const users = this.options.usersOfLine ?? (() => 0);
    const connectors = this.#registry.entries().map((e) => ({
      host: e.host,
      peer: e.connection?.peer ?? (e.peer || '-'),
      connectorVersion: e.connectorVersion || '?',
      lines: [...e.lines.values()].map((l) => ({ line: l.line, inService: l.inService && l.connectorOnline, users: users(l.line) })),
    }));
    const sockets = [...this.#connections].filter((c) => !c.closed).map((c) => ({ kind: 'connector' as const, peer: c.peer, created: c.created.toISOString(), lastReceive: c.lastReceive.toISOString() }));
    return { connectors, sockets };
  }

  // ---------------------------------------------------------------- commands

  #sendTo(host: string, message: Parameters<ConnectorConnection['send']>[0]): boolean {
    const connection = this.#registry.entry(host)?.connection;
    if (connection === undefined || connection.closed) return false;
    connection.send(message);
    return !connection.closed;
  }

  // ---------------------------------------------------------------- connections

  #registeredCount(): number {
    let n = 0;
    for (const c of this.#connections) if (c.registered && !c.closed) n += 1;
    return n;
  }

  #accept(socket: Socket): void {
    const connection = new ConnectorConnection(socket, this.options.settings(), { onMessage: (c, m) => this.#onMessage(c, m), onClose: (c, r) => this.#onClose(c, r) }, this.#log, this.#mono);
    this.#connections.add(connection);
    if (!connection.closed) this.#admission.pending(connection, socket.remoteAddress ?? '?');
    this.#log.debug({ peer: connection.peer }, 'connector connection accepted');
  }

  #onMessage(connection: ConnectorConnection, message: ConnectorUpMessage): void {
    const host = connection.host;
    if (message.command === 'register') {
      if (connection.registered) connection.sendError('unexpected-message', 'already registered on this connection');
      else this.#register(connection, message);
      return;
    }
    if (host === undefined) return;
    switch (message.command) {
      case 'lines':
        this.#registry.applyLineList(host, message.lines);
        return;
      case 'callState':
        if (message.snapshot) {
          this.#registry.applySnapshot(host, message);
          return;
        }
        this.#sequenced(connection, host, message);
        return;
      case 'lineAdded':
      case 'lineRemoved':
      case 'lineState':
      case 'eventsLost':
        this.#sequenced(connection, host, message);
        return;
      case 'synced':
        this.#registry.synced(host, connection, message);
        return;
      case 'keepalive':
        connection.send({ channel: 'connector', command: 'keepalive' });
        return;
      case 'result':
        if (!this.#commands.result(host, message)) this.#log.info({ host, requestId: message.requestId }, 'result for no waiting request (late or repeated); ignored');
        return;
      case 'error':
        if (message.requestId === undefined || !this.#commands.error(host, message.requestId, { code: message.code, message: message.message })) {
          this.#log.warn({ host, code: message.code, requestId: message.requestId }, `the connector reports an error: ${message.message.slice(0, 200)}`);
        }
        return;
    }
  }

  #sequenced(connection: ConnectorConnection, host: string, message: Parameters<ConnectorRegistry['applySequenced']>[1]): void {
    const outcome = this.#registry.applySequenced(host, message);
    if (outcome === 'duplicate') this.#log.debug({ host, seq: message.seq }, 'event already acknowledged; dropped');
    const seq = this.#registry.entry(host)?.lastAckedSeq ?? message.seq;
    // Acknowledgement follows durability: the journal commits off the event loop (sqlite-seq-store.ts).
    this.options.seqs.whenDurable(() => connection.ack(seq));
  }

  #register(connection: ConnectorConnection, message: RegisterMessage): void {
    const settings = this.options.settings();
    const { host } = message;
    if (!keyMatches(message.connectorKey, settings.connectorKeys)) {
      // The key itself is never logged, not even in part.
      this.#log.warn({ peer: connection.peer, host }, 'connector registration refused: the connector key is not accepted');
      connection.sendError('unauthorized', 'the connector key is not accepted');
      connection.close('wrong connector key');
      return;
    }
    if (!isSameMajorVersion(message.protocolVersion)) {
      this.#log.warn({ peer: connection.peer, host, protocolVersion: message.protocolVersion }, 'connector registration refused: protocol version');
      connection.sendError('unsupported-version', `protocol ${message.protocolVersion} is not supported; this manager speaks ${PROTOCOL_VERSION}`);
      connection.close('unsupported protocol version');
      return;
    }
    const entry = this.#registry.entry(host);
    if (entry === undefined && this.#registry.size >= MAX_CONNECTOR_HOSTS) {
      connection.sendError('too-many-connectors', `this manager keeps at most ${MAX_CONNECTOR_HOSTS} connector hosts`);
      connection.close('too many connector hosts');
      return;
    }
    const previous = entry?.connection;
    this.#admission.settled(connection);
    connection.markRegistered(host, message.connectorVersion, this.#silence());
    const lastAckedSeq = this.#registry.register(host, connection, message.lastAckedSeq);
    if (previous !== undefined && previous !== connection) {
      this.#log.warn({ host, old: previous.peer, new: connection.peer }, 'connector host registered again; the older connection is closed');
      previous.close(`replaced by a new connection from ${connection.peer}`);
    }
    connection.send({ channel: 'connector', command: 'registered', protocolVersion: PROTOCOL_VERSION, lastAckedSeq, keepAliveInterval: settings.keepAliveSeconds });
    this.#log.info({ host, peer: connection.peer, connectorVersion: message.connectorVersion, lastAckedSeq, claimed: message.lastAckedSeq }, 'connector registered');
  }

  #onClose(connection: ConnectorConnection, reason: string): void {
    this.#connections.delete(connection);
    this.#admission.settled(connection);
    const host = connection.host;
    if (host === undefined || !connection.registered) {
      this.#log.debug({ peer: connection.peer, reason }, 'unregistered connector connection closed');
      return;
    }
    const current = this.#registry.entry(host)?.connection;
    if (current !== connection) {
      this.#log.info({ host, peer: connection.peer, reason }, 'replaced connector connection closed');
      return;
    }
    this.#log.warn({ host, peer: connection.peer, reason }, 'connector disconnected; its lines are unavailable');
    this.#registry.disconnected(host, connection);
    this.#commands.failHost(host, 'connector-offline', `connector ${host} disconnected before it answered`);
  }

  #silence(): SilenceLimit {
    return { intervalMs: this.options.settings().keepAliveSeconds * 1000, graceMs: this.options.keepAliveGraceMs ?? KEEPALIVE_GRACE_SECONDS * 1000 };
  }

  #emit<E>(listeners: Set<(event: E) => void>, event: E): void {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#log.error({ err }, 'a listener of connector events failed');
      }
    }
  }
}
