// Issue 7, end to end: an incoming call from a seeded contact reaches exactly
// the entitled users, with the right CRM match, within the popup budget.
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { E2eClient } from './support/client.ts';
import { ringFor } from './support/ring.ts';
import { startStack, type Stack } from './support/stack.ts';
import { USERS } from './support/webapi.ts';

/**
 * Popup budget: PBX event → notification at the client, through connector,
 * TCP, manager, directory lookup and WebSocket. Measured well under 50 ms on
 * loopback (docs/testing-e2e.md); 2 s leaves room for a loaded CI machine.
 */
const POPUP_BUDGET_MS = 2_000;
/** Seeded contact Jan de Vries, telephone1 "+31 20 794 5011" (the only record with it); a German PBX shows it with 00. */
const CALLER = { number: '0031207945011', name: 'Jan de Vries' };
/** Seeded number shared by three contacts (fixtures/crm/seed/11-contacts.json). */
const SHARED_NUMBER = '03412255881';

let stack: Stack;
let anna: E2eClient;
let lukas: E2eClient;
let sophie: E2eClient;

beforeAll(async () => {
  stack = await startStack();
  await stack.assign('21', 'anna');
  await stack.assign('22', 'lukas');
  await stack.refreshEntitlements();
  const a = await stack.signIn('anna');
  expect(a.welcome).toMatchObject({ userId: USERS.anna.id, userName: USERS.anna.name });
  expect(a.welcome.lines.map((l) => l.line)).toEqual([stack.line('21')]);
  anna = a.client;
  lukas = (await stack.signIn('lukas')).client;
  const s = await stack.signIn('sophie');
  expect(s.welcome.lines).toEqual([]);
  sophie = s.client;
});

afterEach(async () => {
  await stack.endAllCalls();
});

afterAll(async () => {
  await stack?.stop();
});

describe('an incoming call', () => {
  it('pops up for the entitled user only, with the matched contact, within the budget', async () => {
    const rang = performance.now();
    const call = stack.pbx.incoming(CALLER, '21');
    const callKey = stack.callKey(call.callIds[0] as string);
    const offering = await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'offering');
    const latency = (anna.arrival('callNotification', (n) => n.callKey === callKey) as number) - rang;
    expect(latency, `popup latency ${latency.toFixed(1)} ms`).toBeLessThan(POPUP_BUDGET_MS);
    expect(offering).toMatchObject({ line: stack.line('21'), direction: 'inbound', number: CALLER.number, e164: '+31207945011', replayed: false });
    expect(offering.matches[0]).toMatchObject({ entity: 'contact', name: CALLER.name });
    expect(offering.matches).toHaveLength(1);

    stack.pbx.remoteHangup(call.session);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
    expect(anna.notifications(callKey).map((n) => n.state)).toEqual(['offering', 'disconnected', 'idle']);
    await Promise.all([lukas.barrier(), sophie.barrier()]);
    expect(lukas.notifications()).toEqual([]);
    expect(sophie.notifications()).toEqual([]);
  });

  it('lists every CRM record with the number, best first', async () => {
    const { call, callKey, offering } = await ringFor(stack, anna, { number: SHARED_NUMBER }, '21');
    const names = offering.matches.map((m) => m.name).sort();
    expect(names).toEqual(['Björn Meier', 'Frank Becker', 'Peter Zimmermann']);
    stack.pbx.remoteHangup(call.session);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
  });

  it('pops up for a contact whose name holds control characters (a tab, a bell, as imported data has), the name cleaned', async () => {
    // The encoder refuses such text; uncleaned, the popup was lost (spec/protocol.md §3).
    await stack.admin.create('contacts', { firstname: 'Eve\tTab', lastname: 'Mallory\u0007', telephone1: '+49 30 9988776' });
    await stack.manager.directory.refresh('incremental');
    const call = stack.pbx.incoming({ number: '030 9988776' }, '21');
    const callKey = stack.callKey(call.callIds[0] as string);
    const offering = await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'offering');
    expect(offering.matches.map((m) => m.name)).toEqual(['Eve Tab Mallory\ufffd']);
  });

  it('keeps within the budget call after call (p50 and max of 20 calls printed)', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const rang = performance.now();
      const call = stack.pbx.incoming(CALLER, '21');
      const callKey = stack.callKey(call.callIds[0] as string);
      await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'offering');
      latencies.push((anna.arrival('callNotification', (n) => n.callKey === callKey) as number) - rang);
      stack.pbx.remoteHangup(call.session);
      await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
    }
    latencies.sort((x, y) => x - y);
    const p50 = latencies[Math.floor(latencies.length / 2)] as number;
    const max = latencies[latencies.length - 1] as number;
    console.info(`popup latency over ${latencies.length} calls: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms`);
    expect(max).toBeLessThan(POPUP_BUDGET_MS);
    await lukas.barrier();
    expect(lukas.notifications()).toEqual([]);
  });

  it('pops up once for a user with two tabs open, in the tab used last', async () => {
    const second = (await stack.signIn('anna', 'anna-tab-2')).client;
    const { call, callKey } = await ringFor(stack, second, CALLER, '21');
    stack.pbx.remoteHangup(call.session);
    await second.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
    await anna.barrier();
    expect(anna.notifications(callKey)).toEqual([]);
    await second.close();
  });
});
