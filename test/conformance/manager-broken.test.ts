// Deliberately broken managers: our real manager behind a relay that breaks
// one promise of the protocol each. The suite must fail the cases of that
// promise (and every MUST group must be failed by at least one variant),
// with a reason that says what went wrong.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGER_CASES, ManagerContext, runSuite, type ManagerTarget, type Report } from '../../src/conformance/index.ts';
import { CALL_CONTROLS, type TapiMessage } from '../../src/protocol/index.ts';
import { CONNECTOR_KEY, startManagerWorld, type ManagerWorld } from './support/manager-world.ts';
import { tcpRelay, wsRelay, type Relay, type Rules } from './support/proxy.ts';

let world: ManagerWorld;
const failedGroups = new Set<string>();

beforeAll(async () => {
  world = await startManagerWorld();
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

interface Variant {
  name: string;
  tcp?: (ctx: ManagerContext) => Rules;
  ws?: (ctx: ManagerContext) => Rules;
  only: string[];
  /** Cases that must fail, with a word of the reason. */
  fails: Record<string, RegExp>;
}

const drop = (test: (m: TapiMessage) => boolean) => (m: TapiMessage): TapiMessage[] => (test(m) ? [] : [m]);

const VARIANTS: Variant[] = [
  {
    name: 'a manager that acknowledges nothing',
    tcp: () => ({ down: drop((m) => m.command === 'ack') }),
    only: ['M-REG-05', 'M-REG-06', 'M-FRM-01'],
    fails: { 'M-REG-05': /no ack/, 'M-REG-06': /no ack/, 'M-FRM-01': /no ack/ },
  },
  {
    name: 'a manager that accepts any connector key',
    tcp: () => ({ up: (m) => [m.command === 'register' ? { ...m, connectorKey: CONNECTOR_KEY } : m] }),
    only: ['M-REG-02'],
    fails: { 'M-REG-02': /registered/ },
  },
  {
    name: 'a manager that answers no bad message',
    tcp: () => ({ down: drop((m) => m.command === 'error') }),
    ws: () => ({ down: drop((m) => m.command === 'error') }),
    only: ['M-FRM-01', 'M-FRM-02', 'M-FRM-07'],
    fails: { 'M-FRM-01': /malformed-xml/, 'M-FRM-02': /unknown-command/, 'M-FRM-07': /unknown-command/ },
  },
  {
    name: 'a manager that never drops a silent connector',
    tcp: () => ({
      onConnection(toTarget, closed) {
        const timer = setInterval(() => toTarget({ channel: 'connector', command: 'keepalive' }), 300);
        void closed.then(() => clearInterval(timer));
      },
    }),
    only: ['M-KA-01'],
    fails: { 'M-KA-01': /kept a connector that sent nothing/ },
  },
  {
    name: 'a manager that forgets what it acknowledged',
    tcp: () => ({ down: (m) => [m.command === 'registered' ? { ...m, lastAckedSeq: 0 } : m] }),
    only: ['M-RPL-01'],
    fails: { 'M-RPL-01': /lastAckedSeq|ack/ },
  },
  {
    name: 'a manager that skips the replay of missed calls',
    ws: () => ({ down: drop((m) => m.command === 'callNotification' && m.replayed) }),
    only: ['M-RPL-03'],
    fails: { 'M-RPL-03': /missed call/ },
  },
  {
    name: 'a manager that only knows the v8 handshake on intincall',
    ws: () => ({ up: drop((m) => m.command === 'connect' && (m.channel === 'outcall' || m.userid === undefined)) }),
    only: ['M-HS-01', 'M-HS-02', 'M-HS-03'],
    fails: { 'M-HS-01': /challenge/, 'M-HS-03': /challenge/ },
  },
  {
    name: 'a manager that knows only the lower-case spellings',
    // The manual's INTINCALL / MANUELL / braced upper-case id go unanswered.
    ws: () => ({ upRaw: (text) => /name="INTINCALL"|MANUELL|\{[0-9A-F-]{36}\}/.test(text) }),
    only: ['M-HS-02'],
    fails: { 'M-HS-02': /`challenge` after a v8 connect with the manual's spellings/ },
  },
  {
    name: 'a manager that welcomes a failed proof',
    ws: () => ({
      down: (m) => [m.command === 'error' && m.channel === 'intincall' ? {
        channel: 'intincall', command: 'welcome', userId: '00000000-0000-4000-8000-000000000001', userName: 'anyone', admin: false, protocolVersion: '1.0', heartbeatInterval: 30, lines: [],
      } : m],
    }),
    only: ['M-HS-04', 'M-HS-06'],
    fails: { 'M-HS-04': /welcomed|error/, 'M-HS-06': /error|welcome/ },
  },
  {
    name: 'a manager that leaks lines and dials on them',
    ws: (ctx) => ({
      down: (m) => [m.command === 'welcome' && m.lines[0] ? { ...m, lines: [...m.lines, { ...m.lines[0], line: ctx.fullLine(ctx.unassignedLine) }] } : m],
      up: (m) => [m.command === 'dial' ? { ...m, line: ctx.fullLine('701') } : m],
    }),
    only: ['M-ENT-01', 'M-ENT-03'],
    fails: { 'M-ENT-01': /welcome lists/, 'M-ENT-03': /makeCall|accepted|dialResult/ },
  },
  {
    name: 'a manager that loses call states and leading zeros',
    ws: () => ({
      down: (m) => (m.command === 'callNotification' ? (m.state === 'onhold' ? [] : [{ ...m, number: m.number.replace(/^0+/, '') }]) : [m]),
    }),
    only: ['M-CALL-01', 'M-CALL-02'],
    fails: { 'M-CALL-01': /callNotification\(offering\)/, 'M-CALL-02': /callNotification/ },
  },
  {
    name: 'a manager that never reports command results',
    ws: () => ({ down: drop((m) => m.command === 'dialResult' || m.command === 'callControlResult') }),
    only: ['M-CMD-01', 'M-CMD-03'],
    fails: { 'M-CMD-01': /no dialResult/, 'M-CMD-03': /no callControlResult/ },
  },
  // Call control (§7.7).
  {
    name: 'a manager that does not pass the lines\' controls on to the client',
    ws: () => ({ down: (m) => [m.command === 'welcome' ? { ...m, lines: m.lines.map(({ controls: _c, ...l }) => l) } : m] }),
    only: ['M-CC-01', 'M-CC-02'],
    fails: { 'M-CC-01': /welcome lists controls \(none\)/, 'M-CC-02': /lists controls "\(none\)"/ },
  },
  {
    name: 'a manager that forwards controls a line does not offer, and calls the refusal a PBX error',
    tcp: () => ({ up: (m) => [m.command === 'lines' ? { ...m, lines: m.lines.map((l) => ({ ...l, controls: [...CALL_CONTROLS] })) } : m] }),
    ws: () => ({ down: (m) => [m.command === 'callControlResult' && m.error?.code === 'control-not-supported' ? { ...m, error: { ...m.error, code: 'pbx-refused' } } : m] }),
    only: ['M-CC-09', 'M-CC-10'],
    fails: { 'M-CC-09': /reached the connector as hold/, 'M-CC-10': /as pbx-refused, not control-not-supported/ },
  },
  {
    name: 'a manager that sends transfer targets past the dialing rules',
    ...(() => {
      let typed = '';
      return {
        ws: (): Rules => ({ up: (m) => [m.command === 'callControl' && m.target !== undefined ? ((typed = m.target), { ...m, target: '26' }) : m] }),
        tcp: (): Rules => ({ down: (m) => [(m.command === 'transfer' || m.command === 'consult') && typed !== '' ? { ...m, dialString: typed } : m] }),
      };
    })(),
    only: ['M-CC-04', 'M-CC-11'],
    fails: { 'M-CC-04': /not the target converted/, 'M-CC-11': /reached the connector as transfer/ },
  },
  {
    name: 'a manager that lets a user control a call on someone else\'s line',
    // It believes every call is on the user's line 701.
    tcp: (ctx) => ({ up: (m) => [m.command === 'callState' && m.line === ctx.unassignedLine ? { ...m, line: '701' } : m] }),
    only: ['M-CC-08'],
    fails: { 'M-CC-08': /reached the connector as hold/ },
  },
  {
    name: 'a manager that loses consultationOf and never carries out hold or drop',
    tcp: () => ({ down: drop((m) => m.command === 'hold' || m.command === 'drop') }),
    ws: () => ({ down: (m) => [m.command === 'callNotification' ? (({ consultationOf: _c, ...rest }) => rest)(m) : m] }),
    only: ['M-CC-03', 'M-CC-05', 'M-CC-12'],
    fails: { 'M-CC-03': /no `hold` on the connector/, 'M-CC-05': /consultationOf \(none\)/, 'M-CC-12': /no `drop` on the connector/ },
  },
  {
    name: 'a manager that completes a consultation the agent cancelled and forgets conferences',
    tcp: () => ({ down: (m) => [m.command === 'cancelConsult' ? { ...m, command: 'completeTransfer' } : m] }),
    ws: () => ({ down: (m) => [m.command === 'callNotification' && m.endedReason === 'conferenced' ? { ...m, endedReason: 'other' } : m] }),
    only: ['M-CC-06', 'M-CC-07'],
    fails: { 'M-CC-06': /no `cancelConsult` on the connector/, 'M-CC-07': /endedReason other, not conferenced/ },
  },
  // The cases no variant above fails.
  {
    name: 'a manager that announces another major version',
    tcp: () => ({ down: (m) => [m.command === 'registered' ? { ...m, protocolVersion: '2.0' } : m] }),
    ws: () => ({ down: (m) => [m.command === 'welcome' ? { ...m, protocolVersion: '2.0' } : m] }),
    only: ['M-REG-01', 'M-HS-05'],
    fails: { 'M-REG-01': /`registered` announces protocol 2\.0/, 'M-HS-05': /`welcome` announces protocol 2\.0/ },
  },
  {
    name: 'a manager that reads protocol versions wrongly',
    // It takes 2.0 for 1.0 and 1.9 for 2.0.
    tcp: () => ({ up: (m) => [m.command === 'register' && m.protocolVersion !== '1.2' ? { ...m, protocolVersion: m.protocolVersion === '2.0' ? '1.0' : '2.0' } : m] }),
    only: ['M-REG-03', 'M-REG-04'],
    fails: { 'M-REG-03': /accepted protocol 2\.0/, 'M-REG-04': /closed the connection; received: error\(unsupported-version\)/ },
  },
  {
    name: 'a manager that drops connectors although they keep alive',
    tcp: () => ({ up: drop((m) => m.command === 'keepalive') }),
    only: ['M-KA-02'],
    fails: { 'M-KA-02': /closed a connector that sent keepalive/ },
  },
  {
    name: 'a manager that calls a DOCTYPE malformed and answers errors with errors',
    tcp: () => ({
      up: (m, { back }) => {
        if (m.command === 'error') back({ channel: 'connector', command: 'error', code: 'unexpected-message', message: 'an error about an error' });
        return [m];
      },
      down: (m) => [m.command === 'error' && m.code === 'doctype-forbidden' ? { ...m, code: 'malformed-xml' } : m],
    }),
    only: ['M-FRM-03', 'M-FRM-04'],
    fails: { 'M-FRM-03': /doctype-forbidden/, 'M-FRM-04': /answered an error message/ },
  },
  {
    name: 'a manager that closes over-long and binary WebSocket messages with a plain close',
    ws: () => ({ closeCode: () => 1000 }),
    only: ['M-FRM-05', 'M-FRM-06'],
    fails: { 'M-FRM-05': /closed with 1000, not 1009/, 'M-FRM-06': /closed with 1000, not 1003/ },
  },
  {
    name: 'a manager that trusts a claimed user id',
    // It proves the claim itself, so the unproven client is served as the suite's user.
    ws: (ctx) => {
      let claimed = false;
      return {
        up: (m) => {
          if (m.command === 'connect') claimed = m.userid !== undefined;
          return [m];
        },
        down: (m, { back }) => {
          if (m.command === 'challenge' && claimed && ctx.target.prover !== undefined) {
            const tab = `trusted-${m.nonce.slice(0, 8)}`;
            void ctx.target.prover.sessionRecord(m.nonce, tab).then((sessionRecordId) => back({ channel: 'intincall', command: 'prove', nonce: m.nonce, sessionRecordId, clientInstanceId: tab }));
          }
          return [m];
        },
      };
    },
    only: ['M-HS-07'],
    fails: { 'M-HS-07': /an unproven client received a call notification/ },
  },
  {
    name: 'a manager that shows a user the calls of a line nobody is entitled to',
    ...(() => {
      const foreign = new Set<string>();
      return {
        // It routes the unassigned line's calls as if they rang on the user's line 701 …
        tcp: (ctx: ManagerContext): Rules => ({
          up: (m) => {
            if (m.command !== 'callState' || m.line !== ctx.unassignedLine) return [m];
            if (m.callerNumber !== undefined) foreign.add(m.callerNumber);
            return [{ ...m, line: '701' }];
          },
        }),
        // … and names the real line in the notification.
        ws: (ctx: ManagerContext): Rules => ({ down: (m) => [m.command === 'callNotification' && foreign.has(m.number) ? { ...m, line: ctx.fullLine(ctx.unassignedLine) } : m] }),
      };
    })(),
    only: ['M-ENT-02'],
    fails: { 'M-ENT-02': /notification\(s\) of .*, a line it is not entitled to/ },
  },
  {
    name: 'a manager that shows outgoing calls as incoming',
    ws: () => ({ down: (m) => [m.command === 'callNotification' ? { ...m, direction: 'inbound' } : m] }),
    only: ['M-CALL-03'],
    fails: { 'M-CALL-03': /not direction outbound/ },
  },
  {
    name: 'a manager that gives every notification a new phoneCallId',
    ws: () => ({ down: (m) => [m.command === 'callNotification' ? { ...m, phoneCallId: randomUUID() } : m] }),
    only: ['M-CALL-04'],
    fails: { 'M-CALL-04': /name \d+ phoneCallIds/ },
  },
  {
    name: 'a manager that rings twice',
    ws: () => ({ down: (m) => (m.command === 'callNotification' && m.state === 'offering' ? [m, m] : [m]) }),
    only: ['M-CALL-05', 'M-RPL-02'],
    fails: { 'M-CALL-05': /rang again/, 'M-RPL-02': /rang again/ },
  },
  {
    name: 'a manager that reports a refused dial as done',
    ws: () => ({ down: (m) => [m.command === 'dialResult' && !m.ok ? { channel: m.channel, command: 'dialResult', requestId: m.requestId, ok: true } : m] }),
    only: ['M-CMD-02'],
    fails: { 'M-CMD-02': /reported a refused makeCall as a successful dial/ },
  },
  {
    name: 'a manager that does not hear synced',
    tcp: () => ({ up: drop((m) => m.command === 'synced') }),
    only: ['M-RPL-04'],
    fails: { 'M-RPL-04': /disconnected notification for the call the connector no longer reports/ },
  },
];

async function runBroken(v: Variant): Promise<Report> {
  const relays: Relay[] = [];
  try {
    const probe = new ManagerContext(world.target);
    const tcp = v.tcp ? await tcpRelay(world.target.tcpPort, v.tcp(probe)) : undefined;
    const ws = v.ws ? await wsRelay(world.target.wsUrl, v.ws(probe)) : undefined;
    for (const r of [tcp, ws]) if (r) relays.push(r);
    const target: ManagerTarget = {
      ...world.target, replyMs: 1_000,
      ...(tcp ? { tcpPort: tcp.port } : {}), ...(ws ? { wsUrl: `ws://127.0.0.1:${ws.port}/` } : {}),
    };
    const ctx = Object.assign(new ManagerContext(target), { unassignedLine: probe.unassignedLine, runId: probe.runId });
    return await runSuite('manager', 'broken', MANAGER_CASES, ctx, { only: v.only, caseTimeoutMs: 10_000 });
  } finally {
    for (const r of relays) await r.close();
  }
}

describe('conformance manager catches broken managers', () => {
  for (const v of VARIANTS) {
    it(v.name, async () => {
      const report = await runBroken(v);
      // SHOULD cases are reported without deciding the verdict (spec/conformance.md).
      if (Object.keys(v.fails).some((id) => MANAGER_CASES.find((c) => c.id === id)?.level === 'MUST')) expect(report.passed).toBe(false);
      for (const [id, reason] of Object.entries(v.fails)) {
        const r = report.results.find((x) => x.id === id);
        expect(r?.status, `${id}: ${r?.reason ?? 'not run'}`).toBe('fail');
        expect(r?.reason).toMatch(reason);
        if (r?.level === 'MUST') failedGroups.add(r.group);
      }
    }, 60_000);
  }

  it('every MUST group is failed by at least one broken variant', () => {
    const groups = new Set(MANAGER_CASES.filter((c) => c.level === 'MUST').map((c) => c.group));
    expect([...groups].filter((g) => !failedGroups.has(g))).toEqual([]);
  });

  it('every case is shown to fail on some broken manager', () => {
    const shown = new Set(VARIANTS.flatMap((v) => Object.keys(v.fails)));
    expect(MANAGER_CASES.map((c) => c.id).filter((id) => !shown.has(id))).toEqual([]);
  });
});
