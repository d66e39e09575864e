// `crm-tapi connector --config FILE`: the connector service. This module is
// the connector's composition root: it picks the line provider from the
// configuration — hosting the simulated PBX in-process with its control
// endpoint, so `crm-tapi simulate call --to 25` rings this connector's line —
// and turns SIGTERM / SIGINT / SIGBREAK into a graceful stop.
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { WallClock } from '../../../simulator/pbx/clock.ts';
import { DEFAULT_CONTROL_PORT, startControlServer } from '../../../simulator/pbx/control-server.ts';
import { SimulatedPbx } from '../../../simulator/pbx/pbx.ts';
import { SimulatedLineProvider } from '../../../simulator/pbx/provider.ts';
import { ConfigError } from '../../config/file.ts';
import { packageVersion } from '../../config/package-root.ts';
import { loadConnectorConfig, type ConnectorConfig } from '../../connector/config/load.ts';
import { ReplayProvider } from '../../connector/providers/replay.ts';
import { createTapiProvider } from '../../connector/providers/tapi/index.ts';
import { sipProviderFromConfig } from '../../connector/providers/sip/from-config.ts';
import { readRecordingFile } from '../../connector/recording/format.ts';
import { startConnector, type ProviderFactory } from '../../connector/run.ts';
import { startConnectorHealth } from '../../connector/health-endpoint.ts';
import type { RunningHealthServer } from '../../health/server.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { CliExit, fail } from '../output.ts';
import { callIdSession } from '../../connector/providers/call-id-session.ts';

/** Exit statuses (docs/connector.md). */
export const CONNECTOR_STATUS = { ok: 0, failure: 1, config: 2 } as const;

/** Signals that stop the service gracefully; SIGBREAK is what a Windows service wrapper sends on "stop". */
const STOP_SIGNALS: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGBREAK'] : ['SIGINT', 'SIGTERM'];

class ProviderHostError extends CrmTapiError {
  constructor(
    readonly code: 'port-in-use',
    message: string,
  ) {
    super(message);
  }
}

/** The providers this build knows, created from the `[Provider]` table. */
export const createProvider: ProviderFactory = async (config: ConnectorConfig, log: Logger) => {
  const p = config.Provider;
  if (p.Kind === 'replay') {
    const recording = await readRecordingFile(p.File);
    log.info({ file: p.File, speed: p.Speed }, 'replaying a recorded session');
    return { provider: new ReplayProvider(recording, { speed: p.Speed }) };
  }
  if (p.Kind === 'tapi') return { provider: createTapiProvider(config, log) };
  if (p.Kind === 'sip') {
    log.info({ phones: p.Phones.length }, 'SIP phones through baresip');
    return { provider: sipProviderFromConfig(p, log) };
  }
  // A connector restart restarts this PBX: its call ids carry the start so they never repeat (call-id-session.ts).
  const pbx = new SimulatedPbx({ clock: new WallClock(), lines: p.Lines, callIdPrefix: `c${callIdSession()}-` });
  const port = p.ControlPort ?? DEFAULT_CONTROL_PORT;
  let control;
  try {
    control = await startControlServer(pbx, { port, onProblem: (message) => log.warn(`simulated PBX: ${message}`) });
  } catch (err) {
    pbx.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ProviderHostError('port-in-use', `Provider.ControlPort ${port} on 127.0.0.1 is taken; choose another port`);
    }
    throw err;
  }
  log.info({ lines: p.Lines.length, control: control.url }, `simulated PBX in-process; ring a line with: crm-tapi simulate call --control-port ${new URL(control.url).port} --to ${p.Lines[0] ?? '20'} --from "+49 30 1234567"`);
  return {
    provider: new SimulatedLineProvider(pbx),
    close: async () => {
      await control.close();
      pbx.close();
    },
  };
};

async function checkConfig(path: string): Promise<void> {
  let config: ConnectorConfig;
  try {
    config = await loadConnectorConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.code, err.message, CONNECTOR_STATUS.config);
    throw err;
  }
  const p = config.Provider;
  const provider =
    p.Kind === 'simulator' ? `simulator, ${p.Lines.length} lines` : p.Kind === 'tapi' ? `tapi (AppName ${p.AppName})` : p.Kind === 'sip' ? `sip, ${p.Phones.reduce((n, ph) => n + ph.Accounts.length, 0)} accounts on ${p.Phones.length} phones` : `replay of ${p.File}`;
  process.stdout.write(
    `ok: manager ${config.CRMTapiManagerServer}:${config.CRMTapiManagerPort}${config.ManagerTls ? ' (TLS)' : ''}, host ${config.ConnectorHost}, provider ${provider}, ` +
      `LogArt ${config.LogArt}, LogLevel ${config.LogLevel}\n`,
  );
}

async function run(path: string): Promise<void> {
  let running;
  try {
    running = await startConnector({ configPath: path, createProvider, version: packageVersion() });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.code, err.message, CONNECTOR_STATUS.config);
    if (err instanceof CrmTapiError) fail(err.code, err.message, CONNECTOR_STATUS.failure);
    throw err;
  }
  const log = running.logging.logger;
  let health: RunningHealthServer | undefined;
  try {
    health = await startConnectorHealth(running.config, () => running.service.stats);
    if (health !== undefined) log.info({ port: health.port, bindAddress: running.config.HealthBindAddress }, 'health endpoint listening: /healthz /readyz /metrics');
  } catch (err) {
    await running.stop();
    if (err instanceof ConfigError) fail(err.code, err.message, CONNECTOR_STATUS.config);
    fail('health-port-unavailable', `HealthPort ${running.config.HealthPort}: cannot listen on ${running.config.HealthBindAddress} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, CONNECTOR_STATUS.failure);
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of STOP_SIGNALS) process.once(s, () => resolve(s));
  });
  // A second signal while flushing is acknowledged, not obeyed: the stop is bounded anyway.
  for (const s of STOP_SIGNALS) process.on(s, () => log.warn({ signal: s }, 'already stopping'));
  log.info({ signal }, 'stop requested');
  await health?.close();
  await running.stop();
  // Nothing should hold the process now; if a stray handle does, do not hang the service manager.
  setTimeout(() => process.exit(CONNECTOR_STATUS.ok), 3_000).unref();
}

export function registerConnector(program: Command): void {
  program
    .command('connector')
    .description('Run the connector service: line provider → manager, losing nothing (docs/connector.md)')
    .requiredOption('--config <file>', 'connector configuration file (.toml or .json)')
    .option('--check-config', 'validate the configuration file, print a summary and exit')
    .addHelpText('after', '\nExit status: 0 stopped cleanly (SIGTERM/SIGINT) or configuration ok, 2 configuration invalid, 1 other failure.')
    .action(async (options: { config: string; checkConfig?: boolean }) => {
      if (options.checkConfig === true) return checkConfig(options.config);
      await run(options.config);
      throw new CliExit(CONNECTOR_STATUS.ok);
    });
}
