// Break 4 of issue 11: 40 silent TCP connections, topped up every 2 s, kept
// MaxUnregisteredConnections (32) full and locked the keyed connector out,
// with every refusal logged. Now the oldest unregistered connection of the
// heaviest peer is evicted for a newcomer and the log is summarised.
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { RawConnector, until } from '../support/raw-connector.ts';
import { SilentSwarm, sleep } from '../../reliability/support/edge-attacker.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function gateway(settings: Parameters<typeof startGateway>[0] = {}): Promise<TestGateway> {
  const g = await startGateway({ maxConnections: 256, maxUnregistered: 32, maxUnregisteredPerPeer: 8, registrationTimeoutMs: 10_000, ...settings });
  cleanups.push(() => g.stop());
  return g;
}

async function registersEveryTime(g: TestGateway, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    const c = await RawConnector.registered(g.port, `pbx-${i}.test`);
    expect(c.of('registered')).toHaveLength(1);
    c.close();
    await c.closedPromise;
    await sleep(20);
  }
}

describe('unregistered connections cannot lock out a keyed connector (break 4)', () => {
  it('40 silent connections from another address, topped up: the connector registers every time; the log stays short', async () => {
    const g = await gateway();
    const swarm = new SilentSwarm({ port: g.port, count: 40, topUpMs: 100, from: '127.0.0.2' }).start();
    cleanups.push(() => swarm.stop());
    await until(() => swarm.opened >= 120, 'the attacker to have topped up several times');
    await registersEveryTime(g, 15);
    await swarm.stop();
    // Its own connections were evicted, never more than the per-peer cap held at once.
    expect(swarm.closedByServer).toBeGreaterThan(40);
    const lines = g.logs.messages().filter((m) => /evicted|refused/.test(m));
    expect(lines.length).toBeLessThanOrEqual(3);
  });

  it('the same attack from the connector\'s own address still lets it register every time', async () => {
    const g = await gateway();
    const swarm = new SilentSwarm({ port: g.port, count: 40, topUpMs: 100, from: '127.0.0.1' }).start();
    cleanups.push(() => swarm.stop());
    await until(() => swarm.opened >= 120, 'the attacker to have topped up several times');
    await registersEveryTime(g, 15);
  });

  it('many attacking addresses fill MaxUnregisteredConnections; the newcomer evicts the heaviest peer\'s oldest', async () => {
    const g = await gateway({ maxUnregistered: 8, maxUnregisteredPerPeer: 4 });
    const swarms = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((from) => new SilentSwarm({ port: g.port, count: 6, topUpMs: 100, from }).start());
    for (const s of swarms) cleanups.push(() => s.stop());
    await sleep(400);
    expect(g.gateway.diagnose().sockets.length).toBeLessThanOrEqual(8);
    await registersEveryTime(g, 10);
  });

  it('registered connections filling MaxConnectorConnections still refuse a newcomer (logged once per window)', async () => {
    const g = await gateway({ maxConnections: 2 });
    for (const host of ['a.test', 'b.test']) {
      const c = await RawConnector.registered(g.port, host);
      cleanups.push(() => c.close());
    }
    for (let i = 0; i < 20; i += 1) {
      const extra = await RawConnector.open(g.port);
      await extra.closedPromise;
    }
    expect(g.logs.messages().filter((m) => m.includes('MaxConnectorConnections reached')).length).toBe(1);
  });
});
