import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteSeqStore } from '../../../src/manager/gateway/sqlite-seq-store.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { KEY, RawConnector, until } from '../support/raw-connector.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function gateway(...args: Parameters<typeof startGateway>): Promise<TestGateway> {
  const g = await startGateway(...args);
  cleanups.push(() => g.stop());
  return g;
}

async function connector(port: number, host?: string, lastAckedSeq?: number): Promise<RawConnector> {
  const c = await RawConnector.registered(port, host, lastAckedSeq);
  cleanups.push(() => c.close());
  return c;
}

describe('registration', () => {
  it('answers a right key with registered: fresh sequence and the keep-alive interval', async () => {
    const g = await gateway({ keepAliveSeconds: 25 });
    const c = await connector(g.port);
    expect(c.of('registered')[0]).toEqual({ channel: 'connector', command: 'registered', protocolVersion: '1.2', lastAckedSeq: 0, keepAliveInterval: 25 });
    expect(g.gateway.diagnose().connectors).toEqual([{ host: 'pbx.test', peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/), connectorVersion: '0.9.0', lines: [] }]);
  });

  it('accepts any of the configured keys', async () => {
    const g = await gateway();
    const c = await RawConnector.registered(g.port, 'second.test', undefined, 'a-second-connector-key-0000');
    cleanups.push(() => c.close());
    expect(c.of('registered')).toHaveLength(1);
  });

  it('refuses a wrong key with an error reply, closes the connection and never logs the key', async () => {
    const g = await gateway();
    const wrong = 'wrong-but-long-connector-key-42';
    const c = await RawConnector.open(g.port);
    cleanups.push(() => c.close());
    c.register('intruder.test', undefined, wrong);
    await c.closedPromise;
    expect(c.received).toEqual([{ channel: 'connector', command: 'error', code: 'unauthorized', message: 'the connector key is not accepted' }]);
    expect(g.logs.text).toContain('connector key is not accepted');
    expect(g.logs.text).not.toContain(wrong);
    expect(g.logs.text).not.toContain(KEY);
    expect(g.gateway.diagnose().connectors).toEqual([]);
  });

  it('refuses another protocol major version', async () => {
    const g = await gateway();
    const c = await RawConnector.open(g.port);
    cleanups.push(() => c.close());
    c.send({ channel: 'connector', command: 'register', protocolVersion: '2.0', connectorVersion: '9', host: 'future.test', connectorKey: KEY });
    await c.closedPromise;
    expect(c.received[0]).toMatchObject({ command: 'error', code: 'unsupported-version' });
  });

  it('refuses every message before register with not-registered', async () => {
    const g = await gateway();
    const c = await RawConnector.open(g.port);
    cleanups.push(() => c.close());
    c.send({ channel: 'connector', command: 'keepalive' });
    await c.waitFor(() => c.received.length === 1);
    expect(c.received[0]).toMatchObject({ command: 'error', code: 'not-registered' });
    expect(c.closed).toBe(false);
  });

  it('closes a connection that does not register in time', async () => {
    const g = await gateway({ registrationTimeoutMs: 200 });
    const c = await RawConnector.open(g.port);
    cleanups.push(() => c.close());
    const started = Date.now();
    await c.closedPromise;
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a second connection for the same host replaces the first; the lines stay online', async () => {
    const g = await gateway();
    const first = await connector(g.port);
    first.lines(['20']);
    await until(() => g.gateway.lines().length === 1);
    const second = await connector(g.port, 'pbx.test', 0);
    await first.closedPromise;
    expect(second.closed).toBe(false);
    expect(g.gateway.lines()[0]).toMatchObject({ line: 'pbx.test:20', connectorOnline: true });
    expect(g.lineEvents.filter((e) => e.kind === 'changed')).toEqual([]);
    expect(g.gateway.diagnose().sockets).toHaveLength(1);
  });
});

describe('acknowledged seq across reconnects and restarts', () => {
  it('tells a reconnecting connector the last seq it acknowledged', async () => {
    const g = await gateway();
    const c = await connector(g.port);
    c.lines(['20']);
    c.call(1, 'c1', '20');
    c.call(2, 'c1', '20', 'connected');
    await c.waitFor(() => c.lastAck() === 2, 'ack 2');
    c.close();
    const again = await connector(g.port, 'pbx.test', 1);
    expect(again.of('registered')[0]?.lastAckedSeq).toBe(2);
  });

  it('a connector without lastAckedSeq is a new process: its sequence starts again at 0', async () => {
    const g = await gateway();
    const c = await connector(g.port);
    c.call(1, 'c1', '20');
    await c.waitFor(() => c.lastAck() === 1);
    c.close();
    const fresh = await connector(g.port);
    expect(fresh.of('registered')[0]?.lastAckedSeq).toBe(0);
  });

  it('trusts a connector that saw more acknowledged than the manager remembers', async () => {
    const g = await gateway();
    const c = await connector(g.port, 'pbx.test', 41);
    expect(c.of('registered')[0]?.lastAckedSeq).toBe(41);
  });

  it('keeps the acknowledged seq in DataDir across a manager restart', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'crm-tapi-seq-')), 'manager-state.sqlite');
    const first = await startGateway({}, { seqs: new SqliteSeqStore(path) });
    const c = await RawConnector.registered(first.port);
    for (let seq = 1; seq <= 5; seq += 1) c.call(seq, `c${seq}`, '20');
    await c.waitFor(() => c.lastAck() === 5);
    c.close();
    await first.stop();
    first.seqs.close();
    const second = await gateway({}, { seqs: new SqliteSeqStore(path) });
    cleanups.push(() => second.seqs.close());
    const again = await connector(second.port, 'pbx.test', 3);
    expect(again.of('registered')[0]?.lastAckedSeq).toBe(5);
  });
});
