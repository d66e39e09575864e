// Cases 8 (WebSocket side), 9, 11 and 13 of issue 11's fault suite, against
// the manager's production composition on real sockets: 1,000
// unauthenticated connections and slowloris on the WebSocket port; hostile
// XML before connect, before proof and after proof; foreign Origin, a
// claimed user id, replayed, expired and foreign proof records; a client
// that never reads. Throughout, a proven client gets every popup of its
// line in the normal budget and nothing else (lost / duplicated / unexpected = 0).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { USERS } from '../e2e/support/webapi.ts';
import { E2eClient } from '../e2e/support/client.ts';
import { startStack, type Stack } from '../e2e/support/stack.ts';
import { account, ringCalls } from './support/edge-accounting.ts';
import { SilentSwarm, sleep } from './support/edge-attacker.ts';

const POPUP_BUDGET_MS = 2_000;
const SESSION_MAX_AGE_MS = 2_000;
let stack: Stack;
let anna: E2eClient;
let callNo = 0;
const numbers = (n: number): string[] => Array.from({ length: n }, () => `040${String(5_000_000 + (callNo += 1))}`);

beforeAll(async () => {
  stack = await startStack({
    managerKeys: { UpgradeTimeout: 2, MaxPendingUpgrades: 128, MaxPendingUpgradesPerPeer: 16 },
    userSide: { sessionMaxAgeMs: SESSION_MAX_AGE_MS, sendBufferCap: 64 * 1024 },
  });
  await stack.assign('21', 'anna');
  await stack.assign('22', 'lukas');
  await stack.assign('23', 'anna');
  await stack.assign('23', 'lukas');
  await stack.refreshEntitlements();
  anna = (await stack.signIn('anna')).client;
}, 60_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function expectAnnasCallsUnharmed(calls = 3, bystanders: E2eClient[] = []): Promise<void> {
  const since = anna.received.length;
  const { made, slowestPopupMs } = await ringCalls(stack, anna, '21', numbers(calls), POPUP_BUDGET_MS);
  const tally = await account(stack, [anna], made, [since], slowestPopupMs);
  expect(tally).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
  expect(tally.slowestPopupMs).toBeLessThan(POPUP_BUDGET_MS);
  for (const b of bystanders) for (const c of made) expect(b.notifications(c.callKey), `${b.name} must not see ${c.callKey}`).toEqual([]);
}

const BOMB = `<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "${'a'.repeat(1000)}"><!ENTITY b "${'&a;'.repeat(1000)}">]><tapiaction name="intincall"><command>heartbeat</command><x>&b;</x></tapiaction>`;
const HOSTILE: { name: string; data: string | Buffer; binary?: boolean }[] = [
  { name: 'garbage', data: '\u0000 not xml \ud800' },
  { name: 'entity bomb', data: BOMB },
  { name: 'external entity', data: '<!DOCTYPE t SYSTEM "file:///etc/passwd"><tapiaction name="intincall"><command>heartbeat</command></tapiaction>' },
  { name: 'deep nesting', data: `<tapiaction name="intincall"><command>heartbeat</command>${'<a>'.repeat(5_000)}${'</a>'.repeat(5_000)}</tapiaction>` },
  { name: 'oversize', data: `<tapiaction name="intincall" x="${'A'.repeat(70_000)}"><command>heartbeat</command></tapiaction>` },
  { name: 'binary', data: Buffer.from([0, 1, 2, 3]), binary: true },
];

describe('case 9: hostile XML on the WebSocket port', () => {
  it('before connect, before proof and after proof: typed errors or a close, never a crash; nobody learns of a call', async () => {
    const seen: E2eClient[] = [];
    for (const stage of ['before connect', 'before proof', 'after proof'] as const) {
      for (const h of HOSTILE) {
        const c = await stack.open(`${stage}-${h.name}`);
        seen.push(c);
        if (stage !== 'before connect') {
          const nonce = await c.connect();
          if (stage === 'after proof') await c.prove(await stack.user('lukas'), nonce);
        }
        c.ws.send(h.data, { binary: h.binary ?? false });
        const outcome = await Promise.race([
          c.next('error', () => true, 5_000).then((e) => `error ${e.code}`),
          c.closed.then((x) => `closed ${x.code}`),
        ]);
        expect(outcome, `${stage} / ${h.name}`).toMatch(/^(error [a-z-]+|closed (1009|1008|1003|4\d\d\d))$/);
      }
    }
    await expectAnnasCallsUnharmed(3, seen);
  });
});

describe('case 11: identity cannot be claimed, replayed, outlived or borrowed', () => {
  it('a foreign Origin cannot even upgrade', async () => {
    await expect(E2eClient.open(stack.wsUrl, 'foreign', 'https://evil.example')).rejects.toThrow(/403/);
  });

  it('a claimed user id, a replayed record, an expired record and a foreign record prove nothing; the proven client is unaffected', async () => {
    const attackers: E2eClient[] = [];
    // Claimed: connect as Anna, never prove.
    const claimer = await stack.open('claimer');
    attackers.push(claimer);
    await claimer.connect({ claimedUserId: USERS.anna.id });

    // Replayed: Anna's own earlier record, offered again on a new connection.
    const first = await stack.open('first');
    const firstNonce = await first.connect();
    const annaUser = await stack.user('anna');
    const recordId = await E2eClient.sessionRecord(annaUser, firstNonce, 'first');
    first.send({ channel: 'intincall', command: 'prove', nonce: firstNonce, sessionRecordId: recordId, clientInstanceId: 'first' });
    await first.next('welcome');
    await first.close();
    const replayer = await stack.open('replayer');
    attackers.push(replayer);
    const replayNonce = await replayer.connect({ claimedUserId: USERS.anna.id });
    replayer.send({ channel: 'intincall', command: 'prove', nonce: replayNonce, sessionRecordId: recordId, clientInstanceId: 'replayer' });
    expect(await replayer.next('error')).toMatchObject({ code: 'proof-failed' });
    expect((await replayer.closed).code).toBe(4401);

    // Expired: a genuine record for this very nonce, presented after sessionMaxAgeMs.
    const late = await stack.open('late');
    attackers.push(late);
    const lateNonce = await late.connect();
    const lateRecord = await E2eClient.sessionRecord(annaUser, lateNonce, 'late');
    await sleep(SESSION_MAX_AGE_MS * 2);
    late.send({ channel: 'intincall', command: 'prove', nonce: lateNonce, sessionRecordId: lateRecord, clientInstanceId: 'late' });
    expect(await late.next('error')).toMatchObject({ code: 'proof-expired' });
    expect((await late.closed).code).toBe(4401);

    // Foreign: Lukas's record for the attacker's nonce makes it Lukas, never Anna.
    const borrower = await stack.open('borrower');
    attackers.push(borrower);
    const borrowNonce = await borrower.connect({ claimedUserId: USERS.anna.id });
    const welcome = await borrower.prove(await stack.user('lukas'), borrowNonce);
    expect(welcome.userId).toBe(USERS.lukas.id);

    await expectAnnasCallsUnharmed(3, attackers);
  }, 30_000);
});

describe('case 8 (WebSocket port): slowloris and 1,000 unauthenticated connections', () => {
  it('silent and trickling connections are capped and closed at UpgradeTimeout; a new browser upgrades and proves, and gets its popups in budget', async () => {
    const port = Number(new URL(stack.wsUrl).port);
    const silent = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map((from) => new SilentSwarm({ port, count: 250, topUpMs: 500, from }).start());
    const loris = new SilentSwarm({ port, count: 20, topUpMs: 500, from: '127.0.0.6', drip: { first: 'GET / HTTP/1.1\r\n', bytes: 'X', everyMs: 300 } }).start();
    // 200 upgraded connections that never prove (the unproven cap is 2,000; the proof deadline closes them).
    const unproven: WebSocket[] = Array.from({ length: 200 }, () => new WebSocket(stack.wsUrl));
    for (const ws of unproven) ws.on('error', () => undefined);
    try {
      await sleep(2_500);
      // A second tab of Anna's, opened during the attack: the popup goes to the tab used last.
      const { client } = await stack.signIn('anna', 'anna-during-attack');
      try {
        const since = client.received.length;
        const { made, slowestPopupMs } = await ringCalls(stack, client, '21', numbers(3), POPUP_BUDGET_MS);
        const tally = await account(stack, [client], made, [since], slowestPopupMs);
        expect(tally).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
        expect(tally.slowestPopupMs).toBeLessThan(POPUP_BUDGET_MS);
      } finally {
        await client.close();
      }
      expect(silent.reduce((n, s) => n + s.opened, 0)).toBeGreaterThanOrEqual(1_000);
      // The manager closed what it did not admit or what outlived UpgradeTimeout (the bound on its
      // descriptors is measured in hostile-preupgrade.test.ts, where the manager is its own process).
      expect(silent.reduce((n, s) => n + s.closedByServer, 0)).toBeGreaterThan(500);
      const deadline = Date.now() + 10_000;
      while (loris.closedByServer === 0 && Date.now() < deadline) await sleep(50);
      expect(loris.closedByServer, `slowloris: opened ${loris.opened}, open ${loris.openNow}`).toBeGreaterThan(0);
    } finally {
      for (const s of [...silent, loris]) await s.stop();
      for (const ws of unproven) ws.terminate();
    }
  }, 60_000);
});

describe('case 13: a client that never reads', () => {
  it('holds at most its send buffer cap in the manager (dropped past it); the other client gets every notification of the same call', async () => {
    const slow = (await stack.signIn('lukas', 'lukas-never-reads')).client;
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const since = anna.received.length;
    const call = stack.pbx.incoming({ number: '0401234567' }, '23');
    const callId = call.callIds[0] as string;
    const callKey = stack.callKey(callId);
    stack.pbx.answer(callId);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'connected');
    const lukasConnections = (): { ws: { bufferedAmount: number } }[] => stack.userSide.internals.registry.connectionsOf(USERS.lukas.id) as unknown as { ws: { bufferedAmount: number } }[];
    let changes = 0;
    let mostBuffered = 0;
    while (changes < 4_000 && lukasConnections().length > 0) {
      stack.pbx.hold(callId);
      stack.pbx.resume(callId);
      changes += 2;
      for (const c of lukasConnections()) mostBuffered = Math.max(mostBuffered, c.ws.bufferedAmount);
      if (changes % 100 === 0) await sleep(1);
    }
    // Memory for the client that never reads: at most the cap plus the one message that crossed it.
    expect(mostBuffered).toBeLessThanOrEqual(64 * 1024 + 4 * 1024);
    stack.pbx.drop(callId);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle', 20_000);
    const mine = anna.received.slice(since).map((r) => r.message).filter((m) => m.command === 'callNotification' && m.callKey === callKey);
    // Every hold reached the other client, once.
    expect(mine.filter((m) => m.command === 'callNotification' && m.state === 'onhold').length).toBe(changes / 2);
    slow.ws.terminate();
    await expectAnnasCallsUnharmed(2);
  }, 60_000);
});
