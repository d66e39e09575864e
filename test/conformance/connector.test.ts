// The connector role against our own connector: every case passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTOR_CASES, ConnectorContext, ConnectorListener, formatResult, runSuite, type ConnectorTarget } from '../../src/conformance/index.ts';
import { CONNECTOR_KEY, startConnectorWorld, type ConnectorWorld } from './support/connector-world.ts';
import { freeTapiPort } from '../support/ports.ts';

let listener: ConnectorListener;
let world: ConnectorWorld;

beforeAll(async () => {
  listener = await ConnectorListener.listen(await freeTapiPort());
  world = await startConnectorWorld(listener.port);
}, 60_000);

afterAll(async () => {
  await world?.stop();
  await listener?.close();
});

export function connectorTarget(ring: ConnectorWorld['ring']): ConnectorTarget {
  return { connectorKey: CONNECTOR_KEY, onRing: ring, acceptMs: 5_000, replyMs: 3_000, keepAliveInterval: 1, hookTimeoutMs: 5_000 };
}

describe('conformance connector against our connector', () => {
  it('passes every case', async () => {
    const report = await runSuite('connector', `port ${listener.port}`, CONNECTOR_CASES, new ConnectorContext(connectorTarget(world.ring), listener), { caseTimeoutMs: 15_000 });
    const bad = report.results.filter((r) => r.status !== 'pass');
    expect(bad.map(formatResult).join('\n')).toBe('');
    expect(report.passed).toBe(true);
  }, 120_000);
});
