// Call routing end to end through the real client gateway and the simulated
// Dataverse: exactly the entitled users (own, shared with the user, shared
// with a team) get each call with the directory's matches; one popup per
// user; answered elsewhere; missed while offline and replayed on reconnect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectiveSettings } from '../../../src/dialing/index.ts';
import { TestClient, sleep } from './support/client.ts';
import { open, startHarness, TEAMS, USERS, type Harness, type UserKey } from './support/harness.ts';

let h: Harness;
const L = { anna: 'hicom.test:21', lukas: 'hicom.test:22', team: 'hicom.test:23', emily: 'hicom.test:24', shift: 'hicom.test:25' };
const clients = new Map<UserKey, TestClient>();

async function signIn(user: UserKey, tab = 'tab-1'): Promise<TestClient> {
  const c = await TestClient.open(h.url, h.crmOrigin);
  await c.signIn((await h.user(user)).client, h.schema, { tab });
  return c;
}

const notes = (c: TestClient | undefined, callId: string) => (c?.of('callNotification') ?? []).filter((n) => n.callKey === `hicom.test/${callId}`);

beforeAll(async () => {
  h = await startHarness();
  await h.addLine(L.anna, 'anna');
  const lukasLine = await h.addLine(L.lukas, 'lukas');
  await h.share(lukasLine, USERS.sophie.id, 'systemuser');
  const teamLine = await h.addLine(L.team);
  await h.share(teamLine, TEAMS.kundenserviceBerlin, 'team');
  await h.addLine(L.emily, 'emily');
  await h.addLine(L.shift, 'anna');
  await h.addLine(L.shift, 'jens');
  await h.addLine(L.shift, 'lukas');
  for (const line of Object.values(L)) h.connector.report(line);
  await open(h);
  for (const u of ['anna', 'lukas', 'sophie', 'mehmet', 'jens'] as const) clients.set(u, await signIn(u));
}, 60_000);
afterAll(async () => {
  for (const c of clients.values()) await c.close();
  await h.close();
});

describe('who gets a call', () => {
  it('a call on a team-shared line reaches exactly the team\'s users, with every CRM match', async () => {
    h.connector.call(L.team, 't1', 'offering', { callerNumber: '030 1234567' });
    const sophie = await clients.get('sophie')?.next('callNotification', (n) => n.callKey === 'hicom.test/t1');
    const mehmet = await clients.get('mehmet')?.next('callNotification', (n) => n.callKey === 'hicom.test/t1');
    const settings = effectiveSettings(h.top.default.dialing, h.top.site.dialing);
    if (!settings.ok) throw settings.error;
    const expected = h.directory.lookup('030 1234567', settings.settings);
    expect(expected.length).toBeGreaterThan(1);
    for (const n of [sophie, mehmet]) {
      expect(n).toMatchObject({ line: L.team, state: 'offering', direction: 'inbound', number: '030 1234567', e164: '+49301234567', replayed: false });
      expect(n?.matches.map((m) => m.id).sort()).toEqual(expected.map((m) => m.id).sort());
      expect(n?.matches.map((m) => m.name)).toContain('Berliner Büroservice KG');
    }
    h.connector.call(L.team, 't1', 'idle', { reason: 'callerHungUp' });
    await clients.get('sophie')?.next('callNotification', (n) => n.callKey === 'hicom.test/t1' && n.state === 'idle');
    await sleep(100);
    for (const u of ['anna', 'lukas', 'jens'] as const) expect(notes(clients.get(u), 't1')).toEqual([]);
  });

  it('a call on a line shared with a user reaches the owner and that user only', async () => {
    h.connector.call(L.lukas, 'u1', 'offering', { callerNumber: '0341 1234567' });
    await clients.get('lukas')?.next('callNotification', (n) => n.callKey === 'hicom.test/u1');
    await clients.get('sophie')?.next('callNotification', (n) => n.callKey === 'hicom.test/u1');
    h.connector.call(L.lukas, 'u1', 'idle', { reason: 'callerHungUp' });
    await clients.get('lukas')?.next('callNotification', (n) => n.callKey === 'hicom.test/u1' && n.state === 'idle');
    await sleep(100);
    for (const u of ['anna', 'mehmet', 'jens'] as const) expect(notes(clients.get(u), 'u1')).toEqual([]);
  });
});

describe('one popup per user', () => {
  it('addresses one tab per call — the most recently active — and moves the call when that tab goes', async () => {
    const second = await signIn('anna', 'tab-2');
    const first = clients.get('anna') as TestClient;
    h.connector.call(L.anna, 'p1', 'offering', { callerNumber: '0301234567' });
    await second.next('callNotification', (n) => n.callKey === 'hicom.test/p1');
    h.connector.call(L.anna, 'p1', 'accepted');
    await second.next('callNotification', (n) => n.callKey === 'hicom.test/p1' && n.state === 'accepted');
    expect(notes(first, 'p1')).toEqual([]);
    await second.close();
    await sleep(50);
    h.connector.call(L.anna, 'p1', 'idle', { reason: 'callerHungUp' });
    expect(await first.next('callNotification', (n) => n.callKey === 'hicom.test/p1')).toMatchObject({ state: 'idle', endedReason: 'callerHungUp' });
    expect(notes(first, 'p1')).toHaveLength(1);
  });
});

describe('answered elsewhere', () => {
  it('on a shared line, the colleague who answers is named to the others, and nobody is counted missed', async () => {
    const anna = clients.get('anna') as TestClient;
    const jens = clients.get('jens') as TestClient;
    const lukas = clients.get('lukas') as TestClient;
    await lukas.close(); // lukas is entitled too, but offline during this call
    h.connector.call(L.shift, 's1', 'offering', { callerNumber: '0301234567' });
    await anna.next('callNotification', (n) => n.callKey === 'hicom.test/s1');
    const offered = await jens.next('callNotification', (n) => n.callKey === 'hicom.test/s1');
    jens.send({ channel: 'intincall', command: 'callControl', requestId: 'a1', callKey: offered.callKey, action: 'answer' });
    expect(await jens.next('callControlResult', (r) => r.requestId === 'a1')).toMatchObject({ ok: true });
    expect(h.connector.commands.at(-1)).toEqual({ kind: 'answer', callKey: 'hicom.test/s1' });
    h.connector.call(L.shift, 's1', 'connected');
    expect(await anna.next('callNotification', (n) => n.callKey === 'hicom.test/s1' && n.state === 'connected')).toMatchObject({ answeredBy: 'Jens Wagner' });
    const own = await jens.next('callNotification', (n) => n.callKey === 'hicom.test/s1' && n.state === 'connected');
    expect(own.answeredBy).toBeUndefined();
    h.connector.call(L.shift, 's1', 'idle');
    await anna.next('callNotification', (n) => n.callKey === 'hicom.test/s1' && n.state === 'idle');
    const back = await signIn('lukas');
    clients.set('lukas', back);
    await sleep(100);
    expect(notes(back, 's1')).toEqual([]);
  });

  it('a hunt-group leg taken by another line ends with who took it (the PBX reports the losing leg first)', async () => {
    const sophie = clients.get('sophie') as TestClient;
    h.connector.call(L.anna, 'h1', 'offering', { callerNumber: '0341 1234567' });
    h.connector.call(L.lukas, 'h2', 'offering', { callerNumber: '0341 1234567' });
    await sophie.next('callNotification', (n) => n.callKey === 'hicom.test/h2');
    h.connector.call(L.lukas, 'h2', 'disconnected', { reason: 'pickedUpElsewhere' });
    h.connector.call(L.lukas, 'h2', 'idle', { reason: 'pickedUpElsewhere' });
    h.connector.call(L.anna, 'h1', 'connected');
    const ended = await sophie.next('callNotification', (n) => n.callKey === 'hicom.test/h2' && n.state === 'idle');
    expect(ended).toMatchObject({ endedReason: 'pickedUpElsewhere', answeredBy: 'Anna Schmidt' });
    h.connector.call(L.anna, 'h1', 'idle');
  });
});

describe('missed while offline', () => {
  it('keeps a missed call for a user with no client online and delivers it once, replayed, on reconnect', async () => {
    h.connector.call(L.emily, 'm1', 'offering', { callerNumber: '0301234567' });
    h.connector.call(L.emily, 'm1', 'disconnected', { reason: 'callerHungUp' });
    h.connector.call(L.emily, 'm1', 'idle', { reason: 'callerHungUp' });
    await sleep(50);
    const emily = await signIn('emily');
    const replay = await emily.next('callNotification', (n) => n.callKey === 'hicom.test/m1');
    expect(replay).toMatchObject({ replayed: true, state: 'idle', endedReason: 'callerHungUp', number: '0301234567', line: L.emily });
    expect(replay.matches.length).toBeGreaterThan(0);
    await emily.close();
    const again = await signIn('emily');
    await sleep(100);
    expect(notes(again, 'm1')).toEqual([]);
    await again.close();
  });

  it('replays a kept missed call only while the user still has its line (every notification is checked against the current table)', async () => {
    const gone = 'hicom.test:26';
    const record = await h.addLine(gone, 'emily');
    h.connector.report(gone);
    await h.side.internals.entitlements.refresh();
    h.connector.call(gone, 'm-gone', 'offering', { callerNumber: '0301234569' });
    h.connector.call(gone, 'm-gone', 'idle', { reason: 'callerHungUp' });
    await sleep(50);
    // Emily loses the line before she comes back.
    await h.manager.client.delete(h.schema.lineConfig.entitySet, record);
    await h.side.internals.entitlements.refresh();
    // A missed call after it on a line she keeps: the replay is complete when it arrives.
    h.connector.call(L.emily, 'm-kept', 'offering', { callerNumber: '0301234570' });
    h.connector.call(L.emily, 'm-kept', 'idle', { reason: 'callerHungUp' });
    await sleep(50);
    const emily = await signIn('emily');
    try {
      await emily.next('callNotification', (n) => n.callKey === 'hicom.test/m-kept');
      expect(notes(emily, 'm-gone')).toEqual([]);
    } finally {
      await emily.close();
    }
  });

  it('keeps no missed call for a call rejected at the phone: it was seen and turned away', async () => {
    h.connector.call(L.emily, 'm3', 'offering', { callerNumber: '0301234567' });
    h.connector.call(L.emily, 'm3', 'disconnected', { reason: 'rejected' });
    h.connector.call(L.emily, 'm3', 'idle', { reason: 'rejected' });
    // A missed call after it, so that the replay is known to be complete when it arrives.
    h.connector.call(L.emily, 'm4', 'offering', { callerNumber: '0301234568' });
    h.connector.call(L.emily, 'm4', 'idle', { reason: 'callerHungUp' });
    await sleep(50);
    const emily = await signIn('emily');
    await emily.next('callNotification', (n) => n.callKey === 'hicom.test/m4');
    await sleep(100);
    expect(notes(emily, 'm3')).toEqual([]);
    await emily.close();
  });

  it('a call still ringing when the user connects is shown at once', async () => {
    h.connector.call(L.emily, 'm2', 'offering', { callerNumber: '0301234567' });
    const emily = await signIn('emily');
    expect(await emily.next('callNotification', (n) => n.callKey === 'hicom.test/m2')).toMatchObject({ state: 'offering' });
    h.connector.call(L.emily, 'm2', 'idle', { reason: 'callerHungUp' });
    await emily.next('callNotification', (n) => n.callKey === 'hicom.test/m2' && n.state === 'idle');
    await emily.close();
  });

  it('a call ringing on a line the user does not hold is not shown when they connect', async () => {
    // Anna's call first: the catch-up goes through the active calls in the order they began.
    h.connector.call(L.anna, 'not-hers', 'offering', { callerNumber: '0301234571' });
    h.connector.call(L.emily, 'hers', 'offering', { callerNumber: '0301234572' });
    const emily = await signIn('emily');
    try {
      await emily.next('callNotification', (n) => n.callKey === 'hicom.test/hers');
      expect(notes(emily, 'not-hers')).toEqual([]);
    } finally {
      for (const [line, id] of [[L.anna, 'not-hers'], [L.emily, 'hers']] as const) h.connector.call(line, id, 'idle', { reason: 'callerHungUp' });
      await emily.next('callNotification', (n) => n.callKey === 'hicom.test/hers' && n.state === 'idle');
      await emily.close();
    }
  });
});
