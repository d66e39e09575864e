// `crm-tapi manager --config FILE`: validates the configuration (one sentence
// per bad key), starts the manager (CRM first, ports after), re-reads live
// keys while running, and stops gracefully on SIGINT/SIGTERM.
import type { Command } from 'commander';
import { ConfigError } from '../../config/file.ts';
import { packageVersion } from '../../config/package-root.ts';
import { createServiceLogger } from '../../logging/index.ts';
import { secretsOf, type ManagerConfig } from '../../manager/config/load.ts';
import { configSummary, preflightManagerConfig } from '../../manager/config/preflight.ts';
import { startManager } from '../../manager/manager.ts';
import { startManagerHealth, type ManagerHealth } from '../../manager/health/endpoint.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { CliExit, EXIT, fail } from '../output.ts';

function logSettings(config: ManagerConfig): { LogArt: 'Event' | 'File'; LogFile?: string; LogLevel: number } {
  return { LogArt: config.LogArt, ...(config.LogFile === undefined ? {} : { LogFile: config.LogFile }), LogLevel: config.LogLevel as number };
}

function isPortError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') && (err as { syscall?: string }).syscall === 'listen';
}

async function preflight(path: string): Promise<ManagerConfig> {
  try {
    return await preflightManagerConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.code, err.message, EXIT.usage);
    throw err;
  }
}

async function runManager(options: { config: string }): Promise<void> {
  const config = await preflight(options.config);
  const service = await createServiceLogger({ service: 'manager', settings: logSettings(config), secrets: secretsOf(config) }).catch((err: unknown) =>
    fail((err as { code?: string }).code ?? 'log-file-unwritable', (err as Error).message, EXIT.usage),
  );
  const log = service.logger;
  const abort = new AbortController();
  let stopRequested: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'stop requested');
    abort.abort();
    stopRequested?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let health: ManagerHealth | undefined;
  try {
    // Before the manager: /healthz answers, and /readyz says why not, while it waits for the CRM.
    health = await startManagerHealth(config, { solutionInstalled: (m) => m.solutionReady() }).catch(async (err: unknown) => {
      if (!isPortError(err)) throw err;
      await service.close();
      return fail('health-port-unavailable', `HealthPort ${config.HealthPort}: cannot listen on ${config.HealthBindAddress} (${(err as NodeJS.ErrnoException).code})`, EXIT.failure);
    });
    if (health !== undefined) log.info({ port: health.port, bindAddress: config.HealthBindAddress }, 'health endpoint listening: /healthz /readyz /metrics');
    const manager = await startManager(config, {
      logger: log,
      configPath: options.config,
      version: packageVersion(),
      signal: abort.signal,
      onConfigApplied: async (next) => {
        service.setSecrets(secretsOf(next));
        await service.apply(logSettings(next)).catch((err: unknown) => log.error({ code: (err as { code?: unknown }).code }, `log settings not applied: ${(err as Error).message}`));
      },
    });
    health?.attach(manager);
    await stopped;
    await manager.stop();
  } catch (err) {
    if (err instanceof CrmTapiError && err.code === 'start-aborted') {
      log.info('stopped before the CRM answered');
      return;
    }
    if (err instanceof CrmTapiError) {
      log.error({ code: err.code }, err.message);
      await service.close();
      fail(err.code, err.message, err instanceof ConfigError ? EXIT.usage : EXIT.failure);
    }
    throw err;
  } finally {
    await health?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  await service.close();
}

export function registerManager(program: Command): void {
  program
    .command('manager')
    .description('Run the manager service: connects to the CRM, then opens the TAPI port for connectors and the WebSocket port for browser clients')
    .requiredOption('-c, --config <file>', 'configuration file (.toml or .json) with the manual\'s manager keys; see docs/manager.md')
    .option('--check-config', 'check the configuration as the manager does before it contacts the CRM (keys, certificate, DataDir, LogFile), print a summary and exit')
    .addHelpText('after', '\nExit status: 0 stopped cleanly (SIGTERM/SIGINT) or configuration ok, 2 configuration invalid, 1 other failure.')
    .action(async (options: { config: string; checkConfig?: boolean }) => {
      if (options.checkConfig === true) {
        process.stdout.write(configSummary(await preflight(options.config)));
        throw new CliExit(EXIT.ok);
      }
      await runManager(options);
    });
}
