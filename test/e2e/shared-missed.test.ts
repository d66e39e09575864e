// Issue 7, end to end: a call offered to several users (shared line, hunt
// group) ends for the others with "answered by", and is nobody's missed
// call; a call that rang while a user was offline is delivered on connect.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { E2eClient } from './support/client.ts';
import { startStack, type Stack } from './support/stack.ts';
import { USERS } from './support/webapi.ts';

const CALLER = { number: '0031207945011', name: 'Jan de Vries' };
let stack: Stack;
let anna: E2eClient;
let lukas: E2eClient;

beforeAll(async () => {
  stack = await startStack({ huntGroups: { '600': ['25', '26'] } });
  // Line 27 is one phone shared by Anna, Lukas and Sophie; Sophie stays offline.
  for (const user of ['anna', 'lukas', 'sophie'] as const) await stack.assign('27', user);
  // Hunt group 600 rings Anna's 25 and Lukas's 26; Sophie also sits on 26 and stays offline.
  await stack.assign('25', 'anna');
  await stack.assign('26', 'lukas');
  await stack.assign('26', 'sophie');
  // Line 28 is Mehmet's alone; he is offline while it rings.
  await stack.assign('28', 'mehmet');
  await stack.refreshEntitlements();
  anna = (await stack.signIn('anna')).client;
  lukas = (await stack.signIn('lukas')).client;
});

afterEach(async () => {
  await stack.endAllCalls();
});

afterAll(async () => {
  await stack?.stop();
});

async function answer(client: E2eClient, callKey: string): Promise<void> {
  const requestId = client.requestId();
  client.send({ channel: 'intincall', command: 'callControl', requestId, callKey, action: 'answer' });
  expect(await client.next('callControlResult', (r) => r.requestId === requestId)).toMatchObject({ ok: true });
}

/** An offline user signs in afterwards: nothing is replayed (the call was answered, not missed). */
async function expectNothingKeptFor(name: 'sophie'): Promise<void> {
  const { client } = await stack.signIn(name, `${name}-later`);
  await client.barrier();
  expect(client.notifications(), `${name} got ${client.describe()}`).toEqual([]);
  await client.close();
}

describe('answered elsewhere', () => {
  it('shared line: the colleague\'s popup ends with "answered by"', async () => {
    const call = stack.pbx.incoming(CALLER, '27');
    const callKey = stack.callKey(call.callIds[0] as string);
    await Promise.all([anna, lukas].map((c) => c.next('callNotification', (n) => n.callKey === callKey && n.state === 'offering')));
    await answer(anna, callKey);
    const [own, other] = await Promise.all([anna, lukas].map((c) => c.next('callNotification', (n) => n.callKey === callKey && n.state === 'connected')));
    expect(own?.answeredBy).toBeUndefined();
    expect(other?.answeredBy).toBe(USERS.anna.name);
    stack.pbx.remoteHangup(call.session);
    const lastOfLukas = await lukas.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
    expect(lastOfLukas.answeredBy).toBe(USERS.anna.name);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
    await expectNothingKeptFor('sophie');
  });

  it('hunt group: the losing leg ends picked up elsewhere, naming who answered', async () => {
    const call = stack.pbx.incoming(CALLER, '600');
    expect(call.callIds).toHaveLength(2);
    const [legOfAnna, legOfLukas] = ['25', '26'].map((ext) => {
      const leg = stack.pbx.activeCalls().find((c) => c.line === ext);
      if (leg === undefined) throw new Error(`no leg rings on ${ext}`);
      return stack.callKey(leg.callId);
    }) as [string, string];
    await anna.next('callNotification', (n) => n.callKey === legOfAnna && n.state === 'offering');
    await lukas.next('callNotification', (n) => n.callKey === legOfLukas && n.state === 'offering');
    expect(lukas.notifications(legOfAnna)).toEqual([]);
    await answer(anna, legOfAnna);
    await anna.next('callNotification', (n) => n.callKey === legOfAnna && n.state === 'connected');
    const last = await lukas.next('callNotification', (n) => n.callKey === legOfLukas && n.state === 'idle');
    expect(last).toMatchObject({ endedReason: 'pickedUpElsewhere', answeredBy: USERS.anna.name });
    expect(lukas.notifications(legOfLukas).every((n) => n.state === 'offering' || n.answeredBy === USERS.anna.name)).toBe(true);
    stack.pbx.remoteHangup(call.session);
    await anna.next('callNotification', (n) => n.callKey === legOfAnna && n.state === 'idle');
    await expectNothingKeptFor('sophie');
  });
});

describe('missed while offline', () => {
  it('keeps the call that rang and stopped, and delivers it once when the user connects', async () => {
    const call = stack.pbx.incoming(CALLER, '28');
    const callKey = stack.callKey(call.callIds[0] as string);
    await stack.routed.wait((e) => e.callKey === callKey && e.event.state === 'offering', 'the call to ring');
    stack.pbx.remoteHangup(call.session);
    await stack.routed.wait((e) => e.callKey === callKey && e.event.state === 'idle', 'the call to end');

    const first = (await stack.signIn('mehmet', 'mehmet-tab-1')).client;
    const missed = await first.next('callNotification', (n) => n.callKey === callKey);
    expect(missed).toMatchObject({ replayed: true, state: 'idle', endedReason: 'callerHungUp', line: stack.line('28'), number: CALLER.number });
    expect(missed.matches[0]).toMatchObject({ entity: 'contact', name: CALLER.name });
    await first.barrier();
    expect(first.notifications()).toHaveLength(1);

    // Delivered once: a second tab (or a reconnect) does not get it again.
    const second = (await stack.signIn('mehmet', 'mehmet-tab-2')).client;
    await second.barrier();
    expect(second.notifications()).toEqual([]);
    // Users who were online are not sent a replay of calls on other lines either.
    await Promise.all([anna.barrier(), lukas.barrier()]);
    expect([...anna.notifications(callKey), ...lukas.notifications(callKey)]).toEqual([]);
  });
});
