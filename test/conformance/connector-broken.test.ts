// Deliberately broken connectors: our real connector behind a relay that
// breaks one promise each (reused sequence numbers, skipped replay, silence,
// …). The suite must fail the cases of that promise, and every MUST group
// must be failed by at least one variant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTOR_CASES, ConnectorContext, ConnectorListener, runSuite } from '../../src/conformance/index.ts';
import type { TapiMessage } from '../../src/protocol/index.ts';
import { CONNECTOR_KEY, startConnectorWorld, type ConnectorWorld } from './support/connector-world.ts';
import { freeTapiPort } from '../support/ports.ts';
import { tcpRelay, type Relay, type Rule, type Rules } from './support/proxy.ts';

let listener: ConnectorListener;
let relay: Relay;
let world: ConnectorWorld;
const live: Rules = {};
const failedGroups = new Set<string>();

beforeAll(async () => {
  listener = await ConnectorListener.listen(0);
  relay = await tcpRelay(listener.port, live, undefined, { live: true, port: await freeTapiPort() });
  world = await startConnectorWorld(relay.port);
}, 60_000);

afterAll(async () => {
  await world?.stop();
  await relay?.close();
  await listener?.close();
});

const drop = (test: (m: TapiMessage) => boolean): Rule => (m) => (test(m) ? [] : [m]);
const isEvent = (m: TapiMessage): boolean => 'seq' in m && m.command !== 'ack' && !(m.command === 'callState' && m.snapshot);

interface Variant {
  name: string;
  up: () => Rule;
  /** Suite → connector, for a connector that mishandles what the manager says. */
  down?: () => Rule;
  only: string[];
  fails: Record<string, RegExp>;
}

const VARIANTS: Variant[] = [
  {
    name: 'a connector that reuses sequence numbers',
    up: () => (m) => [isEvent(m) ? { ...m, seq: (m as { seq: number }).seq - ((m as { seq: number }).seq % 2) } as TapiMessage : m],
    only: ['C-EVT-02'],
    fails: { 'C-EVT-02': /does not follow/ },
  },
  {
    name: 'a connector that restarts its sequence on every connection',
    up: () => {
      let n = 0;
      let lastRegister: unknown;
      return (m) => {
        if (m.command === 'register') {
          if (m !== lastRegister) n = 0;
          lastRegister = m;
          return [m];
        }
        return [isEvent(m) ? { ...m, seq: (n += 1) } as TapiMessage : m];
      };
    },
    only: ['C-RPL-02'],
    fails: { 'C-RPL-02': /reuses a sequence number|sent again/ },
  },
  {
    name: 'a connector that skips the replay after a reconnect',
    up: () => {
      let high = -1;
      let connectionHigh = -1;
      return (m) => {
        if (m.command === 'register') {
          high = Math.max(high, connectionHigh);
          return [m];
        }
        if (!isEvent(m)) return [m];
        const seq = (m as { seq: number }).seq;
        if (seq <= high) return [];
        connectionHigh = Math.max(connectionHigh, seq);
        return [m];
      };
    },
    only: ['C-RPL-01'],
    fails: { 'C-RPL-01': /replay|not sent again/ },
  },
  {
    name: 'a connector that speaks protocol 2.0',
    up: () => (m) => [m.command === 'register' ? { ...m, protocolVersion: '2.0' } : m],
    only: ['C-REG-01'],
    fails: { 'C-REG-01': /protocol 2\.0/ },
  },
  {
    name: 'a connector that never sends its line list',
    up: () => drop((m) => m.command === 'lines'),
    only: ['C-REG-02'],
    fails: { 'C-REG-02': /lines/ },
  },
  {
    name: 'a connector that reports calls on lines it never listed',
    up: () => (m) => [m.command === 'callState' ? { ...m, line: `ghost-${m.line}` } : m],
    only: ['C-EVT-01'],
    fails: { 'C-EVT-01': /callState\(offering\)/ },
  },
  {
    name: 'a connector that answers no command',
    up: () => drop((m) => m.command === 'result'),
    only: ['C-CMD-01', 'C-CMD-02', 'C-CMD-04'],
    fails: { 'C-CMD-01': /no result/, 'C-CMD-02': /no result/, 'C-CMD-04': /no result/ },
  },
  {
    name: 'a connector that does not name the call its makeCall placed (1.1)',
    up: () => (m) => [m.command === 'result' ? (({ callId: _c, ...rest }) => rest)(m) : m],
    only: ['C-CMD-07'],
    fails: { 'C-CMD-07': /names no call/ },
  },
  {
    name: 'a connector that names another call than the one its makeCall placed',
    up: () => (m) => [m.command === 'result' && m.callId !== undefined ? { ...m, callId: `${m.callId}-other` } : m],
    only: ['C-CMD-07'],
    fails: { 'C-CMD-07': /no callState of call/ },
  },
  {
    name: 'a connector that answers no bad message',
    up: () => drop((m) => m.command === 'error'),
    only: ['C-CMD-05', 'C-CMD-06'],
    fails: { 'C-CMD-05': /unknown-command/, 'C-CMD-06': /malformed-xml/ },
  },
  {
    name: 'a connector that reports every call control as done',
    up: () => (m) => [m.command === 'result' && !m.ok ? { channel: 'connector', command: 'result', requestId: m.requestId, ok: true } : m],
    only: ['C-CMD-03', 'C-CC-02'],
    fails: { 'C-CMD-03': /drop of an unknown call was reported ok/, 'C-CC-02': /reported ok/ },
  },
  {
    name: 'a connector that does not say which call controls its lines offer',
    up: () => (m) => [m.command === 'lines' ? { ...m, lines: m.lines.map(({ controls: _c, ...l }) => l) } : m],
    only: ['C-CC-01'],
    fails: { 'C-CC-01': /do not say which call controls they offer/ },
  },
  {
    name: 'a connector whose synced miscounts the snapshot',
    up: () => (m) => [m.command === 'synced' ? { ...m, activeCalls: (m.activeCalls ?? 0) + 1 } : m],
    only: ['C-REG-03'],
    fails: { 'C-REG-03': /synced says \d+ active calls/ },
  },
  {
    name: 'a connector that does not take a higher minor version',
    up: () => (m) => [m],
    // It ignores a `registered` of 1.9 as if it were unreadable.
    down: () => drop((m) => m.command === 'registered' && m.protocolVersion === '1.9'),
    only: ['C-REG-04'],
    fails: { 'C-REG-04': /lines/ },
  },
  {
    name: 'a connector that takes any major version',
    up: () => (m) => [m],
    down: () => (m) => [m.command === 'registered' && m.protocolVersion === '2.0' ? { ...m, protocolVersion: '1.0' } : m],
    only: ['C-REG-05'],
    fails: { 'C-REG-05': /unsupported-version/ },
  },
  {
    name: 'a connector that claims nothing when it reconnects',
    up: () => (m) => [m.command === 'register' ? (({ lastAckedSeq: _l, ...rest }) => rest)(m) : m],
    only: ['C-EVT-01', 'C-RPL-03'],
    fails: { 'C-RPL-03': /register claims lastAckedSeq \(none\)/ },
  },
  {
    name: 'a connector that never keeps alive',
    up: () => drop((m) => m.command === 'keepalive'),
    only: ['C-KA-01'],
    fails: { 'C-KA-01': /no keepalive/ },
  },
];

describe('conformance connector catches broken connectors', () => {
  for (const v of VARIANTS) {
    it(v.name, async () => {
      live.up = v.up();
      if (v.down) live.down = v.down();
      relay.reset?.();
      await new Promise((r) => setTimeout(r, 100));
      try {
        const ctx = new ConnectorContext({ connectorKey: CONNECTOR_KEY, onRing: world.ring, acceptMs: 5_000, replyMs: 1_500, keepAliveInterval: 1, hookTimeoutMs: 2_000 }, listener);
        const report = await runSuite('connector', 'broken', CONNECTOR_CASES, ctx, { only: v.only, caseTimeoutMs: 10_000 });
        // SHOULD cases are reported without deciding the verdict (spec/conformance.md).
        if (Object.keys(v.fails).some((id) => CONNECTOR_CASES.find((c) => c.id === id)?.level === 'MUST')) expect(report.passed).toBe(false);
        for (const [id, reason] of Object.entries(v.fails)) {
          const r = report.results.find((x) => x.id === id);
          expect(r?.status, `${id}: ${r?.reason ?? 'not run'}`).toBe('fail');
          expect(r?.reason).toMatch(reason);
          if (r?.level === 'MUST') failedGroups.add(r.group);
        }
      } finally {
        delete live.up;
        delete live.down;
      }
    }, 60_000);
  }

  it('every MUST group is failed by at least one broken variant', () => {
    const groups = new Set(CONNECTOR_CASES.filter((c) => c.level === 'MUST').map((c) => c.group));
    expect([...groups].filter((g) => !failedGroups.has(g))).toEqual([]);
  });

  it('every case is shown to fail on some broken connector', () => {
    const shown = new Set(VARIANTS.flatMap((v) => Object.keys(v.fails)));
    expect(CONNECTOR_CASES.map((c) => c.id).filter((id) => !shown.has(id))).toEqual([]);
  });
});
