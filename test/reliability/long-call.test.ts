// Issue 11, break 1: every active call was force-ended within about a minute,
// because the connector registry stamped events with performance.now() while
// the silence sweep compared them with Date.now(). Through the production
// composition (`crm-tapi manager` as a child process, the sweep shortened by
// the CallSweepInterval key): a call stays connected for many sweep periods
// and is neither ended nor duplicated; the real hang-up then writes exactly
// one call log with the real end time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../simulator/dataverse/index.ts';
import { createSchema } from '../../src/dataverse/schema.ts';
import { E2eClient } from '../e2e/support/client.ts';
import { until } from '../e2e/support/wait.ts';
import { startBridge, type Bridge, type Crm, type ManagerProcess, type PbxConnector } from './support/processes.ts';

const SWEEP_SECONDS = 0.2;
const HOLD_MS = 3_000; // fifteen sweep periods
const log = createSchema().callLog;

let bridge: Bridge;
let dv: SimulatedDataverse;
let manager: ManagerProcess;
let connector: PbxConnector;
let crm: Crm;

beforeAll(async () => {
  bridge = await startBridge({ managerKeys: { CallSweepInterval: SWEEP_SECONDS }, lines: '20-21', agentLines: ['20'] });
  ({ dv, manager, connector, crm } = bridge);
}, 300_000);

afterAll(async () => {
  await bridge?.close();
});

describe('a long call through the production composition (break 1)', () => {
  it('stays connected across many sweep periods: not ended, not duplicated; one call log at the real hang-up', async () => {
    const anna = await E2eClient.open(manager.wsUrl, 'anna', new URL(dv.url).origin);
    try {
      const nonce = await anna.connect();
      await anna.prove(await crm.user('anna'), nonce);
      await until(() => anna.of('welcome').some((w) => w.lines.some((l) => l.line === connector.line('20'))), 'anna to be welcomed with line 20', 60_000);

      const call = connector.pbx.incoming({ number: '+49 30 1234567' }, '20');
      const callId = call.callIds[0] as string;
      const callKey = connector.callKey(callId);
      await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'offering', 30_000);
      connector.pbx.answer(callId);
      await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'connected', 30_000);

      await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
      await anna.barrier();
      expect(anna.notifications(callKey).map((n) => n.state)).toEqual(['offering', 'connected']);
      expect(manager.lines('call had no event for too long')).toEqual([]);
      expect(await crm.admin.list(log.entitySet, `$filter=${log.fields.callKey} eq '${callKey}'`)).toEqual([]);

      const hungUpAt = Date.now();
      connector.pbx.drop(callId);
      await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle', 30_000);
      await until(async () => (await crm.admin.list(log.entitySet, `$filter=${log.fields.callKey} eq '${callKey}'`)).length > 0, 'the call log', 60_000, 100);
      await new Promise((resolve) => setTimeout(resolve, 5 * SWEEP_SECONDS * 1000));
      const entries = await crm.admin.list(log.entitySet, `$filter=${log.fields.callKey} eq '${callKey}'`);
      expect(entries).toHaveLength(1);
      const end = Date.parse(entries[0]?.[log.fields.end] as string);
      expect(end).toBeGreaterThanOrEqual(hungUpAt - 1_000);
      expect(entries[0]?.[log.fields.missed]).toBe(false);
      const states = anna.notifications(callKey).map((n) => n.state);
      expect(states.filter((s) => s === 'offering')).toHaveLength(1);
      expect(states.filter((s) => s === 'connected')).toHaveLength(1);
    } finally {
      await anna.close();
    }
  }, 240_000);
});
