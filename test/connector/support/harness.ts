// Starts a real ConnectorService against a FakeManager, with the simulated PBX
// on a virtual clock as its line provider. Logs go, unscrubbed, into memory,
// so tests can also prove the service itself never logs the connector key.
import { pino } from 'pino';
import { VirtualClock } from '../../../simulator/pbx/clock.ts';
import { SimulatedPbx, type LineDef } from '../../../simulator/pbx/pbx.ts';
import { SimulatedLineProvider } from '../../../simulator/pbx/provider.ts';
import { validateConnectorConfig, type ConnectorConfig } from '../../../src/connector/config/load.ts';
import { ConnectorService, type ConnectorServiceOptions } from '../../../src/connector/service.ts';
import type { FakeManager } from './fake-manager.ts';

export const KEY = 'harness-connector-key-7f3a9c';

export class LogCapture {
  readonly lines: string[] = [];
  write(chunk: string): void {
    this.lines.push(...chunk.split('\n').filter((l) => l.length > 0));
  }
  get records(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  messages(): string[] {
    return this.records.map((r) => String(r.msg));
  }
}

export interface Harness {
  service: ConnectorService;
  pbx: SimulatedPbx;
  clock: VirtualClock;
  provider: SimulatedLineProvider;
  config: ConnectorConfig;
  logs: LogCapture;
}

export interface HarnessOptions {
  lines?: (string | LineDef)[];
  config?: Record<string, unknown>;
  service?: Partial<ConnectorServiceOptions>;
  /** Skip start() (tests that want to subscribe first). */
  noStart?: boolean;
}

export function connectorConfig(manager: FakeManager | { port: number }, extra: Record<string, unknown> = {}): ConnectorConfig {
  const config = validateConnectorConfig(
    { CRMTapiManagerServer: '127.0.0.1', ConnectorKey: KEY, ConnectorHost: 'pbx.test', Provider: { Kind: 'simulator', Lines: '20-29' }, ...extra },
    'test',
    { baseDir: '/' },
  );
  // The manual's range 4502–4534 is for operators; tests listen on any free port.
  return { ...config, CRMTapiManagerPort: manager.port };
}

export async function startHarness(manager: FakeManager | { port: number }, options: HarnessOptions = {}): Promise<Harness> {
  const clock = new VirtualClock();
  const pbx = new SimulatedPbx({ clock, lines: options.lines ?? ['20', '21', '22'] });
  const provider = new SimulatedLineProvider(pbx);
  const logs = new LogCapture();
  const logger = pino({ level: 'debug' }, logs);
  const config = connectorConfig(manager, options.config);
  const service = new ConnectorService({
    config,
    provider,
    logger,
    version: '0.1.0',
    random: () => 0.5,
    reconnectBackoff: { baseMs: 10, capMs: 40 },
    reopenBackoff: { baseMs: 10, capMs: 40 },
    flushTimeoutMs: 1_000,
    ...options.service,
  });
  if (!options.noStart) await service.start();
  return { service, pbx, clock, provider, config, logs };
}
