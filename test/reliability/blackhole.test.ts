// Issue 11, break 6 and fault case 14: after a blackhole between connector and
// manager and two quick reconnects, a client saw `offering` twice. Each state
// change of a call must reach a client once. Through `crm-tapi manager` (child
// process), the fault proxy between a real connector and the manager, and a
// proven WebSocket client: per call, Jepsen-style accounting of the states the
// client got (offering, connected for answered calls, idle) and of the CRM's
// call log entries — lost, duplicated, unexpected all 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../simulator/dataverse/index.ts';
import { E2eClient } from '../e2e/support/client.ts';
import { until } from '../e2e/support/wait.ts';
import { account, counts } from './support/accounting.ts';
import type { FaultProxy } from './support/fault-proxy.ts';
import { startBridge, type Bridge, type Crm, type ManagerProcess, type PbxConnector } from './support/processes.ts';

/** Stands for the issue's 90 s: longer than the connector's ack timeout, so it gives up and reconnects into the void. */
const BLACKHOLE_MS = Number(process.env.RELIABILITY_BLACKHOLE_MS ?? 4_000);
const LINES = ['20', '21', '22', '23', '24', '25', '26', '27', '28', '29'];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let bridge: Bridge;
let dv: SimulatedDataverse;
let manager: ManagerProcess;
let proxy: FaultProxy;
let connector: PbxConnector;
let crm: Crm;

beforeAll(async () => {
  bridge = await startBridge({ managerKeys: { ConnectionKeepAliveIntervall: 1 }, agentLines: LINES, proxy: true, serviceOptions: { ackTimeoutMs: 1_500, handshakeTimeoutMs: 1_000 } });
  ({ dv, manager, connector, crm } = bridge);
  proxy = bridge.proxy as FaultProxy;
}, 300_000);

afterAll(async () => {
  await bridge?.close();
});

describe('blackhole, then two quick reconnects (break 6, case 14)', () => {
  it('every state change of every call reaches the client once; every call has one call log', async () => {
    const anna = await E2eClient.open(manager.wsUrl, 'anna', new URL(dv.url).origin);
    try {
      await anna.prove(await crm.user('anna'), await anna.connect());
      await until(() => anna.of('welcome').some((w) => w.lines.length === LINES.length), 'anna to be welcomed with her ten lines', 60_000);
      const pbx = connector.pbx;
      // rangUnseen: rang and was answered while the manager heard nothing; after the reconnect the snapshot
      // (sent first, spec/protocol.md §7.5) shows it connected, so a later `offering` would be a step back.
      const calls: { callKey: string; callId: string; answered: boolean; answeredUnseen?: boolean }[] = [];
      const ring = (ext: string, n: number): string => {
        const callId = pbx.incoming({ number: `+49 30 777${String(n).padStart(4, '0')}` }, ext).callIds[0] as string;
        calls.push({ callKey: connector.callKey(callId), callId, answered: false });
        return callId;
      };
      const answer = (callId: string): void => {
        pbx.answer(callId);
        const c = calls.find((x) => x.callId === callId);
        if (c) c.answered = true;
      };

      // Before: six calls ring, three are answered; the client sees them.
      const before = LINES.slice(0, 6).map((ext, i) => ring(ext, i));
      for (const id of before.slice(0, 3)) answer(id);
      await until(() => before.every((id) => anna.notifications(connector.callKey(id)).length > 0), 'the client to see the first calls', 30_000);

      // The blackhole: events pile up unacknowledged; the connector gives up on the link and reconnects into the void.
      proxy.blackhole();
      const during = LINES.slice(6).map((ext, i) => ring(ext, 10 + i));
      answer(before[3] as string);
      answer(during[0] as string);
      (calls.find((c) => c.callId === during[0]) ?? { answeredUnseen: false }).answeredUnseen = true;
      pbx.drop(before[0] as string);
      pbx.drop(during[1] as string);
      await sleep(BLACKHOLE_MS);
      const acceptedBefore = proxy.accepted;
      // Two quick reconnects: the link comes back, breaks again at once, comes back.
      proxy.restore();
      proxy.reconnect();
      await sleep(150);
      const acceptedBeforeSecond = proxy.accepted;
      proxy.reconnect();
      // "After" starts once the connector is registered on a link opened after the second break. Right
      // after that break its link can still read `ready` (the link it had before, whose close it has not
      // seen yet): a call answered then was rung and answered while the manager heard nothing, so it
      // rightly shows `connected` without an `offering` — what the test would count as lost (seen in CI).
      await until(() => proxy.accepted > acceptedBeforeSecond, 'the connector to connect again after the second break', 60_000, 10);
      await connector.ready();
      expect(proxy.accepted).toBeGreaterThan(acceptedBefore);

      // After: the rest is answered or not, then every call ends.
      answer(before[4] as string);
      answer(during[2] as string);
      await sleep(300);
      for (const c of calls) {
        try {
          pbx.drop(c.callId);
        } catch {
          // Ended already.
        }
      }
      await until(() => calls.every((c) => anna.notifications(c.callKey).some((n) => n.state === 'idle')), 'idle of every call at the client', 60_000);
      await sleep(500);
      await anna.barrier();

      const expected = calls.flatMap((c) => [...(c.answeredUnseen ? [] : [`${c.callKey}|offering`]), ...(c.answered ? [`${c.callKey}|connected`] : []), `${c.callKey}|idle`]);
      const keys = new Set(calls.map((c) => c.callKey));
      const observed = anna.notifications().filter((n) => keys.has(n.callKey) && ['offering', 'connected', 'idle'].includes(n.state)).map((n) => `${n.callKey}|${n.state}`);
      const client = account(expected, observed);
      const trail = (key: string): string => anna.notifications(key).map((n) => n.state).join(',');
      // On failure, each lost or duplicated state with the whole trail its call showed the client, and the call's role.
      const role = (key: string): string => {
        const i = calls.findIndex((x) => x.callKey === key);
        const c = calls[i];
        if (c === undefined) return 'unknown';
        return `${i < before.length ? `before[${i}]` : `during[${i - before.length}]`}${c.answered ? ' answered' : ''}${c.answeredUnseen ? ' unseen' : ''}`;
      };
      const explain = (state: string): string => {
        const key = state.split('|')[0] as string;
        return `${state} (${role(key)}): ${trail(key)}`;
      };
      expect({ ...counts(client), lostTrails: client.lost.map(explain), duplicatedTrails: client.duplicated.map(explain) }).toEqual({ lost: 0, duplicated: 0, unexpected: 0, lostTrails: [], duplicatedTrails: [] });

      await until(async () => account(calls.map((c) => c.callKey), (await crm.callLogs()).map((r) => crm.callKeyOf(r))).lost.length === 0, 'every call log', 60_000, 200);
      expect(counts(account(calls.map((c) => c.callKey), (await crm.callLogs()).map((r) => crm.callKeyOf(r))))).toEqual({ lost: 0, duplicated: 0, unexpected: 0 });
    } finally {
      await anna.close();
    }
  }, 240_000);
});
