// Bad implementations never hang or crash the suite: a peer that closes at
// once, answers garbage, stalls or floods gives failed cases with a reason
// that names what happened, each within its deadline.
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTOR_CASES, ConnectorContext, ConnectorListener, MANAGER_CASES, ManagerContext, runSuite } from '../../src/conformance/index.ts';
import { hostileConnector, hostileManager, type Behaviour } from './support/hostile.ts';

const REASON: Record<Behaviour, RegExp> = {
  close: /closed/,
  garbage: /not a protocol message|bad frame/,
  stall: /no .* within|timed out/,
  flood: /flood/,
};

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('the suite against hostile peers', () => {
  for (const b of ['close', 'garbage', 'stall', 'flood'] as const) {
    it(`a manager that answers with "${b}" fails every case run, with a reason, in bounded time`, async () => {
      const m = await hostileManager(b);
      closers.push(() => m.close());
      const ctx = new ManagerContext({
        tcpHost: '127.0.0.1', tcpPort: m.tcpPort, wsUrl: m.wsUrl, connectorKey: 'k', connectorHost: 'conformance', lines: ['701'],
        replyMs: 500, quietMs: 200, keepAliveGraceSeconds: 0.5,
      });
      const started = performance.now();
      const report = await runSuite('manager', 'hostile', MANAGER_CASES, ctx, { only: ['M-REG-01', 'M-REG-05', 'M-FRM-01', 'M-HS-01', 'M-HS-02', 'M-FRM-07'], caseTimeoutMs: 3_000 });
      const elapsed = performance.now() - started;
      expect(report.passed).toBe(false);
      expect(report.results).toHaveLength(6);
      for (const r of report.results) {
        expect(r.status, `${r.id}: ${r.reason}`).toBe('fail');
        expect(r.reason, r.id).toMatch(REASON[b]);
      }
      expect(elapsed).toBeLessThan(6 * 3_000 + 2_000);
    }, 30_000);

    it(`a connector that answers with "${b}" fails the cases run, with a reason`, async () => {
      const listener = await ConnectorListener.listen(0);
      closers.push(() => listener.close());
      const peer = hostileConnector(listener.port, b);
      closers.push(() => peer.stop());
      const ctx = new ConnectorContext({ acceptMs: 1_000, replyMs: 500, keepAliveInterval: 1, hookTimeoutMs: 500 }, listener);
      const report = await runSuite('connector', 'hostile', CONNECTOR_CASES, ctx, { only: ['C-REG-01', 'C-CMD-02', 'C-KA-01'], caseTimeoutMs: 3_000 });
      expect(report.passed).toBe(false);
      for (const r of report.results) {
        expect(r.status, `${r.id}: ${r.reason}`).toBe('fail');
        expect(r.reason, r.id).toMatch(b === 'flood' ? /flood|not register|keepalive/ : REASON[b]);
      }
    }, 30_000);
  }
});
