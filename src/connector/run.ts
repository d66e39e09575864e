// A running connector as an operator starts it: configuration file, service
// logger, line provider, service, and the live reload of the settings the
// manual re-reads while running. The CLI adds only argument parsing, the
// provider factory and the signals.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ConfigError } from '../config/file.ts';
import { createServiceLogger, LogError, type LineSink, type ServiceLogger } from '../logging/index.ts';
import { CrmTapiError } from '../protocol/errors.ts';
import { BufferJournal } from './buffer-journal.ts';
import { connectorSecrets, loadConnectorConfig, type ConnectorConfig } from './config/load.ts';
import { diffConfig } from './config/reload.ts';
import { ConfigWatcher } from './config/watch.ts';
import type { LineProvider } from './line-provider.ts';
import { ConnectorService, type ConnectorServiceOptions, type StopSummary } from './service.ts';

/** Creates the configured provider; `close` releases what it hosts (e.g. a simulated PBX and its control endpoint). */
export type ProviderFactory = (config: ConnectorConfig, log: Logger) => Promise<{ provider: LineProvider; close?: () => Promise<void> }>;

export interface StartOptions {
  configPath: string;
  createProvider: ProviderFactory;
  version: string;
  /** Where `LogArt = Event` goes off Windows (default stdout). */
  stdout?: LineSink;
  watch?: { debounceMs?: number; pollMs?: number };
  /** Passed through to the service (tests shorten back-off and flush waits). */
  service?: Partial<Omit<ConnectorServiceOptions, 'config' | 'provider' | 'logger' | 'version'>>;
}

export class ConnectorStartError extends CrmTapiError {
  constructor(
    readonly code: 'manager-ca-unreadable',
    message: string,
  ) {
    super(message);
  }
}

export interface RunningConnector {
  readonly service: ConnectorService;
  readonly logging: ServiceLogger;
  /** The configuration in force (live keys updated on reload). */
  readonly config: ConnectorConfig;
  /** Re-reads the file now (the watcher calls this). */
  reload(): Promise<void>;
  stop(): Promise<StopSummary>;
}

async function readCa(config: ConnectorConfig): Promise<string | undefined> {
  if (!config.ManagerTls || config.ManagerCaFile === undefined) return undefined;
  try {
    return await readFile(config.ManagerCaFile, 'utf8');
  } catch (err) {
    throw new ConnectorStartError('manager-ca-unreadable', `ManagerCaFile ${config.ManagerCaFile}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Starts the connector; fails with a typed error (ConfigError, LogError, …) before anything runs. */
export async function startConnector(options: StartOptions): Promise<RunningConnector> {
  let config = await loadConnectorConfig(options.configPath);
  const managerCa = await readCa(config);
  const logging = await createServiceLogger({
    service: 'connector',
    settings: { LogArt: config.LogArt, LogFile: config.LogFile, LogLevel: config.LogLevel },
    secrets: connectorSecrets(config),
    ...(options.stdout ? { stdout: options.stdout } : {}),
  });
  const log = logging.logger;
  let journal: BufferJournal | undefined;
  let hosted: Awaited<ReturnType<ProviderFactory>> | undefined;
  let service: ConnectorService;
  try {
    // Before the provider: a BufferFile in use by another process must stop us before we bind any port.
    if (config.BufferFile !== undefined) journal = BufferJournal.open(config.BufferFile, { host: config.ConnectorHost });
    hosted = await options.createProvider(config, log);
    service = new ConnectorService({ config, provider: hosted.provider, logger: log, version: options.version, ...(managerCa ? { managerCa } : {}), ...(journal ? { journal } : {}), ...options.service });
  } catch (err) {
    journal?.close();
    await hosted?.close?.().catch(() => undefined);
    await logging.close();
    throw err;
  }

  async function reload(): Promise<void> {
    let next: ConnectorConfig;
    try {
      next = await loadConnectorConfig(options.configPath);
    } catch (err) {
      const problems = err instanceof ConfigError && err.problems.length > 0 ? err.problems : [(err as Error).message];
      log.error({ code: (err as { code?: string }).code, problems }, 'configuration change not applied; the previous settings stay in force');
      return;
    }
    const changes = diffConfig(config, next);
    for (const key of changes.restart) log.warn({ setting: key }, `restart needed for ${key}`);
    if (changes.live.length === 0) return;
    const logKeys = changes.live.filter((k) => k === 'LogArt' || k === 'LogFile' || k === 'LogLevel');
    let applied = { ...config };
    if (logKeys.length > 0) {
      try {
        await logging.apply({ LogArt: next.LogArt, LogFile: next.LogFile, LogLevel: next.LogLevel });
        applied = { ...applied, LogArt: next.LogArt, LogFile: next.LogFile, LogLevel: next.LogLevel };
      } catch (err) {
        if (!(err instanceof LogError)) throw err;
        log.error({ code: err.code }, `logging settings not applied: ${err.message}`);
      }
    }
    applied = { ...applied, ConnectionKeepAliveIntervall: next.ConnectionKeepAliveIntervall, RejectViaDisconnect: next.RejectViaDisconnect };
    service.applyLiveSettings({ ConnectionKeepAliveIntervall: applied.ConnectionKeepAliveIntervall, RejectViaDisconnect: applied.RejectViaDisconnect });
    config = applied;
    log.info({ changed: changes.live, destination: logging.destination }, 'configuration reloaded');
  }

  const watcher = new ConfigWatcher({ path: options.configPath, onChange: () => void reload(), ...options.watch });
  await watcher.start();
  await service.start();
  log.info({ config: options.configPath, log: logging.destination }, 'connector running');

  let stopping: Promise<StopSummary> | undefined;
  return {
    service,
    logging,
    get config() {
      return config;
    },
    reload,
    stop() {
      stopping ??= (async () => {
        watcher.stop();
        const summary = await service.stop();
        await hosted?.close?.().catch((err: unknown) => log.warn({ err }, 'closing the provider host failed'));
        await logging.close();
        return summary;
      })();
      return stopping;
    },
  };
}
