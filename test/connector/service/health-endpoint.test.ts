// The connector's health endpoint on a running service: readiness follows the
// link and the provider, and each figure in /metrics is the one its name says.
// (The CLI test shows the endpoint is wired into `crm-tapi connector`.)
import { afterEach, describe, expect, it } from 'vitest';
import { startConnectorHealth } from '../../../src/connector/health-endpoint.ts';
import { ConfigError } from '../../../src/config/file.ts';
import { FakeManager, until } from '../support/fake-manager.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function withHealth(h: Harness): Promise<string> {
  const server = await startConnectorHealth({ ...h.config, HealthPort: 0, HealthBindAddress: '127.0.0.1' }, () => h.service.stats, {});
  if (server === undefined) throw new Error('no health endpoint');
  cleanups.push(() => server.close());
  return `http://127.0.0.1:${server.port}`;
}

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name}\\{service="connector"\\} (\\S+)$`, 'm').exec(text);
  if (match === null) throw new Error(`${name} is not in /metrics`);
  return Number(match[1]);
}

describe('the connector health endpoint', () => {
  it('reports the buffer, the acknowledged point and the losses as they are', async () => {
    const m = await FakeManager.start({ autoAck: false });
    cleanups.push(() => m.close());
    const h = await startHarness(m, { config: { EventBufferSize: 10 }, service: { ackTimeoutMs: 60_000 } });
    cleanups.push(() => h.service.stop());
    await m.waitFor(() => m.of('lines').length === 1, 5_000, 'lines');
    const url = await withHealth(h);
    // Three calls; the manager acknowledges their first 4 events only.
    for (let i = 0; i < 3; i += 1) {
      const { callIds } = h.pbx.incoming({ number: `030${i}` }, '20');
      h.pbx.drop(callIds[0] as string);
    }
    await m.waitFor(() => m.events.length >= 6, 5_000, 'six events');
    m.ack(4);
    await until(() => h.service.stats.buffer.ackedSeq === 4, 5_000, 'the acknowledgement');
    let text = await (await fetch(`${url}/metrics`)).text();
    expect(metric(text, 'crm_tapi_connector_last_seq')).toBe(h.service.stats.buffer.lastSeq);
    expect(metric(text, 'crm_tapi_connector_acked_seq')).toBe(4);
    expect(metric(text, 'crm_tapi_connector_buffer_events')).toBe(h.service.stats.buffer.lastSeq - 4);
    expect(metric(text, 'crm_tapi_connector_buffer_capacity')).toBe(10);
    expect(metric(text, 'crm_tapi_connector_events_lost_total')).toBe(0);
    expect(metric(text, 'crm_tapi_connector_lines')).toBe(3);
    // Past the capacity, what does not fit is counted as lost.
    for (let i = 0; i < 10; i += 1) {
      const { callIds } = h.pbx.incoming({ number: `031${i}` }, '21');
      h.pbx.drop(callIds[0] as string);
    }
    await until(() => h.service.stats.buffer.lostTotal > 0, 5_000, 'losses');
    text = await (await fetch(`${url}/metrics`)).text();
    expect(metric(text, 'crm_tapi_connector_events_lost_total')).toBe(h.service.stats.buffer.lostTotal);
    expect(metric(text, 'crm_tapi_connector_buffer_events')).toBe(h.service.stats.buffer.size);
    expect(h.service.stats.buffer.size).toBeLessThanOrEqual(10);
  });

  it('is not ready while the provider is re-initialised, and says why', async () => {
    const m = await FakeManager.start();
    cleanups.push(() => m.close());
    // The first attempt waits a whole back-off step, so the recovery stays under way while we look.
    const h = await startHarness(m, { service: { reopenBackoff: { baseMs: 60_000, capMs: 60_000 } } });
    cleanups.push(() => h.service.stop());
    await m.waitFor(() => m.of('lines').length === 1, 5_000, 'lines');
    const url = await withHealth(h);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(metric(await (await fetch(`${url}/metrics`)).text(), 'crm_tapi_connector_provider_up')).toBe(1);
    h.pbx.restart(5_000);
    await until(() => h.service.stats.providerRecovering, 5_000, 'a recovery under way');
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons).toEqual(['provider: re-initialising the lines']);
    expect(metric(await (await fetch(`${url}/metrics`)).text(), 'crm_tapi_connector_provider_up')).toBe(0);
    h.clock.advance(5_000);
    await until(() => !h.service.stats.providerRecovering, 5_000, 'the phone system back');
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('refuses to serve beyond the loopback without a token', async () => {
    const m = await FakeManager.start();
    cleanups.push(() => m.close());
    const h = await startHarness(m, { noStart: true });
    await expect(startConnectorHealth({ ...h.config, HealthPort: 0, HealthBindAddress: '0.0.0.0' }, () => h.service.stats, {})).rejects.toThrow(
      new ConfigError('config-invalid', 'HealthToken: is required when HealthBindAddress is not a loopback address'),
    );
  });
});
