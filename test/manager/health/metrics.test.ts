// The manager's metrics are fed from outside the core: what the Web API
// client, the outbox and call routing publish on node:diagnostics_channel
// lands in the Prometheus figures (the end-to-end test of /metrics is
// test/manager/cli/health.test.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { outboxEvents } from '../../../src/dataverse/outbox/events.ts';
import { publishAttempt } from '../../../src/dataverse/web-api/diagnostics.ts';
import { createManagerMetrics, type ManagerMetrics } from '../../../src/manager/health/metrics.ts';
import { notificationsSent } from '../../../src/manager/routing/diagnostics.ts';
import type { EpochMs, MonoMs } from '../../../src/manager/clock.ts';

let metrics: ManagerMetrics | undefined;
afterEach(() => metrics?.close());

async function value(name: string, labels = ''): Promise<string | undefined> {
  const text = await metrics!.registry.metrics();
  return new RegExp(`^${name}\\{${labels}service="manager"\\} (\\S+)$`, 'm').exec(text)?.[1];
}

describe('manager metrics', () => {
  it('times popups from the event\'s arrival (monotonic) to the notification sent', async () => {
    let now = 10_000;
    metrics = createManagerMetrics({ mono: () => now as MonoMs, wall: () => Date.now() as EpochMs });
    now = 10_040;
    notificationsSent.publish({ receivedAt: 10_000, callKey: 'pbx/1', state: 'offering' });
    notificationsSent.publish({ receivedAt: 10_030, callKey: 'pbx/1', state: 'idle' });
    expect(await value('crm_tapi_popup_latency_seconds_count')).toBe('2');
    expect(Number(await value('crm_tapi_popup_latency_seconds_sum'))).toBeCloseTo(0.05, 6);
    expect(await value('crm_tapi_popup_latency_seconds_bucket', 'le="0.01",')).toBe('1');
  });

  it('counts Dataverse attempts by status, 429s and retries, and remembers the last answer for /readyz', async () => {
    metrics = createManagerMetrics();
    publishAttempt({ method: 'GET', status: 200, retry: false });
    publishAttempt({ method: 'POST', status: 429, retry: true });
    publishAttempt({ method: 'POST', status: 0, retry: true });
    expect(await value('crm_tapi_dataverse_requests_total', 'status="200",')).toBe('1');
    expect(await value('crm_tapi_dataverse_requests_total', 'status="429",')).toBe('1');
    expect(await value('crm_tapi_dataverse_throttled_total')).toBe('1');
    expect(await value('crm_tapi_dataverse_retries_total')).toBe('2');
    expect(metrics.lastCrmAttempt()?.status).toBe(0);
    // A refused sign-in has no Web API answer; its code says why (/readyz: "unauthorized").
    publishAttempt({ method: 'GET', status: 0, retry: false, code: 'unauthorized' });
    expect(metrics.lastCrmAttempt()).toMatchObject({ status: 0, code: 'unauthorized' });
    publishAttempt({ method: 'GET', status: 200, retry: false });
    expect(metrics.lastCrmAttempt()?.code).toBeUndefined();
  });

  it('counts outbox outcomes, and stops listening when closed', async () => {
    metrics = createManagerMetrics();
    outboxEvents.publish({ type: 'dead', id: 'x', kind: 'callLog', attempts: 1, code: 'bad-request' });
    expect(await value('crm_tapi_outbox_events_total', 'type="dead",')).toBe('1');
    metrics.close();
    expect(outboxEvents.hasSubscribers).toBe(false);
    metrics = undefined;
  });
});
