// The connector's health endpoint (src/health/server.ts): the same kinds of
// figures as the manager's, for its side — the link to the manager, the
// event buffer (depth, capacity, losses), the provider, its lines. Ready =
// registered with the manager and the provider not re-initialising.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { isLoopback } from '../config/health-keys.ts';
import { resolveSecret } from '../config/secret.ts';
import { ConfigError } from '../config/file.ts';
import { startHealthServer, type ReadinessCheck, type RunningHealthServer } from '../health/server.ts';
import type { ConnectorConfig } from './config/load.ts';
import type { ConnectorStats } from './service.ts';

const LINK_STATES = ['idle', 'connecting', 'registering', 'ready', 'stopped'] as const;

export function connectorReadiness(stats: ConnectorStats): ReadinessCheck[] {
  return [
    stats.link === 'ready' ? { name: 'manager', state: 'ok' } : { name: 'manager', state: 'fail', detail: `the link to the manager is ${stats.link}` },
    stats.providerRecovering ? { name: 'provider', state: 'fail', detail: 're-initialising the lines' } : { name: 'provider', state: 'ok', detail: `${stats.lines} line(s)` },
  ];
}

/** Starts the endpoint when HealthPort is set; undefined otherwise. */
export async function startConnectorHealth(config: ConnectorConfig, stats: () => ConnectorStats, env: NodeJS.ProcessEnv = process.env): Promise<RunningHealthServer | undefined> {
  if (config.HealthPort === undefined) return undefined;
  const secret = resolveSecret(config.HealthToken, 'HealthToken', env);
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'connector' });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const gauge = (name: string, help: string, read: (s: ConnectorStats) => number): void => {
    new Gauge({ name, help, registers: [registry], collect() { this.set(read(stats())); } });
  };
  new Gauge({
    name: 'crm_tapi_connector_link', help: 'State of the link to the manager (1 for the current state)', labelNames: ['state'], registers: [registry],
    collect() {
      const now = stats().link;
      for (const state of LINK_STATES) this.set({ state }, state === now ? 1 : 0);
    },
  });
  gauge('crm_tapi_connector_buffer_events', 'Events buffered and not yet acknowledged by the manager', (s) => s.buffer.size);
  gauge('crm_tapi_connector_buffer_capacity', 'EventBufferSize', (s) => s.buffer.capacity);
  gauge('crm_tapi_connector_events_lost_total', 'Events dropped since start because the buffer was full (each reported as eventsLost)', (s) => s.buffer.lostTotal);
  gauge('crm_tapi_connector_last_seq', 'Highest sequence number assigned', (s) => s.buffer.lastSeq);
  gauge('crm_tapi_connector_acked_seq', 'Highest sequence number the manager acknowledged', (s) => s.buffer.ackedSeq);
  gauge('crm_tapi_connector_unsent_bytes', 'Bytes written to the socket and not yet on the network', (s) => s.unsentBytes);
  gauge('crm_tapi_connector_lines', 'Lines the provider reports', (s) => s.lines);
  gauge('crm_tapi_connector_provider_up', '1 while the provider works, 0 while it is re-initialised', (s) => (s.providerRecovering ? 0 : 1));
  const exposedWithoutToken = !isLoopback(config.HealthBindAddress) && secret === undefined;
  if (exposedWithoutToken) throw new ConfigError('config-invalid', 'HealthToken: is required when HealthBindAddress is not a loopback address');
  return startHealthServer({
    host: config.HealthBindAddress, port: config.HealthPort, registry,
    tokens: () => (secret === undefined ? [] : [secret]),
    readiness: () => Promise.resolve(connectorReadiness(stats())),
  });
}
