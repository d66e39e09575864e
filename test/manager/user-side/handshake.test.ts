// One client's session (manager/clients/session.ts) rule by rule, through the
// real gateway: what counts as a bad message before `connect`, a second
// `prove` while the first runs, a `prove` on the wrong channel, a challenge
// that expired on the manager's clock, errors on the channel they belong to,
// a test connection (`incalltest`) that is welcomed but shown no calls,
// requests on the wrong kind of connection, and a dial that makes its tab
// the one the next call goes to. Each case failed on a hand-made break the
// gateway, limits, diagnose and conformance tests did not catch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/dataverse/connection.ts';
import { createRepositories } from '../../../src/dataverse/repositories/index.ts';
import type { EpochMs, MonoMs } from '../../../src/manager/clock.ts';
import { TestClient, sleep } from './support/client.ts';
import { open, startHarness, type Harness, type UserKey } from './support/harness.ts';

let h: Harness;
const LINE = 'hicom.hs:25';
const HANDSHAKE_MS = 5000;
/** Added to the manager's monotonic clock: moves its deadlines without waiting. */
let skew = 0;

beforeAll(async () => {
  h = await startHarness({
    options: {
      handshakeTimeoutMs: HANDSHAKE_MS,
      clock: { mono: () => (performance.now() + skew) as MonoMs, wall: () => Date.now() as EpochMs },
    },
  });
  await h.addLine(LINE, 'anna');
  h.connector.report(LINE);
  await open(h);
}, 60_000);
afterAll(async () => h.close());

async function session(user: UserKey, nonce: string, tab = 't'): Promise<string> {
  return createRepositories(((await h.user(user)) as Connection).client, h.schema).sessions.create(nonce, tab);
}

async function connected(): Promise<{ c: TestClient; nonce: string }> {
  const c = await TestClient.open(h.url, h.crmOrigin);
  c.send({ channel: 'intincall', command: 'connect', registration: 'manuell', incallVersion: '9.0.0', incallClient: 'web' });
  return { c, nonce: (await c.next('challenge')).nonce };
}

describe('before the proof', () => {
  it('anything but connect (or a diagnose request) before connect is a bad message: the fifth closes the connection', async () => {
    const c = await TestClient.open(h.url, h.crmOrigin);
    for (let i = 0; i < 5; i += 1) c.send({ channel: 'intincall', command: 'heartbeat' });
    expect((await c.closed).code).toBe(4400);
    expect(c.of('error').map((e) => e.code)).toEqual(Array(5).fill('handshake-required'));
  });

  it('a second prove while the first runs is refused as handshake-in-progress; the first still proves', async () => {
    const { c, nonce } = await connected();
    const id = await session('anna', nonce);
    c.send({ channel: 'intincall', command: 'prove', nonce, sessionRecordId: id, clientInstanceId: 't' });
    c.send({ channel: 'intincall', command: 'prove', nonce, sessionRecordId: id, clientInstanceId: 't' });
    expect(await c.next('error')).toMatchObject({ code: 'handshake-in-progress' });
    await c.next('welcome');
    await sleep(100);
    expect(c.of('error')).toHaveLength(1);
    await c.close();
  });

  it('a diagnose connection that proves on the incall channel is told wrong-channel and gets no report', async () => {
    const c = await TestClient.open(h.url);
    c.send({ channel: 'diagnose', command: 'diagnose', requestId: 'r1' });
    const { nonce } = await c.next('challenge');
    const id = await session('petra', nonce);
    c.send({ channel: 'intincall', command: 'prove', nonce, sessionRecordId: id, clientInstanceId: 't' });
    expect(await c.next('error')).toMatchObject({ channel: 'intincall', code: 'wrong-channel' });
    await sleep(200);
    expect(c.of('diagnoseReport')).toEqual([]);
    await c.close();
  });

  it('a challenge past its deadline on the manager\'s clock is refused as proof-expired, even before the timer closes the connection', async () => {
    const { c, nonce } = await connected();
    const id = await session('anna', nonce);
    skew += HANDSHAKE_MS + 1000;
    c.send({ channel: 'intincall', command: 'prove', nonce, sessionRecordId: id, clientInstanceId: 't' });
    expect(await c.next('error')).toMatchObject({ code: 'proof-expired' });
    expect((await c.closed).code).toBe(4401);
  });
});

describe('errors and channels', () => {
  it('an unreadable outcall message is answered on the outcall channel', async () => {
    const c = await TestClient.open(h.url, h.crmOrigin);
    c.sendRaw('<tapiaction name="outcall"><command>frobnicate</command></tapiaction>');
    const error = await c.next('error');
    expect(error.channel).toBe('outcall');
    await c.close();
  });

  it('a diagnose request on an incall connection, and an incall request on a diagnose one, are wrong-channel', async () => {
    const agent = await TestClient.open(h.url, h.crmOrigin);
    await agent.signIn(((await h.user('anna')) as Connection).client, h.schema);
    agent.send({ channel: 'diagnose', command: 'diagnose', requestId: 'd1' });
    expect(await agent.next('error')).toMatchObject({ channel: 'diagnose', code: 'wrong-channel' });
    expect(agent.of('diagnoseReport')).toEqual([]);
    await agent.close();

    const admin = await TestClient.open(h.url);
    admin.send({ channel: 'diagnose', command: 'diagnose', requestId: 'r1' });
    const { nonce } = await admin.next('challenge');
    admin.send({ channel: 'diagnose', command: 'prove', nonce, sessionRecordId: await session('petra', nonce), clientInstanceId: 't' });
    await admin.next('diagnoseReport');
    admin.send({ channel: 'intincall', command: 'dial', requestId: 'x1', line: LINE, number: '40' });
    expect(await admin.next('error')).toMatchObject({ code: 'wrong-channel' });
    expect(admin.of('dialResult')).toEqual([]);
    expect(h.connector.commands.some((cmd) => cmd.kind === 'makeCall' && cmd.dialString === '40')).toBe(false);
    await admin.close();
  });
  it('a message a client does not send is unexpected-command, answered with its requestId', async () => {
    const agent = await TestClient.open(h.url, h.crmOrigin);
    await agent.signIn(((await h.user('anna')) as Connection).client, h.schema);
    agent.send({ channel: 'intincall', command: 'dialResult', requestId: 'q1', ok: true, dialString: '40' });
    expect(await agent.next('error')).toMatchObject({ code: 'unexpected-command', requestId: 'q1' });
    await agent.close();
  });
});

describe('which connection gets calls', () => {
  it('a test connection (incalltest) is welcomed but shown no calls', async () => {
    const c = await TestClient.open(h.url, h.crmOrigin);
    await c.signIn(((await h.user('anna')) as Connection).client, h.schema, { incallClient: 'incalltest' });
    h.connector.call(LINE, 'hs-test-1', 'offering', { callerNumber: '0301234567' });
    h.connector.call(LINE, 'hs-test-1', 'idle', { reason: 'callerHungUp' });
    await sleep(200);
    expect(c.of('callNotification')).toEqual([]);
    await c.close();
  });

  it('a tab that dials becomes the most recently active: the next call goes to it', async () => {
    const api = ((await h.user('anna')) as Connection).client;
    const older = await TestClient.open(h.url, h.crmOrigin);
    await older.signIn(api, h.schema, { tab: 'older' });
    const newer = await TestClient.open(h.url, h.crmOrigin);
    await newer.signIn(api, h.schema, { tab: 'newer' });
    older.send({ channel: 'intincall', command: 'dial', requestId: 'd1', line: LINE, number: '40' });
    await older.next('dialResult');
    h.connector.call(LINE, 'hs-next-1', 'offering', { callerNumber: '0301234567' });
    await older.next('callNotification', (n) => n.callKey === 'hicom.hs/hs-next-1');
    h.connector.call(LINE, 'hs-next-1', 'idle', { reason: 'callerHungUp' });
    await older.next('callNotification', (n) => n.callKey === 'hicom.hs/hs-next-1' && n.state === 'idle');
    expect(newer.of('callNotification').filter((n) => n.callKey === 'hicom.hs/hs-next-1')).toEqual([]);
    await older.close();
    await newer.close();
  });
});
