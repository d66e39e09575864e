// /healthz, /readyz and /metrics of `crm-tapi manager` as an operator runs it
// (a child process from a configuration file, the simulated Dataverse): up
// while it waits for the CRM but not ready, ready once it runs, metrics in
// Prometheus form, and a token once one is configured.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { CONNECTOR_KEY, SERVICE } from '../support/manager.ts';
import { freePort, freeTapiPort } from '../../support/ports.ts';
import { RawConnector } from '../support/raw-connector.ts';

const TOKEN = 'health-token-for-the-tests-5e1c';
let dv: SimulatedDataverse;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dv = await startSimulatedDataverse({ port: 0 });
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await dv?.close();
});

async function startManager(extra: Record<string, unknown>): Promise<{ child: ChildProcess; health: string; tapi: number; output: () => string; exited: Promise<number | null> }> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-health-'));
  const tapi = await freeTapiPort();
  const healthPort = await freePort();
  const file = join(dir, 'manager.json');
  writeFileSync(file, JSON.stringify({
    CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: 'contoso', CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password, CrmRetryMaxDelay: 1,
    ConnectorKeys: [CONNECTOR_KEY], CrmTapiPort: tapi, CrmTapiWebSocketPort: await freePort(), LogLevel: 3, DataDir: 'state', HealthPort: healthPort, ...extra,
  }));
  const child = spawn(process.execPath, ['./bin/crm-tapi.js', 'manager', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await vi.waitFor(() => expect(out).toContain('health endpoint listening'), { timeout: 30_000, interval: 100 });
  return { child, health: `http://127.0.0.1:${healthPort}`, tapi, output: () => out, exited };
}

describe('the manager\'s health endpoint', () => {
  it('is up but not ready while the CRM does not answer, and says why', async () => {
    const closed = await freePort();
    const m = await startManager({ CrmServer: `http://127.0.0.1:${closed}` });
    try {
      const live = await fetch(`${m.health}/healthz`);
      expect([live.status, await live.text()]).toEqual([200, 'ok\n']);
      const ready = await fetch(`${m.health}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ready: false, reasons: ['crm: starting: waiting for the CRM (the log says why)'], checks: [{ name: 'crm', state: 'fail', detail: 'starting: waiting for the CRM (the log says why)' }] });
    } finally {
      m.child.kill('SIGTERM');
    }
    expect(await m.exited).toBe(0);
  }, 60_000);

  it("sends records from the outbox's delivery thread: its retries are logged and counted by the manager", async () => {
    const m = await startManager({});
    const rule = dv.faults.throttle({ path: 'ctapi_eventlogs', method: 'PATCH', retryAfter: '0', times: 1 });
    try {
      await vi.waitFor(() => expect(m.output()).toContain('"msg":"manager running"'), { timeout: 30_000, interval: 100 });
      const before = dv.store.count('ctapi_eventlog');
      const c = await RawConnector.registered(m.tapi, 'pbx.delivery', undefined, CONNECTOR_KEY);
      // An eventsLost report makes the manager write an event log record (spec/protocol.md 7.5).
      c.send({ channel: 'connector', command: 'eventsLost', seq: 1, count: 3, firstTimestamp: '2026-12-05T10:00:00.000Z', lastTimestamp: '2026-12-05T10:01:00.000Z' });
      await vi.waitFor(() => expect(dv.store.count('ctapi_eventlog')).toBe(before + 1), { timeout: 20_000, interval: 50 });
      // The 429 was answered to the worker's client: its warning carries the delivery thread's marks.
      const retried = m.output().split('\n').filter((l) => l.includes('dataverse request will be retried'));
      expect(retried).toHaveLength(1);
      expect(JSON.parse(retried[0]!)).toMatchObject({ component: 'outbox-delivery', thread: 'delivery', status: 429, code: 'throttled' });
      expect(m.output()).not.toContain('delivery-worker-failed');
      const text = await (await fetch(`${m.health}/metrics`)).text();
      expect(text).toMatch(/^crm_tapi_dataverse_throttled_total\{service="manager"\} 1$/m);
      expect(text).toMatch(/^crm_tapi_dataverse_requests_total\{status="204",service="manager"\} [1-9]\d*$/m);
      c.close();
    } finally {
      dv.faults.remove(rule);
      m.child.kill('SIGTERM');
    }
    expect(await m.exited).toBe(0);
  }, 90_000);

  it('is ready once the manager runs; /metrics has the figures; a configured token is required', async () => {
    const m = await startManager({ HealthToken: TOKEN });
    try {
      await vi.waitFor(() => expect(m.output()).toContain('"msg":"manager running"'), { timeout: 30_000, interval: 100 });
      const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
      expect((await fetch(`${m.health}/readyz`)).status).toBe(401);
      expect((await fetch(`${m.health}/metrics`, { headers: { Authorization: 'Bearer not-the-token-at-all-0000' } })).status).toBe(401);
      expect((await fetch(`${m.health}/healthz`)).status).toBe(200);
      const c = await RawConnector.registered(m.tapi, 'pbx.test', undefined, CONNECTOR_KEY);
      const ready = await fetch(`${m.health}/readyz`, auth);
      const body = (await ready.json()) as { ready: boolean; checks: { name: string; state: string }[] };
      expect(ready.status).toBe(200);
      expect(body.ready).toBe(true);
      expect(body.checks.map((k) => [k.name, k.state])).toEqual([['crm', 'ok'], ['solution', 'ok'], ['directory', 'ok'], ['listeners', 'ok']]);
      const metrics = await fetch(`${m.health}/metrics`, auth);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await metrics.text();
      expect(text).toMatch(/^crm_tapi_connectors\{service="manager"\} 1$/m);
      expect(text).toMatch(/^crm_tapi_dataverse_requests_total\{status="200",service="manager"\} [1-9]\d*$/m);
      expect(text).toMatch(/^crm_tapi_outbox_pending\{service="manager"\} 0$/m);
      expect(text).toMatch(/^crm_tapi_outbox_dead_letters\{service="manager"\} 0$/m);
      expect(text).toMatch(/^crm_tapi_directory_records\{service="manager"\} [1-9]\d*$/m);
      expect(text).toMatch(/^crm_tapi_directory_last_refresh_timestamp_seconds\{kind="full",service="manager"\} \d+/m);
      for (const name of ['crm_tapi_popup_latency_seconds_bucket', 'crm_tapi_call_events_total', 'crm_tapi_clients', 'crm_tapi_dataverse_throttled_total', 'crm_tapi_dataverse_retries_total', 'crm_tapi_outbox_oldest_waiting_seconds', 'nodejs_eventloop_lag_p99_seconds']) {
        expect(text).toContain(name);
      }
      c.close();
    } finally {
      m.child.kill('SIGTERM');
    }
    expect(await m.exited).toBe(0);
    expect(m.output()).not.toContain(TOKEN);
  }, 90_000);
});
