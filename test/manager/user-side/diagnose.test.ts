// The diagnose channel over WebSocket: admins only (proved like any user, or
// the operator's DiagnoseKey proof), the report with connectors, entity lines
// and sockets, "refresh phone numbers now"; and back-pressure: a client that
// stops reading is dropped while the others keep receiving promptly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories } from '../../../src/dataverse/repositories/index.ts';
import { OPERATOR_SESSION_RECORD_ID } from '../../../src/manager/contracts.ts';
import { operatorProof } from '../../../src/manager/operator-proof.ts';
import type { Connection } from '../../../src/dataverse/connection.ts';
import { TestClient, sleep } from './support/client.ts';
import { open, startHarness, USERS, type Harness, type UserKey } from './support/harness.ts';

let h: Harness;
const KEY = 'operator-key-for-tests-0001';
const LINE = 'hicom.diag:41';

beforeAll(async () => {
  h = await startHarness({ config: { DiagnoseKey: KEY }, options: { sendBufferCap: 64 * 1024 } });
  await h.addLine(LINE, 'anna');
  await h.addLine(LINE, 'lukas');
  h.connector.report(LINE);
  await open(h);
}, 60_000);
afterAll(async () => h.close());

async function diagnoseAs(user: UserKey | 'operator', request: 'diagnose' | 'refreshPhoneNumbers' = 'diagnose'): Promise<TestClient> {
  const c = await TestClient.open(h.url);
  c.send({ channel: 'diagnose', command: request, requestId: 'r1' });
  const challenge = await c.next('challenge');
  expect(challenge.channel).toBe('diagnose');
  if (user === 'operator') {
    c.send({ channel: 'diagnose', command: 'prove', nonce: challenge.nonce, sessionRecordId: OPERATOR_SESSION_RECORD_ID, clientInstanceId: operatorProof(KEY, challenge.nonce) });
  } else {
    const api = ((await h.user(user)) as Connection).client;
    const id = await createRepositories(api, h.schema).sessions.create(challenge.nonce, 'diag');
    c.send({ channel: 'diagnose', command: 'prove', nonce: challenge.nonce, sessionRecordId: id, clientInstanceId: 'diag' });
  }
  return c;
}

describe('diagnose', () => {
  it('answers an admin with the report: version, edition, connectors, lines in the entity with users, sockets', async () => {
    const agent = await TestClient.open(h.url, h.crmOrigin);
    await agent.signIn((await h.user('anna')).client, h.schema);
    const c = await diagnoseAs('petra');
    const report = await c.next('diagnoseReport');
    expect(report).toMatchObject({ requestId: 'r1', version: '0.1.0-test', edition: 'open edition' });
    expect(report.connectors.map((x) => x.host)).toEqual(['hicom.diag']);
    expect(report.entityLines).toEqual([{ line: LINE, users: expect.arrayContaining([USERS.anna.name]) }]);
    expect(report.entityLines[0]?.users).toHaveLength(2);
    const kinds = report.sockets.map((s) => s.kind);
    expect(kinds).toEqual(expect.arrayContaining(['connector', 'incall', 'diagnose']));
    expect(report.sockets.find((s) => s.kind === 'incall')?.user).toBe(USERS.anna.name);
    await c.close();
    await agent.close();
  });

  it('refuses a user who is not an admin, and a wrong operator proof', async () => {
    const c = await diagnoseAs('anna');
    expect(await c.next('error')).toMatchObject({ channel: 'diagnose', code: 'not-admin' });
    expect((await c.closed).code).toBe(4403);
    expect(c.of('diagnoseReport')).toEqual([]);
    const d = await TestClient.open(h.url);
    d.send({ channel: 'diagnose', command: 'diagnose' });
    const challenge = await d.next('challenge');
    d.send({ channel: 'diagnose', command: 'prove', nonce: challenge.nonce, sessionRecordId: OPERATOR_SESSION_RECORD_ID, clientInstanceId: operatorProof('wrong-key-wrong-key-0000', challenge.nonce) });
    expect(await d.next('error')).toMatchObject({ code: 'proof-failed' });
    expect(d.of('diagnoseReport')).toEqual([]);
  });

  it('the operator key proves nothing on the agents\' channel: the operator is no CRM user', async () => {
    const c = await TestClient.open(h.url, h.crmOrigin);
    c.send({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '8.1.1.0' });
    const challenge = await c.next('challenge');
    c.send({ channel: 'intincall', command: 'prove', nonce: challenge.nonce, sessionRecordId: OPERATOR_SESSION_RECORD_ID, clientInstanceId: operatorProof(KEY, challenge.nonce) });
    expect(await c.next('error')).toMatchObject({ channel: 'intincall', code: 'proof-failed' });
    expect((await c.closed).code).toBe(4401);
    expect(c.received.map((m) => m.command)).toEqual(['challenge', 'error']);
  });

  it('the operator key proves the operator; refreshPhoneNumbers refreshes the directory now', async () => {
    const c = await diagnoseAs('operator', 'refreshPhoneNumbers');
    const result = await c.next('refreshResult');
    expect(result).toMatchObject({ requestId: 'r1', ok: true });
    expect(result.numbers).toBe(h.directory.status().keys);
    expect(h.directory.status().last.incremental).toBeDefined();
    await c.close();
  });
});

describe('back-pressure', () => {
  it('drops a client that stops reading; the other user keeps getting every notification promptly', async () => {
    const slow = await TestClient.open(h.url, h.crmOrigin);
    await slow.signIn((await h.user('anna')).client, h.schema);
    const fast = await TestClient.open(h.url, h.crmOrigin);
    await fast.signIn((await h.user('lukas')).client, h.schema);
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const started = Date.now();
    // One long call changing state (no call ends, so no records): only notifications flow.
    h.connector.call(LINE, 'bp', 'connected', { callerNumber: '0301234567' });
    let sent = 0;
    while (sent < 20_000 && h.side.internals.registry.connectionsOf(USERS.anna.id).length > 0) {
      h.connector.call(LINE, 'bp', sent % 2 === 0 ? 'onhold' : 'connected', { callerNumber: '0301234567' });
      sent += 1;
      if (sent % 200 === 0) await sleep(1);
    }
    expect(h.side.internals.registry.connectionsOf(USERS.anna.id)).toEqual([]);
    const dropAt = Date.now();
    h.connector.call(LINE, 'bp', 'idle');
    await fast.next('callNotification', (n) => n.callKey === 'hicom.diag/bp' && n.state === 'idle', 5000);
    expect(Date.now() - dropAt).toBeLessThan(1000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(fast.of('callNotification').filter((n) => n.callKey === 'hicom.diag/bp').length).toBe(sent + 2);
    await fast.close();
  });
});
