// The connector service: the line provider on one side, the manager link on
// the other, and between them the event buffer that loses nothing. This file
// only wires the parts together and reacts to their events.
import type { Logger } from 'pino';
import { PROTOCOL_VERSION, type ConnectorDownMessage, type RegisterMessage, type RegisteredMessage, type TapiMessage } from '../protocol/index.ts';
import type { ConnectorConfig } from './config/load.ts';
import { CommandHandler } from './commands.ts';
import { DailySchedule, formatTimeOfDay } from './daily.ts';
import { EventBuffer, type EventBufferStats, type OutgoingEvent } from './event-buffer.ts';
import { ProviderHealth } from './health.ts';
import { KeepaliveTimer } from './keepalive.ts';
import { LineRegistry } from './line-registry.ts';
import type { LineProvider } from './line-provider.ts';
import { onProviderEvent, type ProviderSide } from './provider-events.ts';
import { ManagerLink, type LinkState } from './manager-link.ts';
import { Outbox } from './outbox.ts';
import { Backoff, REOPEN_BACKOFF } from './backoff.ts';
import { BufferJournal } from './buffer-journal.ts';
import { DurableBuffer } from './durable-buffer.ts';
import { snapshotOf, SyncedSupport } from './catch-up.ts';
import { toWireLine } from './wire.ts';

export interface ConnectorServiceOptions {
  config: ConnectorConfig;
  provider: LineProvider;
  logger: Logger;
  /** Our version, sent in `register` (package.json's). */
  version: string;
  /** Contents of ManagerCaFile when ManagerTls = 1 (read by the caller). */
  managerCa?: string | Buffer;
  /** Wall clock in ms (timestamps of events). */
  now?: () => number;
  /** Uniform in [0, 1) (back-off jitter). */
  random?: () => number;
  reconnectBackoff?: { baseMs: number; capMs: number };
  reopenBackoff?: { baseMs: number; capMs: number };
  handshakeTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Written events unacknowledged this long drop the link (default: keep-alive interval + 15 s). */
  ackTimeoutMs?: number;
  /** How long a graceful stop waits for the manager to acknowledge what is buffered. */
  flushTimeoutMs?: number;
  /** The opened BufferFile (run.ts opens it before the provider); else it is opened here when configured. The service closes it. */
  journal?: BufferJournal;
}

export interface LiveSettings {
  ConnectionKeepAliveIntervall: number;
  RejectViaDisconnect: boolean;
}

export interface ConnectorStats {
  link: LinkState;
  /** Bytes handed to the socket and not yet on the network (bounded by back-pressure). */
  unsentBytes: number;
  buffer: EventBufferStats;
  lines: number;
  keepAliveSeconds: number;
  /** The provider is being re-initialised (the phone system went away or asked for it). */
  providerRecovering: boolean;
}

export interface StopSummary {
  /** Events the manager had not acknowledged when the connector stopped. */
  unacknowledged: number;
}

const MAX_LINES_IN_LIST = 4096;

export class ConnectorService {
  readonly #log: Logger;
  readonly #provider: LineProvider;
  readonly #buffer: EventBuffer;
  readonly #durable: DurableBuffer | undefined;
  readonly #link: ManagerLink;
  readonly #outbox: Outbox;
  readonly #lines: LineRegistry;
  readonly #commands: CommandHandler;
  readonly #health: ProviderHealth;
  readonly #keepalive: KeepaliveTimer;
  readonly #now: () => number;
  readonly #openBackoff: Backoff;
  readonly #synced: SyncedSupport;
  #live: LiveSettings;
  #managerKeepAlive: number | undefined;
  #everRegistered = false;
  #providerOpen = false;
  #openTimer: ReturnType<typeof setTimeout> | undefined;
  #daily: DailySchedule | undefined;
  #unsubscribe: (() => void) | undefined;
  #stopping: Promise<StopSummary> | undefined;

  constructor(private readonly options: ConnectorServiceOptions) {
    const { config } = options;
    const random = options.random ?? Math.random;
    this.#log = options.logger;
    this.#provider = options.provider;
    this.#now = options.now ?? Date.now;
    this.#live = { ConnectionKeepAliveIntervall: config.ConnectionKeepAliveIntervall, RejectViaDisconnect: config.RejectViaDisconnect };
    const journal = options.journal ?? (config.BufferFile === undefined ? undefined : BufferJournal.open(config.BufferFile, { host: config.ConnectorHost }));
    this.#durable =
      journal === undefined ? undefined : new DurableBuffer({ capacity: config.EventBufferSize, journal, log: this.#log, timestamp: this.#timestamp(), committed: () => this.#outbox.pump() });
    this.#buffer = this.#durable?.buffer ?? new EventBuffer(config.EventBufferSize);
    this.#lines = new LineRegistry(config.IncludeMediaTypeVideo, () => this.#live.RejectViaDisconnect);
    this.#openBackoff = new Backoff({ ...(options.reopenBackoff ?? REOPEN_BACKOFF), random });
    this.#synced = new SyncedSupport(this.#log);
    this.#link = new ManagerLink({
      endpoint: {
        host: config.CRMTapiManagerServer,
        port: config.CRMTapiManagerPort,
        ...(config.ManagerTls ? { tls: { ca: options.managerCa, servername: config.ManagerServerName } } : {}),
      },
      register: () => this.#registerMessage(),
      handler: {
        onReady: (registered) => this.#onReady(registered),
        onMessage: (message) => this.#onManagerMessage(message),
        onWritable: () => this.#outbox.pump(),
        onDown: () => this.#onDown(),
      },
      logger: this.#log,
      random,
      ...(options.reconnectBackoff ? { backoff: options.reconnectBackoff } : {}),
      ...(options.handshakeTimeoutMs ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
    });
    this.#outbox = new Outbox(this.#buffer, this.#link, this.#log, {
      // The manager's own rule for a silent connector (interval + 15 s), applied to its acks.
      timeoutMs: () => options.ackTimeoutMs ?? (this.#keepalive.intervalSeconds + 15) * 1000,
      stalled: (reason) => this.#link.restart(reason),
    });
    this.#commands = new CommandHandler({
      provider: this.#provider,
      isReported: (line) => this.#lines.has(line),
      rejectEnabled: () => this.#live.RejectViaDisconnect,
      afterReinitialize: () => this.#afterReinit(),
      log: this.#log,
      timeoutMs: options.commandTimeoutMs ?? 30_000,
    });
    this.#health = new ProviderHealth({
      provider: this.#provider,
      log: this.#log,
      random,
      ...(options.reopenBackoff ? { backoff: options.reopenBackoff } : {}),
      recovered: () => this.#afterReinit(),
    });
    this.#keepalive = new KeepaliveTimer(
      config.ConnectionKeepAliveIntervall,
      () => this.#sendKeepalive(),
      () => Date.now() - this.#link.lastWriteAt,
    );
  }

  get stats(): ConnectorStats {
    return { link: this.#link.state, unsentBytes: this.#link.unsentBytes, buffer: this.#buffer.stats, lines: this.#lines.all().length, keepAliveSeconds: this.#keepalive.intervalSeconds, providerRecovering: this.#health.recovering };
  }

  /** Opens the provider (retrying with back-off while the phone system is away) and connects to the manager. */
  async start(): Promise<void> {
    const { config } = this.options;
    const side: ProviderSide = { lines: this.#lines, syncLines: () => this.#syncLines(), emit: (e) => this.#emit(e), log: this.#log, timestamp: () => this.#timestamp(), health: this.#health };
    this.#unsubscribe = this.#provider.subscribe((event) => onProviderEvent(event, side));
    this.#log.info({ host: config.ConnectorHost, manager: `${config.CRMTapiManagerServer}:${config.CRMTapiManagerPort}`, provider: this.#provider.kind, tls: config.ManagerTls }, 'connector starting');
    this.#link.start();
    if (config.NewInitTime !== undefined) {
      this.#daily = new DailySchedule(config.NewInitTime, () => this.#dailyReinit());
      this.#log.info({ next: this.#daily.nextRun()?.toISOString() }, `lines are re-initialised daily at ${formatTimeOfDay(config.NewInitTime)}`);
    }
    await this.#openProvider();
  }

  /** Applies the settings the manual re-reads while running. */
  applyLiveSettings(next: LiveSettings): void {
    const rejectChanged = next.RejectViaDisconnect !== this.#live.RejectViaDisconnect;
    if (rejectChanged) this.#log.info({ RejectViaDisconnect: next.RejectViaDisconnect ? 1 : 0 }, 'RejectViaDisconnect changed');
    this.#live = { ...next };
    // The manager shows "reject" only where it works: tell it at once (not sent while the link is down;
    // the next registration's `lines` carries the new value anyway).
    if (rejectChanged) this.#outbox.sendControl(this.#linesMessage());
    this.#keepalive.setInterval(this.#keepAliveSeconds());
  }

  /**
   * Graceful stop: refuse new commands, let running ones answer, wait (at
   * most flushTimeoutMs) for the manager to acknowledge what is buffered,
   * then close the provider and the link. Safe to call more than once.
   */
  stop(): Promise<StopSummary> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<StopSummary> {
    const timeoutMs = this.options.flushTimeoutMs ?? 5_000;
    this.#log.info({ unacknowledged: this.#buffer.lastSeq - this.#buffer.ackedSeq, timeoutMs }, 'stopping: no new commands; flushing buffered events');
    this.#commands.refuseNew();
    this.#daily?.stop();
    this.#health.stop();
    if (this.#openTimer !== undefined) clearTimeout(this.#openTimer);
    const deadline = performance.now() + timeoutMs;
    await within(this.#commands.settled(), timeoutMs);
    while (!this.#outbox.settled && performance.now() < deadline) await sleep(Math.min(25, Math.max(1, deadline - performance.now())));
    this.#unsubscribe?.();
    this.#keepalive.stop();
    this.#outbox.disconnected();
    await this.#provider.close().catch((err: unknown) => this.#log.warn({ err }, 'provider close failed'));
    await this.#link.stop();
    this.#durable?.close();
    const unacknowledged = this.#buffer.lastSeq - this.#buffer.ackedSeq;
    if (unacknowledged > 0) this.#log.warn({ unacknowledged }, 'stopped with events the manager has not acknowledged');
    else this.#log.info('stopped; every event was acknowledged');
    return { unacknowledged };
  }

  // ---------------------------------------------------------------- provider side

  async #openProvider(): Promise<void> {
    if (this.#stopping) return;
    try {
      const lines = await this.#provider.open();
      this.#providerOpen = true;
      this.#openBackoff.reset();
      this.#log.info({ found: lines.length }, 'line provider open');
      // Before the first registration the `lines` message will carry them; afterwards
      // (the manager already heard an empty or older list) they go as lineAdded events.
      if (this.#everRegistered) this.#syncLines();
      else this.#lines.sync(this.#provider.lines());
    } catch (err) {
      const delay = this.#openBackoff.next();
      this.#log.error({ code: (err as { code?: string }).code, delayMs: delay }, `cannot open the line provider: ${(err as Error).message}; retrying in ${delay} ms`);
      this.#openTimer = setTimeout(() => void this.#openProvider(), delay);
    }
  }

  #syncLines(): void {
    for (const event of this.#lines.sync(this.#provider.lines())) this.#emit(event);
  }

  /** After a re-initialisation the lines are read again and, as the spec says, `lines` is sent again. */
  #afterReinit(): void {
    this.#syncLines();
    this.#outbox.sendControl(this.#linesMessage());
  }

  #linesMessage(): TapiMessage {
    const lines = this.#lines.all();
    if (lines.length > MAX_LINES_IN_LIST) this.#log.error({ lines: lines.length }, `more than ${MAX_LINES_IN_LIST} lines; the list is cut`);
    return { channel: 'connector', command: 'lines', lines: lines.slice(0, MAX_LINES_IN_LIST).map((l) => toWireLine(l, this.#live.RejectViaDisconnect)) };
  }

  async #dailyReinit(): Promise<void> {
    if (!this.#providerOpen || this.#stopping) return;
    this.#log.info('daily re-initialisation of all lines (NewInitTime)');
    try {
      await this.#provider.reinitialize();
      this.#afterReinit();
    } catch (err) {
      this.#log.warn({ code: (err as { code?: string }).code }, `daily re-initialisation failed: ${(err as Error).message}`);
      this.#health.recover('daily re-initialisation failed', false);
    }
  }

  #emit(event: OutgoingEvent): void {
    this.#outbox.push(event, this.#timestamp());
  }

  #timestamp(): string {
    return new Date(this.#now()).toISOString();
  }

  // ---------------------------------------------------------------- manager side

  #registerMessage(): RegisterMessage {
    const { config, version } = this.options;
    return {
      channel: 'connector',
      command: 'register',
      protocolVersion: PROTOCOL_VERSION,
      connectorVersion: version,
      host: config.ConnectorHost,
      connectorKey: config.ConnectorKey,
      // Absent until a manager has registered this sequence (in this process, or — with a
      // BufferFile — in the process that wrote it): the manager then starts a fresh sequence.
      ...(this.#buffer.announced ? { lastAckedSeq: this.#buffer.ackedSeq } : {}),
    };
  }

  #onReady(registered: RegisteredMessage): void {
    this.#everRegistered = true;
    this.#buffer.announce();
    // Durable before anything of this registration is sent: the next process must claim lastAckedSeq.
    this.#durable?.flushNow();
    if (registered.lastAckedSeq > this.#buffer.lastSeq) {
      // Its seqs above ours would make our next events look like duplicates: number on after its point.
      this.#log.warn({ lastAckedSeq: registered.lastAckedSeq, lastSeq: this.#buffer.lastSeq }, 'the manager has seen more of this sequence than the buffer holds; numbering continues after its point');
      this.#buffer.continueAfter(registered.lastAckedSeq);
    }
    this.#managerKeepAlive = registered.keepAliveInterval;
    this.#keepalive.setInterval(this.#keepAliveSeconds());
    this.#keepalive.start();
    const asOf = this.#buffer.lastSeq;
    const snapshot = snapshotOf(this.#provider.activeCalls(), (line) => this.#lines.has(line), asOf, this.#timestamp());
    this.#log.info({ lines: this.#lines.all().length, activeCalls: snapshot.length, keepAliveSeconds: this.#keepalive.intervalSeconds }, 'reporting lines and active calls');
    this.#outbox.connected(registered.lastAckedSeq, [this.#linesMessage(), ...snapshot], this.#synced.forRegistration(asOf, snapshot.length));
  }

  #onDown(): void {
    this.#keepalive.stop();
    this.#outbox.disconnected();
  }

  #onManagerMessage(message: ConnectorDownMessage): void {
    switch (message.command) {
      case 'ack':
        this.#outbox.ack(message.seq);
        return;
      case 'keepalive':
        this.#log.debug('keepalive from the manager');
        return;
      case 'registered':
        this.#log.warn('registered again on a registered link; ignored');
        return;
      case 'error':
        if (this.#synced.isReplyToSynced(message)) return;
        this.#log.warn({ code: message.code, requestId: message.requestId }, `the manager reports an error: ${message.message}`);
        return;
      default:
        this.#log.info({ command: message.command, requestId: message.requestId }, 'command from the manager');
        void this.#commands.handle(message).then((result) => {
          if (!this.#outbox.sendControl(result)) this.#log.warn({ requestId: result.requestId }, 'result not sent: the manager link is down');
        });
    }
  }

  #sendKeepalive(): void {
    this.#log.debug({ seconds: this.#keepalive.intervalSeconds }, 'keepalive');
    this.#outbox.sendControl({ channel: 'connector', command: 'keepalive' });
  }

  /** We send at least as often as the manager expects, and as the operator configured. */
  #keepAliveSeconds(): number {
    const own = this.#live.ConnectionKeepAliveIntervall;
    return this.#managerKeepAlive === undefined ? own : Math.min(own, this.#managerKeepAlive);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `work` at most `ms`, without leaving a timer behind that would hold the process open. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
