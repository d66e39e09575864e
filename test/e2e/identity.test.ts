// Issue 7, end to end: no identity proof, no events; a claimed user id is
// never trusted; a page from a foreign origin cannot even open the socket.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { E2eClient } from './support/client.ts';
import { ringFor } from './support/ring.ts';
import { startStack, type Stack } from './support/stack.ts';
import { USERS } from './support/webapi.ts';

let stack: Stack;
let anna: E2eClient;

beforeAll(async () => {
  stack = await startStack();
  await stack.assign('21', 'anna');
  await stack.assign('22', 'lukas');
  await stack.refreshEntitlements();
  anna = (await stack.signIn('anna')).client;
});

afterEach(async () => {
  await stack.endAllCalls();
});

afterAll(async () => {
  await stack?.stop();
});

/** Rings Anna's line until her proven client saw the whole call. */
async function ringAnnasLine(): Promise<string> {
  const { call, callKey } = await ringFor(stack, anna, { number: '+49 30 1234567' }, '21');
  stack.pbx.remoteHangup(call.session);
  await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
  return callKey;
}

describe('identity proof', () => {
  it('a client that claims a user but never proves it receives nothing', async () => {
    const claimer = await stack.open('claimer');
    await claimer.connect({ claimedUserId: USERS.anna.id });
    // Before the proof, requests are kept, not answered.
    claimer.send({ channel: 'intincall', command: 'heartbeat' });
    await ringAnnasLine();
    // A second connect is refused at once on the same socket: everything sent before it has arrived.
    claimer.send({ channel: 'intincall', command: 'connect', registration: 'manuell', incallVersion: '9.0.0' });
    await claimer.next('error', (e) => e.code === 'handshake-in-progress');
    expect(claimer.received.map((r) => r.message.command)).toEqual(['challenge', 'error']);
  });

  it('a proof with a session record that does not exist is refused and the socket closed', async () => {
    const forger = await stack.open('forger');
    const nonce = await forger.connect({ claimedUserId: USERS.anna.id });
    forger.send({ channel: 'intincall', command: 'prove', nonce, sessionRecordId: randomUUID(), clientInstanceId: 'forger' });
    expect(await forger.next('error')).toMatchObject({ channel: 'intincall', code: 'proof-failed' });
    expect((await forger.closed).code).toBe(4401);
    expect(forger.notifications()).toEqual([]);
  });

  it('a session record made for another connection\'s nonce proves nothing', async () => {
    const thief = await stack.open('thief');
    const nonce = await thief.connect();
    const other = await stack.open('other');
    const otherNonce = await other.connect();
    // Anna's genuine record, but for the other connection's nonce.
    const id = await E2eClient.sessionRecord(await stack.user('anna'), otherNonce, 'thief');
    thief.send({ channel: 'intincall', command: 'prove', nonce, sessionRecordId: id, clientInstanceId: 'thief' });
    expect(await thief.next('error')).toMatchObject({ code: 'proof-failed' });
    expect((await thief.closed).code).toBe(4401);
    await other.close();
  });

  it('the user is who created the session record, whatever the client claims', async () => {
    const impostor = await stack.open('impostor');
    const nonce = await impostor.connect({ claimedUserId: USERS.anna.id });
    const welcome = await impostor.prove(await stack.user('lukas'), nonce);
    expect(welcome).toMatchObject({ userId: USERS.lukas.id, userName: USERS.lukas.name });
    expect(welcome.lines.map((l) => l.line)).toEqual([stack.line('22')]);
    const callKey = await ringAnnasLine();
    await impostor.barrier();
    expect(impostor.notifications(callKey)).toEqual([]);
  });
});

describe('Origin allow-list', () => {
  it('refuses a WebSocket upgrade from a foreign origin with 403', async () => {
    await expect(stack.open('foreign', 'https://evil.example')).rejects.toThrow('HTTP 403');
    await expect(stack.open('lookalike', `${stack.crmOrigin}.evil.example`)).rejects.toThrow('HTTP 403');
  });

  it('accepts the CRM\'s own origin (which still has to prove who it is)', async () => {
    const page = await stack.open('crm-page', stack.crmOrigin);
    await page.connect();
    expect(page.received.map((r) => r.message.command)).toEqual(['challenge']);
  });

  it('serves the manual\'s test page at the root', async () => {
    const res = await fetch(stack.wsUrl.replace('ws://', 'http://'));
    expect(await res.text()).toContain('This is the Testsite for the Websocket Connection behind this address');
  });
});
