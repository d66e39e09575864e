// The manager's figures in Prometheus form (prom-client), gathered from
// outside the core: counters fed by node:diagnostics_channel subscriptions
// (Dataverse attempts, outbox events, notifications sent) and by the
// connector side's public onCallEvent; gauges read at scrape time from the
// running manager. docs/operations.md lists them with what to alert on.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OutboxEvent } from '../../dataverse/outbox/events.ts';
import type { DataverseAttempt } from '../../dataverse/web-api/diagnostics.ts';
import type { NotificationSent } from '../routing/diagnostics.ts';
import type { RunningManager } from '../manager.ts';
import { systemClock, type ManagerClock } from '../clock.ts';

const ATTEMPTS = 'crm-tapi:dataverse:attempt';
const OUTBOX = 'crm-tapi:outbox:event';
const NOTIFICATIONS = 'crm-tapi:manager:notification-sent';

export interface ManagerMetrics {
  registry: Registry;
  /** Called once the manager runs: gauges read it, call events are counted from then on. */
  attach(manager: RunningManager): void;
  /** The last Dataverse attempt: status 0 = no answer. For /readyz. */
  lastCrmAttempt(): { status: number; at: number; code?: string } | undefined;
  close(): void;
}

/** `clock`: the manager's one clock (monotonic for the popup latency, wall for ages and what /readyz prints). */
export function createManagerMetrics(clock: ManagerClock = systemClock): ManagerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'manager' });
  // Process figures, among them event-loop delay (nodejs_eventloop_lag_*), from prom-client.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  let manager: RunningManager | undefined;
  let last: { status: number; at: number; code?: string } | undefined;
  const m = (): RunningManager | undefined => manager;

  // The open connector connections (the diagnose report also lists connectors that went away).
  new Gauge({ name: 'crm_tapi_connectors', help: 'Connector connections open on the TAPI port', registers: [registry], collect() { this.set(m()?.connectorSide.diagnose().sockets.length ?? 0); } });
  new Gauge({
    name: 'crm_tapi_lines', help: 'Lines reported by connectors, by state', labelNames: ['state'], registers: [registry],
    collect() {
      this.reset();
      const lines = m()?.connectorSide.lines() ?? [];
      this.set({ state: 'in_service' }, lines.filter((l) => l.connectorOnline && l.inService).length);
      this.set({ state: 'out_of_service' }, lines.filter((l) => l.connectorOnline && !l.inService).length);
      this.set({ state: 'connector_offline' }, lines.filter((l) => !l.connectorOnline).length);
    },
  });
  new Gauge({
    name: 'crm_tapi_clients', help: 'Browser clients with a proven identity, by kind', labelNames: ['kind'], registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const s of m()?.userSide?.sockets() ?? []) if (s.user !== undefined) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
      for (const [kind, n] of counts) this.set({ kind }, n);
    },
  });
  const callEvents = new Counter({ name: 'crm_tapi_call_events_total', help: 'Call events accepted from connectors (rate() gives events per second)', registers: [registry] });
  const latency = new Histogram({
    name: 'crm_tapi_popup_latency_seconds', help: 'Call event received from a connector → call notification sent to a client', registers: [registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  new Gauge({ name: 'crm_tapi_outbox_pending', help: 'CRM writes waiting in the outbox', registers: [registry], collect() { this.set(m()?.outbox.stats().pending ?? 0); } });
  new Gauge({
    name: 'crm_tapi_outbox_oldest_waiting_seconds', help: 'Age of the write that has waited longest (0 when none waits)', registers: [registry],
    collect() {
      const oldest = m()?.outbox.oldestWaiting();
      this.set(oldest === undefined ? 0 : Math.max(0, (clock.wall() - oldest.enqueuedAt) / 1000));
    },
  });
  new Gauge({ name: 'crm_tapi_outbox_dead_letters', help: 'CRM writes that failed for good (crm-tapi diagnose lists them)', registers: [registry], collect() { this.set(m()?.outbox.stats().deadLetters ?? 0); } });
  const outboxEvents = new Counter({ name: 'crm_tapi_outbox_events_total', help: 'Outbox outcomes: delivered, retry, wait (credentials), dead', labelNames: ['type'], registers: [registry] });
  const requests = new Counter({ name: 'crm_tapi_dataverse_requests_total', help: 'Dataverse Web API attempts by HTTP status (0: no answer)', labelNames: ['status'], registers: [registry] });
  const throttled = new Counter({ name: 'crm_tapi_dataverse_throttled_total', help: 'Dataverse answers 429 (service protection limits)', registers: [registry] });
  const retries = new Counter({ name: 'crm_tapi_dataverse_retries_total', help: 'Dataverse attempts that will be sent again', registers: [registry] });
  new Gauge({ name: 'crm_tapi_directory_records', help: 'CRM records in the phone directory', registers: [registry], collect() { this.set(m()?.directory.status().records ?? 0); } });
  new Gauge({
    name: 'crm_tapi_directory_last_refresh_timestamp_seconds', help: 'When the last full build or incremental refresh of the phone directory finished (Unix time)', labelNames: ['kind'], registers: [registry],
    collect() {
      this.reset();
      for (const [kind, report] of Object.entries(m()?.directory.status().last ?? {})) if (report !== undefined) this.set({ kind }, report.finishedAt / 1000);
    },
  });

  const onAttempt = (message: unknown): void => {
    const a = message as DataverseAttempt;
    requests.inc({ status: String(a.status) });
    if (a.status === 429) throttled.inc();
    if (a.retry) retries.inc();
    last = { status: a.status, at: clock.wall(), ...(a.code === undefined ? {} : { code: a.code }) };
  };
  const onOutbox = (message: unknown): void => outboxEvents.inc({ type: (message as OutboxEvent).type });
  const onNotification = (message: unknown): void => latency.observe(Math.max(0, clock.mono() - (message as NotificationSent).receivedAt) / 1000);
  subscribe(ATTEMPTS, onAttempt);
  subscribe(OUTBOX, onOutbox);
  subscribe(NOTIFICATIONS, onNotification);
  let offCalls: (() => void) | undefined;

  return {
    registry,
    attach(running) {
      manager = running;
      offCalls = running.connectorSide.onCallEvent(() => callEvents.inc());
    },
    lastCrmAttempt: () => last,
    close() {
      unsubscribe(ATTEMPTS, onAttempt);
      unsubscribe(OUTBOX, onOutbox);
      unsubscribe(NOTIFICATIONS, onNotification);
      offCalls?.();
      registry.clear();
    },
  };
}
