// Break 5 of issue 11: the WebSocket port had no limit before the upgrade —
// 1,000 silent TCP connections stayed open (file descriptors 49 → 1,501) and
// connections trickling one byte every 2 s were never closed. Against
// `crm-tapi manager` as a child process, counting its own descriptors.
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../simulator/dataverse/index.ts';
import { SilentSwarm, sleep } from './support/edge-attacker.ts';
import { CONNECTOR_KEY, startManagerProcess, type ManagerProcess } from './support/edge-manager-process.ts';
import { RawConnector } from '../manager/support/raw-connector.ts';

let dv: SimulatedDataverse;
let m: ManagerProcess;
beforeAll(async () => {
  dv = await startSimulatedDataverse({ port: 0 });
  // One manager process serves break 5 and the manager's part of break 7 (its log file, SIGKILLed last).
  m = await startManagerProcess(dv, { UpgradeTimeout: 2, MaxPendingUpgrades: 256, MaxPendingUpgradesPerPeer: 32, LogArt: 'File', LogFile: 'logs/manager.log' });
}, 60_000);
afterAll(async () => {
  await m?.stop();
  await dv?.close();
});

/** A real WebSocket upgrade from 127.0.0.1; resolves true once open. */
function upgrades(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(false);
    }, 10_000);
    ws.on('open', () => {
      clearTimeout(timer);
      ws.close();
      resolve(true);
    });
    ws.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

describe('the WebSocket port before the upgrade (break 5)', () => {
  it('1,000 silent connections from many addresses: the manager holds at most MaxPendingUpgrades of them, and a browser still upgrades', async () => {
    const baseline = m.fds();
    const swarms = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map((from) => new SilentSwarm({ port: m.wsPort, count: 250, topUpMs: 500, from }).start());
    try {
      let peak = 0;
      const until = Date.now() + 4_000;
      while (Date.now() < until) {
        peak = Math.max(peak, m.fds() - baseline);
        await sleep(100);
      }
      expect(swarms.reduce((n, s) => n + s.opened, 0)).toBeGreaterThanOrEqual(1_000);
      expect(peak).toBeLessThanOrEqual(256 + 16);
      for (let i = 0; i < 5; i += 1) expect(await upgrades(m.wsPort)).toBe(true);
    } finally {
      for (const s of swarms) await s.stop();
    }
  }, 60_000);

  it('connections trickling one byte every 500 ms are closed at UpgradeTimeout (2 s here), whatever Node\'s own timeouts do', async () => {
    const sockets = Array.from({ length: 20 }, () => connect({ host: '127.0.0.1', port: m.wsPort, localAddress: '127.0.0.6' }));
    const closedAt: number[] = [];
    const started = Date.now();
    for (const s of sockets) {
      s.on('error', () => undefined);
      s.on('close', () => closedAt.push(Date.now() - started));
      s.write('GET / HTTP/1.1\r\n');
    }
    const drip = setInterval(() => {
      for (const s of sockets) if (s.writable) s.write('X');
    }, 500);
    try {
      while (closedAt.length < sockets.length && Date.now() - started < 8_000) await sleep(100);
      expect(closedAt).toHaveLength(20);
      expect(Math.max(...closedAt)).toBeLessThan(6_000);
      expect(Math.min(...closedAt)).toBeGreaterThanOrEqual(1_500);
    } finally {
      clearInterval(drip);
      for (const s of sockets) s.destroy();
    }
  }, 30_000);

  it('the deadline is for the upgrade only: an upgraded client stays', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${m.wsPort}/`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    await sleep(3_000);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  }, 30_000);

  it('break 7: `crm-tapi manager` with LogFile = logs/manager.log writes exactly that file, and a warning is there before a SIGKILL', async () => {
    const file = join(m.dir, 'logs', 'manager.log');
    // A wrong key makes the manager warn; the kill follows as soon as the peer sees the refusal.
    const c = await RawConnector.open(m.tapiPort);
    c.register('pbx.test', undefined, `${CONNECTOR_KEY}-wrong`);
    await c.waitFor(() => c.of('error').length === 1, 'the refusal');
    m.child.kill('SIGKILL');
    await m.exited;
    expect(readFileSync(file, 'utf8')).toContain('connector registration refused: the connector key is not accepted');
    expect(readdirSync(join(m.dir, 'logs'))).toEqual(['manager.log']);
  }, 30_000);
});
