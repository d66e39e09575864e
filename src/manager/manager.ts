// The manager's composition root. Start order (docs/manager.md): the CRM
// connection first (waiting with back-off, saying why), then the default and
// site records, the phone directory (snapshot first) and the outbox, then
// the connector side and the user side, and only then the TAPI port and the
// WebSocket port. stop() undoes it in reverse; SIGINT/SIGTERM handling is
// the CLI's (src/cli/commands/manager.ts).
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../config/file.ts';
import type { ConnectOptions } from '../dataverse/connection.ts';
import { Outbox } from '../dataverse/outbox/outbox.ts';
import { formatCpuList, keepEventLoopCpu } from '../platform/cpu-affinity.ts';
import { SqliteOutboxStore, type SqliteOutboxStoreOptions } from '../dataverse/outbox/sqlite-store.ts';
import { eventLogWrite } from '../dataverse/outbox/records.ts';
import { BearerAuth } from '../dataverse/auth/bearer.ts';
import { DeliveryWorker } from '../dataverse/outbox/delivery-worker.ts';
import { dataverseTransport } from '../dataverse/outbox/transport.ts';
import { createRepositories, type LineConfigRecord } from '../dataverse/repositories/index.ts';
import { createSchema } from '../dataverse/schema.ts';
import { installedSolution, solutionState } from '../dataverse/solution/installed.ts';
import { createUserSide } from './clients/index.ts';
import type { ManagerConfig } from './config/load.ts';
import { ConfigWatcher } from './config/watch.ts';
import { systemClock, wallTimersOf, type ManagerClock } from './clock.ts';
import type { ConnectorSide, UserSideFactory, UserSideService } from './contracts.ts';
import { ConnectorGateway, type GatewaySettings } from './gateway/gateway.ts';
import { lostEventsKey } from './gateway/registry.ts';
import { SqliteSeqStore, type SqliteSeqStoreOptions } from './gateway/sqlite-seq-store.ts';
import { LineRecordKeeper } from './lines/line-records.ts';
import { ListenerSelfTest, type SelfTestTarget } from './self-test.ts';
import { waitForCrm } from './startup/crm.ts';
import { startDirectory } from './startup/directory.ts';
import { readTlsMaterial } from './startup/tls.ts';
import { retrying } from './startup/retry.ts';
import { waitForSolution } from './startup/solution.ts';
import { MAX_FRAME_LENGTH } from '../protocol/index.ts';
import type { PhoneDirectory } from '../dataverse/directory/directory.ts';
import type { EffectiveDialingSettings } from '../dialing/index.ts';

/**
 * The outbox as the manager runs it (bench/lib/stack.ts measures the same): commits at NORMAL, FULL's
 * power-cut safety confirmed by a WAL flush off the event loop (GROUP); a finished call's records and the
 * forgetting of delivered writes committed at FULL by its writer thread, gathered 25 ms (writer.ts).
 */
export const OUTBOX_STORE_OPTIONS = { synchronous: 'GROUP', writes: 'worker', writeGatherMs: 25 } as const satisfies SqliteOutboxStoreOptions;
/** The journal as the manager runs it: batches gathered 10 ms (acknowledgements up to that much later). */
export const JOURNAL_OPTIONS = { gatherMs: 10 } as const satisfies SqliteSeqStoreOptions;

export interface ManagerDeps {
  logger: Logger;
  /** Called with the running configuration after a live change (e.g. to re-apply log settings). */
  onConfigApplied?: (config: ManagerConfig) => Promise<void> | void;
  /** The configuration file, watched for live changes; absent = no reload. */
  configPath?: string;
  /** The user side; `null` runs the connector side alone (tests). Default: createUserSide. */
  userSide?: UserSideFactory | null;
  version?: string;
  connectOptions?: ConnectOptions;
  /** First wait after a failed CRM probe (doubles up to CrmRetryMaxDelay). */
  crmFirstDelayMs?: number;
  /** Cancels a start still waiting for the CRM. */
  signal?: AbortSignal;
  /** Test-only: overrides of the gateway settings and of the keep-alive grace. */
  gateway?: Partial<GatewaySettings> & { keepAliveGraceMs?: number };
  /** Test-only: the self-test interval unit (default 1000 ms). */
  selfTestUnitMs?: number;
  /** Test-only: poll interval of the configuration file. */
  configPollMs?: number;
  /** The manager's clock; default the system's. */
  clock?: ManagerClock;
}

export interface RunningManager {
  connectorSide: ConnectorSide;
  userSide: UserSideService | undefined;
  ports: { tapi: number; webSocket: number | undefined };
  gateway: ConnectorGateway;
  lineRecords: LineRecordKeeper;
  selfTest: ListenerSelfTest;
  /** For health and metrics (src/manager/health): read, never driven from there. */
  outbox: Outbox;
  directory: PhoneDirectory<EffectiveDialingSettings>;
  /** Is the crm-tapi solution (still) installed in a version this manager accepts? For /readyz. */
  solutionReady(): Promise<boolean>;
  config(): ManagerConfig;
  /** Re-reads the configuration file now (what SIGHUP does). */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

function gatewaySettings(config: ManagerConfig, overrides: Partial<GatewaySettings> = {}): GatewaySettings {
  return {
    connectorKeys: config.ConnectorKeys,
    keepAliveSeconds: config.ConnectionKeepAliveIntervall,
    commandTimeoutMs: config.CommandTimeout * 1000,
    maxConnections: config.MaxConnectorConnections,
    maxUnregistered: config.MaxUnregisteredConnections,
    maxUnregisteredPerPeer: config.MaxUnregisteredPerPeer,
    registrationTimeoutMs: config.RegistrationTimeout * 1000,
    frameTimeoutMs: config.FrameTimeout * 1000,
    maxBadFrames: config.MaxBadFrames,
    maxSendBuffer: config.MaxConnectorSendBuffer,
    maxFrameLength: MAX_FRAME_LENGTH,
    ...overrides,
  };
}

export async function startManager(initial: ManagerConfig, deps: ManagerDeps): Promise<RunningManager> {
  const log = deps.logger;
  // One clock for the whole manager (src/manager/clock.ts): monotonic for durations, wall for what people read.
  const clock = deps.clock ?? systemClock;
  const watcher = new ConfigWatcher(initial, deps.configPath, log, deps.configPollMs);
  const config = (): ManagerConfig => watcher.current;
  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  const undo = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        log.error({ err }, 'a stop step failed');
      }
    }
  };
  try {
    if (initial.CertificateThumbprint !== undefined && initial.TlsCertFile === undefined && initial.TlsPfxFile === undefined) {
      log.warn('CertificateThumbprint is accepted but not read from the Windows certificate store; export the certificate and set TlsPfxFile (or TlsCertFile and TlsKeyFile)');
    }
    const tls = await readTlsMaterial(initial);
    try {
      await mkdir(initial.DataDir, { recursive: true });
    } catch (err) {
      throw new ConfigError('config-invalid', `DataDir: cannot create ${initial.DataDir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, [`DataDir: cannot create ${initial.DataDir}`]);
    }
    if (initial.EventLoopCpu !== undefined) {
      // Before any worker starts: each then moves itself to the other CPUs (src/platform/cpu-affinity.ts).
      const plan = await keepEventLoopCpu(initial.EventLoopCpu);
      log.info({ eventLoopCpu: plan.loop, backgroundCpus: formatCpuList(plan.background) }, `EventLoopCpu: the event loop runs on CPU ${plan.loop} alone, every other thread on CPUs ${formatCpuList(plan.background)}`);
    }
    log.info({ crm: initial.crm.CrmServer, type: initial.crm.CrmType, organisation: initial.crm.CrmOrganisation }, 'manager starting: connecting to the CRM before opening any port');

    const backoff = { logger: log, maxDelayMs: initial.CrmRetryMaxDelay * 1000, firstDelayMs: deps.crmFirstDelayMs ?? 1_000, ...(deps.signal ? { signal: deps.signal } : {}) };
    // Every Web API request's own retry loop waits at most CrmMaxRetryWait, whatever Retry-After says.
    const retry = { maxWaitMs: initial.CrmMaxRetryWait * 1000, ...deps.connectOptions?.retry };
    const crm = await waitForCrm(initial.crm, { ...backoff, connectOptions: { ...deps.connectOptions, retry } });
    const api = crm.connection.client;
    cleanup.push(() => api.close());
    const schema = createSchema(initial.crm.CrmPublisherPrefix);
    const repositories = createRepositories(api, schema);

    await waitForSolution(api, { ...backoff, organisation: initial.crm.CrmOrganisation, prefix: initial.crm.CrmPublisherPrefix });
    const settingsCreated = await retrying('the setting records', backoff, () => repositories.settings.ensureDefaults());
    if (settingsCreated.length > 0) log.info({ created: settingsCreated }, 'setting records created on the first CRM connection');

    const managerHost = hostname();
    const top = await retrying('the default and site records', backoff, () =>
      repositories.lineConfigs.ensureDefaultAndSite({
        webSocketUrl: `${tls ? 'wss' : 'ws'}://${managerHost}:${initial.CrmTapiWebSocketPort}`,
        tapiPort: initial.CrmTapiPort,
        managerHost,
      }),
    );
    if (top.created.length > 0) log.info({ created: top.created }, 'line configuration records created on the first CRM connection');
    const lineRecords: { default: LineConfigRecord; site: LineConfigRecord } = { default: top.default, site: top.site };

    const keeper = new LineRecordKeeper({ repository: repositories.lineConfigs, siteId: top.site.id, organisation: initial.crm.CrmOrganisation, logger: log });
    cleanup.push(() => keeper.stop());
    await keeper.refresh().catch((err: unknown) => log.warn({ code: (err as { code?: unknown }).code }, `user line records could not be read: ${(err as Error).message}`));

    const running = await startDirectory({ api, repositories, defaultRecord: top.default, config, logger: log, afterRefresh: () => keeper.refresh(), clock: wallTimersOf(clock) });
    cleanup.push(() => running.scheduler.stop());

    const outboxStore = new SqliteOutboxStore(join(initial.DataDir, 'outbox.sqlite'), { ...OUTBOX_STORE_OPTIONS, onTrouble: (message) => log.error(message) });
    // Each record is an HTTPS request: sent from a worker thread, not from the loop that serves popups (delivery-worker.ts).
    // With a bearer sign-in the worker borrows this thread's token: one sign-in, one renewal after a 401.
    const sharedSignIn = crm.connection.auth instanceof BearerAuth ? { tokens: crm.connection.auth } : {};
    const delivery = new DeliveryWorker({ connection: { kind: 'settings', config: initial.crm }, retry, ...sharedSignIn, logger: log.child({ component: 'outbox-delivery' }), fallback: dataverseTransport(api), ...(deps.connectOptions?.env === undefined ? {} : { env: deps.connectOptions.env }) });
    cleanup.push(() => delivery.close());
    const outbox = new Outbox({ store: outboxStore, transport: delivery, logger: log, backoff: { maxMs: initial.OutboxMaxRetryDelay * 1000 } });
    outbox.start();
    cleanup.push(() => outbox.close());

    const seqs = new SqliteSeqStore(join(initial.DataDir, 'manager-state.sqlite'), { ...JOURNAL_OPTIONS, onTrouble: (message) => log.error(message) });
    cleanup.push(async () => {
      seqs.close();
      await seqs.exited();
    });
    const { keepAliveGraceMs, ...gatewayOverrides } = deps.gateway ?? {};
    const gateway = new ConnectorGateway({
      bindAddress: initial.BindAddress,
      port: initial.CrmTapiPort,
      ...(tls && initial.ConnectorTls ? { tls } : {}),
      settings: () => gatewaySettings(config(), gatewayOverrides),
      seqs,
      logger: log.child({ component: 'connector-gateway' }),
      usersOfLine: (line) => keeper.usersOf(line),
      clock,
      ...(keepAliveGraceMs === undefined ? {} : { keepAliveGraceMs }),
    });
    gateway.onLineEvent((event) => keeper.handle(event));
    // spec/protocol.md 7.5: lost events leave a trace in the CRM's event log ("Ereignisprotokoll").
    gateway.onLineEvent((event) => {
      if (event.kind !== 'eventsLost') return;
      try {
        outbox.enqueue(eventLogWrite(schema, {
          name: `${event.count} call event(s) lost`, level: 'error', source: `crm-tapi connector ${event.connectorHost}`, occurredOn: new Date(),
          message: `Connector ${event.connectorHost} could not deliver ${event.count} event(s) between ${event.firstTimestamp} and ${event.lastTimestamp}; calls of that time may be missing from the call log.`,
        }));
        const seq = event.seq;
        if (seq !== undefined) outbox.whenDurable(() => seqs.forget([lostEventsKey(event.connectorHost, seq)]));
      } catch (err) {
        log.error({ code: (err as { code?: unknown }).code }, `the lost events could not be written to the event log: ${(err as Error).message}`);
      }
    });

    const factory = deps.userSide === undefined ? createUserSide : deps.userSide;
    const userSide = factory === null ? undefined : await factory({
      connectorSide: gateway,
      config,
      onConfigChange: (listener) => watcher.onChange((change) => listener(change.config)),
      logger: log,
      crm: { api, repositories, schema, serviceUrl: crm.connection.serviceUrl },
      directory: running.directory,
      refreshPhoneNumbers: () => running.refreshNow(),
      outbox,
      lineRecords,
      ...(tls ? { tls } : {}),
      version: deps.version ?? '0.0.0',
      clock,
      journal: seqs,
    });
    // Without a user side nothing records calls: their journal entries go when they end.
    if (userSide === undefined) gateway.onCallEvent((e) => (e.event.state === 'idle' ? seqs.forget([e.callKey]) : undefined));
    gateway.restoreJournal();

    const tapi = await gateway.start();
    cleanup.push(() => gateway.stop());
    let webSocket: number | undefined;
    if (userSide !== undefined) {
      webSocket = (await userSide.start()).port;
      cleanup.push(() => userSide.stop());
    }

    const targets: SelfTestTarget[] = [{ name: 'TAPI port', test: () => gateway.selfTest(), rebuild: () => gateway.rebuildListener() }];
    if (userSide !== undefined) targets.push({ name: 'WebSocket port', test: () => userSide.selfTest(), rebuild: () => userSide.rebuildListener() });
    const selfTest = new ListenerSelfTest({
      targets: () => targets,
      intervalSeconds: () => config().ListenerTestIntervall,
      logEveryTest: () => config().ListenerTestLog,
      logger: log,
      ...(deps.selfTestUnitMs ? { unitMs: deps.selfTestUnitMs } : {}),
    });
    selfTest.start();
    cleanup.push(() => selfTest.stop());

    watcher.onChange(async ({ config: next, live }) => {
      if (live.includes('ConnectionKeepAliveIntervall') || live.includes('ConnectorKeys')) gateway.settingsChanged();
      if (live.includes('ListenerTestIntervall')) selfTest.reschedule();
      await deps.onConfigApplied?.(next);
    });
    watcher.start();
    cleanup.push(() => watcher.stop());

    log.info({ tapiPort: tapi, webSocketPort: webSocket, bindAddress: initial.BindAddress, tls: tls !== undefined }, 'manager running');
    let stopping: Promise<void> | undefined;
    return {
      connectorSide: gateway,
      userSide,
      ports: { tapi, webSocket },
      gateway,
      lineRecords: keeper,
      selfTest,
      outbox,
      directory: running.directory,
      solutionReady: async () => solutionState(await installedSolution(api)).kind === 'ok',
      config,
      reload: () => watcher.reload(),
      stop: () => {
        stopping ??= (async () => {
          log.info('manager stopping');
          await undo();
          log.info('manager stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
