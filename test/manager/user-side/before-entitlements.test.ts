// A restarted manager opens its TAPI port before the user side has read the
// line entitlements, and the connector replays what it buffered at once. The
// calls of that replay must still reach their users: held until the first
// read, then routed in order — kept as missed, recorded with the agent.
import { afterEach, describe, expect, it } from 'vitest';
import { lookupValue } from '../../../src/dataverse/schema.ts';
import { TestClient, sleep } from './support/client.ts';
import { open, startHarness, USERS, type Harness } from './support/harness.ts';

const LINE = 'hicom.early:21';
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function callLog(harness: Harness, callKey: string): Promise<Record<string, unknown> | undefined> {
  const f = harness.schema.callLog.fields;
  for (let i = 0; i < 100; i += 1) {
    await harness.outbox.drained();
    const rows = await harness.manager.client.list<Record<string, unknown>>(harness.schema.callLog.entitySet, { filter: `${f.callKey} eq '${callKey}'` });
    if (rows[0] !== undefined) return rows[0];
    await sleep(50);
  }
  return undefined;
}

describe('call events that arrive before the first read of the entitlements', () => {
  it('a call that rang and ended before the read is kept as missed for its user and recorded with that user', async () => {
    h = await startHarness();
    await h.addLine(LINE, 'emily');
    h.connector.report(LINE);
    // The user side exists (subscribed) but has not started: its table is still empty.
    h.connector.call(LINE, 'e1', 'offering', { callerNumber: '0301234567' });
    h.connector.call(LINE, 'e1', 'disconnected', { reason: 'callerHungUp' });
    h.connector.call(LINE, 'e1', 'idle', { reason: 'callerHungUp' });
    expect(h.side.internals.router.calls.get('hicom.early/e1')).toBeUndefined();
    await open(h);
    const emily = await TestClient.open(h.url, h.crmOrigin);
    try {
      await emily.signIn((await h.user('emily')).client, h.schema, { tab: 'tab-1' });
      const missed = await emily.next('callNotification', (n) => n.callKey === 'hicom.early/e1');
      expect(missed).toMatchObject({ replayed: true, state: 'idle', endedReason: 'callerHungUp', number: '0301234567', line: LINE });
      const log = await callLog(h, 'hicom.early/e1');
      const f = h.schema.callLog.fields;
      expect(log?.[f.missed]).toBe(true);
      expect(log?.[lookupValue(f.user)]).toBe(USERS.emily.id);
    } finally {
      await emily.close();
    }
  });

  it('a call still ringing when the read completes pops up for the user who signs in, and later events follow in order', async () => {
    h = await startHarness();
    await h.addLine(LINE, 'emily');
    h.connector.report(LINE);
    h.connector.call(LINE, 'e2', 'offering', { callerNumber: '0301234567' });
    await open(h);
    const emily = await TestClient.open(h.url, h.crmOrigin);
    try {
      await emily.signIn((await h.user('emily')).client, h.schema, { tab: 'tab-1' });
      expect(await emily.next('callNotification', (n) => n.callKey === 'hicom.early/e2')).toMatchObject({ state: 'offering' });
      h.connector.call(LINE, 'e2', 'connected');
      h.connector.call(LINE, 'e2', 'disconnected', { reason: 'calleeHungUp' });
      h.connector.call(LINE, 'e2', 'idle', { reason: 'calleeHungUp' });
      await emily.next('callNotification', (n) => n.callKey === 'hicom.early/e2' && n.state === 'idle');
      expect(emily.of('callNotification').filter((n) => n.callKey === 'hicom.early/e2').map((n) => n.state)).toEqual(['offering', 'connected', 'disconnected', 'idle']);
    } finally {
      await emily.close();
    }
  });
});
