// The wire under the link: TLS with a verified manager certificate, and
// back-pressure when the manager reads slowly.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FakeManager, until } from '../support/fake-manager.ts';
import { startHarness } from '../support/harness.ts';

const tlsDir = new URL('../../../fixtures/tls/', import.meta.url);
const pem = (name: string) => readFileSync(new URL(name, tlsDir), 'utf8');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('TLS to the manager', () => {
  it('registers over TLS when the manager certificate chains to ManagerCaFile', async () => {
    const m = await FakeManager.start({ tls: { cert: pem('server.pem'), key: pem('server-key.pem') } });
    cleanups.push(() => m.close());
    const h = await startHarness(m, { config: { ManagerTls: 1 }, service: { managerCa: pem('ca.pem') } });
    cleanups.push(() => h.service.stop());
    await m.waitFor(() => m.of('lines').length === 1, 5_000, 'lines over TLS');
    expect(h.service.stats.link).toBe('ready');
  });

  it('refuses a manager whose certificate it cannot verify, and keeps trying', async () => {
    const m = await FakeManager.start({ tls: { cert: pem('server.pem'), key: pem('server-key.pem') } });
    cleanups.push(() => m.close());
    const h = await startHarness(m, { config: { ManagerTls: 1 } });
    cleanups.push(() => h.service.stop());
    await until(() => h.logs.lines.filter((l) => l.includes('manager connection error')).length >= 2, 5_000, 'two failed handshakes');
    expect(m.registrations).toHaveLength(0);
    expect(h.logs.lines.some((l) => /certificate/i.test(l))).toBe(true);
  });
});

describe('back-pressure', () => {
  it('stops writing while the manager does not read, and delivers everything in order once it reads again', async () => {
    const m = await FakeManager.start({ stallAfterRegister: true });
    cleanups.push(() => m.close());
    const h = await startHarness(m, { config: { EventBufferSize: 200_000 }, service: { ackTimeoutMs: 60_000 } });
    cleanups.push(() => h.service.stop());
    await until(() => h.service.stats.link === 'ready');
    // Large events (long caller names) fill the kernel's socket buffers sooner.
    const caller = { number: '0'.repeat(60), name: 'N'.repeat(250) };
    const expected: string[] = [];
    h.provider.subscribe((e) => {
      if (e.type === 'call') expected.push(`${e.callId} ${e.state}`);
    });
    for (let cycle = 0; cycle < 20_000 && h.service.stats.unsentBytes === 0; cycle += 1) {
      const { callIds } = h.pbx.incoming(caller, '20');
      h.pbx.drop(callIds[0] as string);
      h.clock.advance(1_000);
      if (cycle % 100 === 99) await new Promise((r) => setTimeout(r, 1));
    }
    // Writing paused at the socket's high-water mark instead of queueing every frame in memory.
    expect(h.service.stats.unsentBytes).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.service.stats.unsentBytes).toBeLessThan(64 * 1024);
    expect(m.events.length).toBeLessThan(expected.length);
    m.resume();
    await m.waitFor(() => m.events.length === expected.length, 20_000, 'every event');
    expect(m.violations).toEqual([]);
    expect(m.events.map((e) => (e.command === 'callState' ? `${e.callId} ${e.state}` : e.command))).toEqual(expected);
  });
});
