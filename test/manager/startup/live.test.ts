// Live keys while running, and the listener self-test.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { loadManagerConfig } from '../../../src/manager/config/load.ts';
import { ListenerSelfTest } from '../../../src/manager/self-test.ts';
import { LogCapture } from '../support/gateway.ts';
import { CONNECTOR_KEY, managerConfig, runManager, SERVICE } from '../support/manager.ts';
import { RawConnector, until } from '../support/raw-connector.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('live configuration', () => {
  it('applies live keys from the changed file, names restart keys, and ignores an invalid file', async () => {
    const dv = await startSimulatedDataverse({ port: 0 });
    cleanups.push(() => dv.close());
    const dataDir = managerConfig(dv.url).DataDir;
    const file = join(dataDir, 'manager.json');
    const raw = { CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: 'contoso', CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password, ConnectorKeys: [CONNECTOR_KEY], DataDir: dataDir, LogLevel: 3, CrmRetryMaxDelay: 1 };
    writeFileSync(file, JSON.stringify(raw));
    const config = { ...(await loadManagerConfig(file)), CrmTapiPort: 0, CrmTapiWebSocketPort: 0 };
    const applied: number[] = [];
    const { manager, logs } = await runManager(config, { userSide: null, configPath: file, configPollMs: 50, onConfigApplied: (c) => void applied.push(c.LogLevel as number) });
    cleanups.push(() => manager.stop());

    writeFileSync(file, JSON.stringify({ ...raw, LogLevel: 6, ConnectionKeepAliveIntervall: 7, CrmTapiWebSocketPort: 9090 }));
    await manager.reload();
    expect(manager.config()).toMatchObject({ LogLevel: 6, ConnectionKeepAliveIntervall: 7, CrmTapiWebSocketPort: 0 });
    expect(applied).toEqual([6]);
    expect(logs.messages()).toContain('restart needed for CrmTapiWebSocketPort: the running manager keeps its start value');
    const c = await RawConnector.registered(manager.ports.tapi, 'pbx.test', undefined, CONNECTOR_KEY);
    cleanups.push(() => c.close());
    expect(c.of('registered')[0]?.keepAliveInterval).toBe(7);

    writeFileSync(file, JSON.stringify({ ...raw, LogLevel: 42 }));
    await manager.reload();
    expect(manager.config().LogLevel).toBe(6);
    expect(logs.messages().some((m) => m.startsWith('configuration change not applied, the running settings stay: LogLevel: must be'))).toBe(true);

    // The file watcher notices a change without an explicit reload.
    writeFileSync(file, JSON.stringify({ ...raw, LogLevel: 1, ConnectorKeys: [CONNECTOR_KEY, 'a-key-added-while-running'] }));
    await until(() => manager.config().LogLevel === 1, 'file change noticed', 10_000);
    const added = await RawConnector.registered(manager.ports.tapi, 'second.test', undefined, 'a-key-added-while-running');
    cleanups.push(() => added.close());
    expect(added.of('registered')).toHaveLength(1);
    expect(logs.text).not.toContain('a-key-added-while-running');
  });
});

describe('listener self-test', () => {
  it('rebuilds a listener whose test fails, and logs every test with ListenerTestLog', async () => {
    const logs = new LogCapture();
    let healthy = false;
    let rebuilt = 0;
    let logEvery = false;
    const test = new ListenerSelfTest({
      targets: () => [{ name: 'TAPI port', test: async () => healthy, rebuild: async () => void ((rebuilt += 1), (healthy = true)) }],
      intervalSeconds: () => 2,
      logEveryTest: () => logEvery,
      logger: pino({ level: 'debug' }, logs),
      unitMs: 10,
    });
    test.start();
    cleanups.push(() => test.stop());
    await until(() => test.runs >= 1, 'first run');
    expect(rebuilt).toBe(1);
    expect(logs.messages()).toEqual(['listener self-test failed; rebuilding the listener', 'listener rebuilt and answering again']);
    logEvery = true;
    await until(() => test.runs >= 3, 'more runs');
    expect(rebuilt).toBe(1);
    expect(logs.messages()).toContain('listener self-test passed');
  });

  it('the gateway\'s listener, rebuilt, keeps its connections and its port', async () => {
    const dv = await startSimulatedDataverse({ port: 0 });
    cleanups.push(() => dv.close());
    const { manager } = await runManager(managerConfig(dv.url, { ListenerTestIntervall: 0 }), { userSide: null });
    cleanups.push(() => manager.stop());
    const before = await RawConnector.registered(manager.ports.tapi, 'a.test', undefined, CONNECTOR_KEY);
    cleanups.push(() => before.close());
    await manager.gateway.rebuildListener();
    expect(manager.gateway.port).toBe(manager.ports.tapi);
    expect(await manager.gateway.selfTest()).toBe(true);
    const after = await RawConnector.registered(manager.ports.tapi, 'b.test', undefined, CONNECTOR_KEY);
    cleanups.push(() => after.close());
    before.send({ channel: 'connector', command: 'keepalive' });
    await before.waitFor(() => before.of('keepalive').length === 1);
  });
});

describe('lost events', () => {
  it('leave an entry in the CRM event log', async () => {
    const dv = await startSimulatedDataverse({ port: 0 });
    cleanups.push(() => dv.close());
    const { manager } = await runManager(managerConfig(dv.url), { userSide: null });
    cleanups.push(() => manager.stop());
    const c = await RawConnector.registered(manager.ports.tapi, 'pbx.test', undefined, CONNECTOR_KEY);
    cleanups.push(() => c.close());
    c.send({ channel: 'connector', command: 'eventsLost', seq: 1, count: 12, firstTimestamp: '2024-05-01T12:00:00.000Z', lastTimestamp: '2024-05-01T12:05:00.000Z' });
    // Through the delivery worker, whose start took over 10 s with two files at a time and two busy loops on 2 cores.
    await until(() => dv.store.count('ctapi_eventlog') === 1, 'event log entry written', 25_000);
    const [entry] = [...dv.store.all('ctapi_eventlog')] as Record<string, unknown>[];
    expect(JSON.stringify(entry)).toContain('12 call event(s) lost');
    expect(JSON.stringify(entry)).toContain('crm-tapi connector pbx.test');
  });

  it('leave the journal once their entry is queued: a restart on the same data directory writes no second entry', async () => {
    const dv = await startSimulatedDataverse({ port: 0 });
    cleanups.push(() => dv.close());
    const config = managerConfig(dv.url);
    const first = await runManager(config, { userSide: null });
    const c = await RawConnector.registered(first.manager.ports.tapi, 'pbx.test', undefined, CONNECTOR_KEY);
    c.send({ channel: 'connector', command: 'eventsLost', seq: 1, count: 4, firstTimestamp: '2024-05-01T12:00:00.000Z', lastTimestamp: '2024-05-01T12:05:00.000Z' });
    await until(() => dv.store.count('ctapi_eventlog') === 1, 'event log entry written', 25_000);
    c.close();
    await first.manager.stop();
    // The journal keeps an acknowledged event only until what it causes is queued (spec/protocol.md 7.5).
    const db = new Database(join(config.DataDir, 'manager-state.sqlite'), { readonly: true });
    const journaled = db.prepare('SELECT key FROM event_journal').all();
    db.close();
    expect(journaled).toEqual([]);
    const second = await runManager(config, { userSide: null });
    cleanups.push(() => second.manager.stop());
    expect(second.logs.messages()).not.toContain('acknowledged events whose records were not yet queued are applied again from the journal');
    await second.manager.outbox.drained();
    expect(dv.store.count('ctapi_eventlog')).toBe(1);
  });
});
