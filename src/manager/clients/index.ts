// The user side of the manager (issue 7 items 4–9, contracts.ts `UserSide`):
// client gateway, identity proof, entitlements, call routing, click-to-dial,
// call records and the diagnose channel, wired together. The composition
// root calls `createUserSide(context)` once the CRM works, then `start()`.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { LineConfigRecord } from '../../dataverse/repositories/index.ts';
import type { DiagnoseSocket, TapiMessage } from '../../protocol/index.ts';
import type { ReportedLine, RoutedCallEvent, UserSideContext, UserSideService } from '../contracts.ts';
import { DialService } from '../dial/dial.ts';
import { TokenBuckets } from '../dial/rate-limit.ts';
import { outboxAction, outboxReport } from '../diagnose-ws/outbox.ts';
import { diagnoseReport, refreshResult } from '../diagnose-ws/report.ts';
import { EntitlementService } from '../entitlements/service.ts';
import { lineSettings, type LineSettings } from '../entitlements/settings.ts';
import { UserCache } from '../entitlements/users.ts';
import { DurableRecording } from '../records/durable.ts';
import { CallRecorder } from '../records/recorder.ts';
import { MissedStore } from '../routing/missed.ts';
import { HELD_EVENTS_LIMIT, HeldEvents } from '../routing/held-events.ts';
import { CallRouter } from '../routing/router.ts';
import { ClientConnection, CLOSE } from './connection.ts';
import { ClientListener } from './listener.ts';
import { resolveOptions, type UserSideOptions } from './options.ts';
import { ClientRegistry } from './registry.ts';
import { probeListener, selfTestHost } from './self-test.ts';
import { ClientSession } from './session.ts';
import { linesFingerprint, welcomeLines, welcomeMessage } from './welcome.ts';
import { WelcomeQueue } from './welcome-queue.ts';

export { TEST_PAGE_TEXT } from './listener.ts';
export { USER_SIDE_DEFAULTS, type UserSideOptions } from './options.ts';

export interface UserSideInternals {
  router: CallRouter;
  entitlements: EntitlementService;
  registry: ClientRegistry;
  missed: MissedStore;
}

export function createUserSide(context: UserSideContext, options: UserSideOptions = {}): UserSideService & { internals: UserSideInternals; port(): number | undefined } {
  const o = resolveOptions({ clock: context.clock, ...options });
  const clock = o.clock;
  const now = clock.mono;
  const logger = context.logger.child({ component: 'user-side' });
  const { repositories, schema } = context.crm;
  const users = new UserCache(repositories, now);
  const entitlements = new EntitlementService({ repositories, logger, refreshIntervalMs: o.entitlementRefreshMs, debounceMs: o.entitlementDebounceMs });
  const settingsCache = new Map<string, LineSettings>();
  const settingsOf = (record: LineConfigRecord): LineSettings => {
    let s = settingsCache.get(record.id);
    if (s === undefined) settingsCache.set(record.id, (s = lineSettings(record, entitlements.table.recordsById, context.lineRecords)));
    return s;
  };
  const lookup = context.directory.lookup.bind(context.directory);
  // The connector side's line list, kept by its line events: reading lines() per call would copy every line.
  const reported = new Map<string, ReportedLine>();
  const reportedLine = (line: string): ReportedLine | undefined => {
    if (!reported.has(line)) for (const l of context.connectorSide.lines()) reported.set(l.line, l);
    return reported.get(line);
  };
  const capabilitiesOf = (line: string): ReportedLine | undefined => reportedLine(line);
  const registry = new ClientRegistry();
  const missed = new MissedStore(o.missed);
  const boot = randomBytes(4).toString('hex');
  let counter = 0;
  const recorder = new CallRecorder({
    outbox: context.outbox, schema, entitlements: () => entitlements.table, settingsOf, lookup, logger,
    user: (id) => users.get(id),
    reportedLine,
  });
  const recording = new DurableRecording({ recorder, journal: context.journal, logger, maxRetryMs: context.config().OutboxMaxRetryDelay * 1000, whenRecordsDurable: (run) => context.outbox.whenDurable(run) });
  const router = new CallRouter({
    entitlements: () => entitlements.table, settingsOf, lookup, recipients: registry, missed, now, logger,
    nameOf: (id) => users.nameOf(id),
    newId: () => `${boot}-${(counter += 1).toString(36)}`,
    onFinished: (call, keys) => recording.finished(call, keys),
    elsewhereWaitMs: o.elsewhereWaitMs,
  });
  const dial = new DialService({
    connectorSide: context.connectorSide, reportedLine, entitlements: () => entitlements.table, settingsOf, schema, logger, wallNow: clock.wall,
    buckets: new TokenBuckets(options.dialRate ?? { capacity: context.config().DialBurst, refillPerSecond: context.config().DialsPerMinute / 60 }, now), outbox: context.outbox, source: `crm-tapi manager ${hostname()}`,
    lineOfCall: (key) => router.calls.get(key)?.line,
    onDialed: (key, user) => router.calls.noteDial(key, user, now()),
    onAnswerRequested: (key, user) => router.noteAnswer(key, user),
    onControlled: (key, action, dialString, stage) => router.noteControl(key, action, dialString, stage),
  });
  const fingerprints = new WeakMap<ClientConnection, string>();

  const welcome = (c: ClientConnection): void => {
    const user = c.user;
    if (user === undefined || user.operator) return;
    const table = entitlements.table;
    fingerprints.set(c, linesFingerprint(user.id, table, capabilitiesOf));
    c.send(welcomeMessage(user, welcomeLines(user.id, table, settingsOf, capabilitiesOf), o.heartbeatSeconds));
    if (c.kind !== 'incall') return; // outcall sockets dial; they take no popups
    registry.enrol(c);
    router.catchUp(user.id, c, (id) => registry.isOpen(id));
  };

  // Welcome again whoever's lines, their records or their reject ability changed (`only`: just these users); the
  // checks and the welcomes they send go a slice per turn (welcome-queue.ts), so popups are not held behind them.
  const welcomes = new WelcomeQueue<ClientConnection>((c) => {
    if (c.phase !== 'ready' || c.user === undefined || !c.open) return false;
    const table = entitlements.table;
    const print = linesFingerprint(c.user.id, table, capabilitiesOf);
    if (print === fingerprints.get(c)) return false;
    fingerprints.set(c, print);
    c.send(welcomeMessage(c.user, welcomeLines(c.user.id, table, settingsOf, capabilitiesOf), o.heartbeatSeconds));
    return true;
  }, (err) => logger.error({ err }, 'a welcome could not be sent again'));
  const rewelcome = (only?: ReadonlySet<string>): void => {
    for (const c of registry.all.values()) {
      if (c.phase !== 'ready' || c.user === undefined || c.user.operator || c.kind === 'diagnose') continue;
      if (only === undefined || only.has(c.user.id)) welcomes.add(c);
    }
  };
  // A connector going or coming changes all its lines at once (200 line events): issue 18 measured a welcome
  // check of every client per line (339 ms blocked at 2,000 clients, 4.4 s at 10,000). Changed lines are
  // gathered for the turn; then only the users of those lines are checked, each once.
  const changedLines = new Set<string>();
  const lineChanged = (line: string): void => {
    if (changedLines.size === 0) {
      setImmediate(() => {
        const table = entitlements.table;
        const users = new Set([...changedLines].flatMap((l) => table.usersOf(l)));
        changedLines.clear();
        if (users.size > 0) rewelcome(users);
      });
    }
    changedLines.add(line);
  };
  // Call events wait until the entitlements have been read once (routing/held-events.ts).
  const held = new HeldEvents<RoutedCallEvent>((event) => {
    try {
      router.route(event);
    } catch (err) {
      logger.error({ err, callKey: event.callKey }, 'call event could not be routed');
    }
  });
  entitlements.onChange(() => {
    settingsCache.clear();
    rewelcome();
    const released = held.release();
    if (released > 0) logger.info({ events: released, routedEarly: held.overflowed }, 'call events that arrived before the line entitlements were read are routed now');
  });

  const diagnose = async (c: ClientConnection, m: Extract<TapiMessage, { channel: 'diagnose' }>): Promise<void> => {
    if (m.command === 'diagnose') {
      c.send(diagnoseReport({
        ...(m.requestId === undefined ? {} : { requestId: m.requestId }), version: context.version, connectorSide: context.connectorSide,
        table: entitlements.table, clientSockets: registry.sockets(), nameOf: (id) => users.nameOf(id), outbox: outboxReport(context.outbox),
      }));
    } else if (m.command === 'refreshPhoneNumbers') {
      logger.info({ user: c.user?.id }, 'phone numbers refresh requested');
      c.send(await refreshResult(m.requestId, context.refreshPhoneNumbers));
    } else if (m.command === 'outboxRetry' || m.command === 'outboxDrop') {
      const actor = c.user === undefined || c.user.operator ? 'operator (DiagnoseKey)' : `${c.user.name} (${c.user.id})`;
      c.send(outboxAction({ outbox: context.outbox, schema: context.crm.schema, actor, logger }, m));
    } else {
      c.sendError('diagnose', 'unexpected-command', `${m.command} is not something a client sends now`);
    }
  };

  let nextId = 0;
  const onConnection = (ws: WebSocket, req: IncomingMessage): void => {
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`;
    const c = new ClientConnection(`w${(nextId += 1)}`, ws, peer, clock.wall(), clock.mono(), o.sendBufferCap, logger);
    registry.add(c);
    const session = new ClientSession(c, {
      proof: { repositories, users, now: clock.wall, diagnoseKey: () => context.config().DiagnoseKey, maxAgeMs: o.sessionMaxAgeMs },
      dial, logger, clock, handshakeTimeoutMs: o.handshakeTimeoutMs, welcome, diagnose,
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // Spec §2.2: one XML document per text message; a binary message is refused with close 1003.
      if (isBinary) c.close(CLOSE.unsupportedData, 'messages are XML text, not binary');
      else session.receive(data.toString('utf8'));
    });
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('error', (err) => logger.debug({ client: c.id, reason: err.message }, 'client socket error'));
    ws.on('close', () => {
      c.markClosed();
      registry.remove(c);
    });
  };

  const listener = new ClientListener({
    host: context.config().BindAddress,
    port: o.port ?? context.config().CrmTapiWebSocketPort,
    ...(context.tls === undefined ? {} : { tls: context.tls }),
    logger,
    allowedOrigins: () => context.config().AllowedOrigins ?? [new URL(context.crm.serviceUrl).origin],
    preUpgrade: () => {
      const c = context.config();
      return { total: c.MaxPendingUpgrades, perPeer: c.MaxPendingUpgradesPerPeer, timeoutMs: c.UpgradeTimeout * 1000 };
    },
    refuse: () => (registry.all.size >= o.maxClients ? 'too many clients' : registry.unproven() >= o.maxUnproven ? 'too many clients without identity proof' : undefined),
    onConnection,
  });

  const unsubscribe = [
    context.connectorSide.onCallEvent((event) => {
      held.accept(event);
      if (held.overflowed === 1 && !held.open) logger.warn({ limit: HELD_EVENTS_LIMIT }, 'the line entitlements are still unread; routing the oldest held call events without them');
    }),
    context.connectorSide.onLineEvent((event) => {
      if (event.kind === 'removed') reported.delete(event.line);
      else if (event.kind !== 'eventsLost') reported.set(event.line.line, event.line);
      if (event.kind === 'changed') lineChanged(event.line.line); // e.g. RejectViaDisconnect switched: the buttons follow a turn later
      // Any line event asks for one re-read of the table (bursts collapse into one): a new line may have had its
      // record created, and a connector registering again is when admins' changes are expected to show.
      if (event.kind !== 'eventsLost') entitlements.soon();
      else logger.warn({ connector: event.connectorHost, count: event.count }, 'a connector lost call events; their calls may be missing from the call log');
    }),
  ];
  const timers: NodeJS.Timeout[] = [];

  return {
    internals: { router, entitlements, registry, missed },
    port: () => listener.port,
    async start() {
      try {
        await entitlements.refresh();
      } catch (err) {
        logger.warn({ err }, 'line entitlements could not be read at start; retrying in the background');
        entitlements.soon();
      }
      entitlements.start();
      const port = await listener.listen();
      const ping = setInterval(() => {
        for (const c of registry.all.values()) {
          if (!c.alive) c.terminate();
          else {
            c.alive = false;
            c.ping();
          }
        }
      }, o.heartbeatSeconds * 1000);
      const silenceMs = o.maxCallSilenceMs ?? context.config().CallSilenceTimeout * 1000;
      const sweep = setInterval(() => router.sweep(silenceMs), o.callSweepIntervalMs ?? context.config().CallSweepInterval * 1000);
      for (const t of [ping, sweep]) {
        t.unref();
        timers.push(t);
      }
      logger.info({ port, tls: listener.secure }, 'WebSocket port open');
      return { port };
    },
    async selfTest() {
      const port = listener.port;
      if (port === undefined) return false;
      const host = selfTestHost(context.config().BindAddress);
      const url = `${listener.secure ? 'wss' : 'ws'}://${host.includes(':') ? `[${host}]` : host}:${port}/`;
      const ok = await probeListener(url, undefined);
      if (context.config().ListenerTestLog || !ok) logger[ok ? 'info' : 'warn']({ url }, ok ? 'listener self-test passed' : 'listener self-test failed');
      return ok;
    },
    async rebuildListener() {
      try {
        await listener.rebuild();
        logger.info({ port: listener.port }, 'WebSocket listener rebuilt');
      } catch (err) {
        logger.error({ err }, 'WebSocket listener could not be rebuilt');
      }
    },
    async stop() {
      for (const u of unsubscribe) u();
      for (const t of timers) clearInterval(t);
      entitlements.stop();
      const dropped = held.discard();
      if (dropped > 0) logger.warn({ events: dropped }, 'stopping before the line entitlements were read; held call events are dropped');
      router.stop();
      recording.stop();
      welcomes.stop();
      for (const c of registry.all.values()) c.close(CLOSE.shutdown, 'manager stopping');
      await listener.closeListener();
    },
    sockets(): DiagnoseSocket[] {
      return registry.sockets();
    },
  };
}
