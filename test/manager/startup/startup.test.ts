// The manager's start: CRM first (it waits, and says why), then records,
// directory and outbox, and only then the ports; line records created once
// and never modified, across restarts and races.
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { connect } from '../../../src/dataverse/connection.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { createRepositories } from '../../../src/dataverse/repositories/index.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';
import { startManager } from '../../../src/manager/manager.ts';
import { LineRecordKeeper, lineRecordId } from '../../../src/manager/lines/line-records.ts';
import { startHarness } from '../../connector/support/harness.ts';
import { LogCapture } from '../support/gateway.ts';
import { managerConfig, runManager, SERVICE } from '../support/manager.ts';
import { freePort } from '../../support/ports.ts';
import { until } from '../support/raw-connector.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sim(port = 0): Promise<SimulatedDataverse> {
  const dv = await startSimulatedDataverse({ port });
  cleanups.push(() => dv.close());
  return dv;
}

async function crmRepositories(dv: SimulatedDataverse) {
  const conn = await connect(parseConnectionConfig({ CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password }, 'test'));
  cleanups.push(() => conn.client.close());
  return createRepositories(conn.client, createSchema());
}

describe('start-up order', () => {
  it('waits for a CRM that is not there yet, saying why, and opens its ports only after it answered', async () => {
    const port = await freePort();
    const logs = new LogCapture();
    const config = managerConfig(`http://127.0.0.1:${port}`);
    const starting = startManager(config, { logger: pino({ level: 'debug' }, logs), crmFirstDelayMs: 50, userSide: null });
    let started = false;
    void starting.then(() => (started = true), () => undefined);
    await until(() => logs.messages().filter((m) => m.startsWith('waiting for the CRM')).length >= 2, 'two waits logged', 10_000);
    expect(started).toBe(false);
    expect(logs.text).not.toContain('TAPI port open');
    expect(logs.messages().find((m) => m.startsWith('waiting for the CRM'))).toMatch(/^waiting for the CRM before opening the ports: unreachable: /);
    await sim(port);
    const manager = await starting;
    cleanups.push(() => manager.stop());
    const order = ['connected to the CRM', 'line configuration records created on the first CRM connection', 'phone directory full refresh done', 'TAPI port open for connectors', 'manager running'];
    const at = order.map((m) => logs.messages().indexOf(m));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(manager.ports.tapi).toBeGreaterThan(0);
  });

  it('opens the WebSocket port of the user side too, and stops both', async () => {
    const dv = await sim();
    const { manager, logs } = await runManager(managerConfig(dv.url));
    expect(manager.ports.webSocket).toBeGreaterThan(0);
    expect(await manager.gateway.selfTest()).toBe(true);
    expect(await manager.userSide?.selfTest()).toBe(true);
    expect(logs.messages().indexOf('connected to the CRM')).toBeLessThan(logs.messages().indexOf('WebSocket port open'));
    await manager.stop();
    expect(await manager.gateway.selfTest()).toBe(false);
  });
});

describe('line records', () => {
  it('creates the default and site records once, then one user line record per reported line, never modified', async () => {
    const dv = await sim();
    const config = managerConfig(dv.url);
    const repos = await crmRepositories(dv);
    const first = await runManager(config, { userSide: null });
    const h = await startHarness({ port: first.manager.ports.tapi }, { lines: ['20', '21'] });
    cleanups.push(() => h.service.stop());
    await until(() => first.manager.lineRecords.created === 2, 'two records created', 10_000);
    const before = await repos.lineConfigs.listAll();
    // Records created in one clock tick have no defined order: compare sorted.
    expect(before.map((r) => [r.kind, r.line ?? r.name]).sort()).toEqual([
      ['default', 'Standard'],
      ['site', 'Standort'],
      ['userLine', 'pbx.test:20'],
      ['userLine', 'pbx.test:21'],
    ]);
    const site = before.find((r) => r.kind === 'site');
    expect(before.filter((r) => r.kind === 'userLine').every((r) => r.parentId === site?.id && r.connectorHost === 'pbx.test')).toBe(true);
    expect(before.find((r) => r.line === 'pbx.test:20')?.id).toBe(lineRecordId('contoso', 'pbx.test:20'));
    await h.service.stop();
    await first.manager.stop();

    const second = await runManager(config, { userSide: null });
    cleanups.push(() => second.manager.stop());
    const again = await startHarness({ port: second.manager.ports.tapi }, { lines: ['20', '21', '22'] });
    cleanups.push(() => again.service.stop());
    await until(() => second.manager.lineRecords.created === 1, 'one new record', 10_000);
    await second.manager.lineRecords.idle();
    const after = await repos.lineConfigs.listAll();
    expect(after).toHaveLength(5);
    for (const record of before) expect(after.find((r) => r.id === record.id)).toEqual(record);
    expect(second.logs.text).not.toContain('line configuration records created on the first CRM connection');
  });

  it('two managers reporting the same line at once create one record between them', async () => {
    const dv = await sim();
    const repos = await crmRepositories(dv);
    const other = await crmRepositories(dv);
    const { site } = await repos.lineConfigs.ensureDefaultAndSite({ webSocketUrl: 'ws://m:8080', tapiPort: 4505, managerHost: 'm' });
    const silent = pino({ level: 'silent' });
    const a = new LineRecordKeeper({ repository: repos.lineConfigs, siteId: site.id, organisation: 'contoso', logger: silent });
    const b = new LineRecordKeeper({ repository: other.lineConfigs, siteId: site.id, organisation: 'contoso', logger: silent });
    const line = { line: 'pbx.test:30', connectorHost: 'pbx.test', localName: '30', address: '30', inService: true, connectorOnline: true };
    await Promise.all([a.ensure(line), b.ensure(line), a.ensure(line), b.ensure(line)]);
    expect(await repos.lineConfigs.byLine('pbx.test:30')).toHaveLength(1);
  });

  it('retries a record the CRM refused, with back-off, and logs why', async () => {
    let failures = 2;
    const created: string[] = [];
    const logs = new LogCapture();
    const keeper = new LineRecordKeeper({
      repository: {
        listAll: async () => [],
        ensureUserLine: async (host, name) => {
          if (failures-- > 0) throw Object.assign(new Error('the CRM is busy'), { code: 'throttled' });
          created.push(`${host}:${name}`);
          return { records: [{ id: 'x', kind: 'userLine', name: `${host}:${name}`, line: `${host}:${name}`, dialing: {}, popup: {} }], created: true };
        },
      },
      siteId: 's', organisation: 'contoso', logger: pino({ level: 'debug' }, logs), retryBaseMs: 20, retryMaxMs: 40,
    });
    cleanups.push(() => keeper.stop());
    await keeper.ensure({ line: 'h:1', connectorHost: 'h', localName: '1', address: '1', inService: true, connectorOnline: true });
    await until(() => created.length === 1, 'created after retries');
    expect(logs.messages().filter((m) => m.startsWith('cannot create the user line record yet: the CRM is busy'))).toHaveLength(2);
    expect(keeper.waiting).toBe(0);
  });
});
