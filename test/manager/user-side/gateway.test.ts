// The client gateway: test page, Origin allow-list in the upgrade, the
// manual's handshake with the identity proof, messages kept during the proof,
// payload limit, self-test and listener rebuild.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories } from '../../../src/dataverse/repositories/index.ts';
import { TEST_PAGE_TEXT } from '../../../src/manager/clients/index.ts';
import { TestClient, sleep } from './support/client.ts';
import { open, startHarness, USERS, type Harness } from './support/harness.ts';

let h: Harness;
const LINE = 'hicom.test:25';

beforeAll(async () => {
  h = await startHarness({ options: { handshakeTimeoutMs: 1500 } });
  await h.addLine(LINE, 'anna');
  h.connector.report(LINE);
  await open(h);
});
afterAll(async () => h.close());

describe('HTTP', () => {
  it('serves the manual\'s test page at / and 404 elsewhere', async () => {
    const page = await fetch(h.url.replace('ws:', 'http:'));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(TEST_PAGE_TEXT);
    expect((await fetch(`${h.url.replace('ws:', 'http:')}admin`)).status).toBe(404);
  });

  it('refuses an upgrade from a foreign Origin with 403 and accepts the CRM\'s origin', async () => {
    await expect(TestClient.open(h.url, 'https://evil.example')).rejects.toThrow('HTTP 403');
    await expect(TestClient.open(h.url, `${h.crmOrigin}.evil.example`)).rejects.toThrow('HTTP 403');
    const ok = await TestClient.open(h.url, h.crmOrigin);
    await ok.close();
  });
});

describe('identity proof', () => {
  it('welcomes the user the session record proves, whatever user id the client claims', async () => {
    const c = await TestClient.open(h.url, h.crmOrigin);
    const welcome = await c.signIn((await h.user('anna')).client, h.schema, { claimedUserId: USERS.petra.id });
    expect(welcome).toMatchObject({ userId: USERS.anna.id, userName: USERS.anna.name, admin: false });
    expect(welcome.lines.map((l) => l.line)).toEqual([LINE]);
    expect(welcome.lines[0]?.dialing).toMatchObject({ countryCode: '49', internationalPrefix: '00', nationalPrefix: '0', maxInternalLength: 3 });
    expect(welcome.lines[0]?.popup).toMatchObject({ position: 1, durationSeconds: 30, openPhoneCallOption: 946410001 });
    await c.close();
  });

  it('says per line whether reject works, and welcomes again when the connector changes it', async () => {
    h.connector.report(LINE, '25', true, false);
    const c = await TestClient.open(h.url, h.crmOrigin);
    const welcome = await c.signIn((await h.user('anna')).client, h.schema);
    expect(welcome.lines[0]?.rejectAllowed).toBe(false);
    h.connector.report(LINE, '25', true, true);
    const welcomes = () => c.of('welcome').length;
    await c.next('welcome', (m) => m.lines[0]?.rejectAllowed === true);
    expect(welcomes()).toBe(2);
    h.connector.report(LINE, '25', true, true); // no change: no welcome
    h.connector.report(LINE); // an older connector says nothing: the field goes
    await c.next('welcome', (m) => m.lines[0]?.rejectAllowed === undefined);
    expect(welcomes()).toBe(3);
    await c.close();
  });

  it('welcomes once per turn however many line changes the turn brings (a connector going or coming)', async () => {
    h.connector.report(LINE, '25', true, true);
    const c = await TestClient.open(h.url, h.crmOrigin);
    await c.signIn((await h.user('anna')).client, h.schema);
    const welcomes = () => c.of('welcome').length;
    expect(welcomes()).toBe(1);
    // Five changes in one turn, each flipping what the welcome says: one welcome, with the last state.
    for (const allowed of [false, true, false, true, false]) h.connector.report(LINE, '25', true, allowed);
    await c.next('welcome', (m) => m.lines[0]?.rejectAllowed === false);
    await sleep(200);
    expect(welcomes()).toBe(2);
    h.connector.report(LINE);
    await c.next('welcome', (m) => m.lines[0]?.rejectAllowed === undefined);
    await c.close();
  });

  it('a client that connects but does not prove receives no call events', async () => {
    const c = await TestClient.open(h.url, h.crmOrigin);
    c.send({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '5.1.23.0', userid: USERS.anna.id });
    await c.next('challenge');
    h.connector.call(LINE, 'unproven-1', 'offering', { callerNumber: '0301234567' });
    h.connector.call(LINE, 'unproven-1', 'idle');
    await sleep(200);
    expect(c.received.map((m) => m.command)).toEqual(['challenge']);
    await c.close();
  });

  it('refuses a proof with a foreign session record or a wrong nonce, and closes', async () => {
    const c = await TestClient.open(h.url);
    c.send({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '8.1.1.0' });
    const challenge = await c.next('challenge');
    // A record created for another nonce proves nothing.
    const other = await (await h.user('anna')).client.create(h.schema.clientSession.entitySet, h.repos.sessions.sessionBody('another-nonce', 'x'));
    c.send({ channel: 'intincall', command: 'prove', nonce: challenge.nonce, sessionRecordId: other.id, clientInstanceId: 'x' });
    expect(await c.next('error')).toMatchObject({ code: 'proof-failed' });
    expect((await c.closed).code).toBe(4401);

    const d = await TestClient.open(h.url);
    d.send({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '8.1.1.0' });
    await d.next('challenge');
    d.send({ channel: 'intincall', command: 'prove', nonce: 'guessed', sessionRecordId: other.id, clientInstanceId: 'x' });
    expect(await d.next('error')).toMatchObject({ code: 'proof-failed' });
    expect((await d.closed).code).toBe(4401);
  });

  it('refuses a session record created on behalf of the user by someone else, and closes (docs/manager-clients.md)', async () => {
    const c = await TestClient.open(h.url, h.crmOrigin);
    c.send({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '8.1.1.0' });
    const challenge = await c.next('challenge');
    // The service account may act on behalf of users (it writes their call logs so): Dataverse then puts
    // Anna in createdby and the service account in createdonbehalfby. That is not Anna proving herself.
    const { id } = await h.manager.client.create(h.schema.clientSession.entitySet, h.repos.sessions.sessionBody(challenge.nonce, 'behalf'), { onBehalfOf: { systemUserId: USERS.anna.id } });
    const row = await h.manager.client.retrieve<Record<string, unknown>>(h.schema.clientSession.entitySet, id, ['_createdby_value', '_createdonbehalfby_value']);
    expect(row?._createdby_value).toBe(USERS.anna.id);
    expect(row?._createdonbehalfby_value).toBeTruthy();
    c.send({ channel: 'intincall', command: 'prove', nonce: challenge.nonce, sessionRecordId: id, clientInstanceId: 'behalf' });
    expect(await c.next('error')).toMatchObject({ code: 'proof-failed' });
    expect((await c.closed).code).toBe(4401);
    expect(c.received.map((m) => m.command)).toEqual(['challenge', 'error']);
  });

  it('refuses a user disabled after creating the session record, and closes (docs/manager-clients.md)', async () => {
    const c = await TestClient.open(h.url, h.crmOrigin);
    c.send({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '8.1.1.0' });
    const challenge = await c.next('challenge');
    const id = await createRepositories((await h.user('jens')).client, h.schema).sessions.create(challenge.nonce, 'disabled');
    const jens = h.dv.store.get('systemuser', USERS.jens.id);
    expect(jens).toBeDefined();
    h.dv.store.put('systemuser', USERS.jens.id, { ...jens, isdisabled: true });
    try {
      c.send({ channel: 'intincall', command: 'prove', nonce: challenge.nonce, sessionRecordId: id, clientInstanceId: 'disabled' });
      expect(await c.next('error')).toMatchObject({ code: 'user-disabled' });
      expect((await c.closed).code).toBe(4401);
      expect(c.received.map((m) => m.command)).toEqual(['challenge', 'error']);
    } finally {
      h.dv.store.put('systemuser', USERS.jens.id, { ...jens, isdisabled: false });
    }
  });

  it('keeps messages sent during the handshake and answers them after the welcome (MissedMessages)', async () => {
    const c = await TestClient.open(h.url, h.crmOrigin);
    c.send({ channel: 'intincall', command: 'connect', registration: 'manuell', incallVersion: '9.0.0' });
    const challenge = await c.next('challenge');
    c.send({ channel: 'intincall', command: 'heartbeat' });
    c.send({ channel: 'intincall', command: 'dial', requestId: 'early-1', line: LINE, number: '40' });
    await sleep(50);
    expect(c.received.map((m) => m.command)).toEqual(['challenge']);
    const id = await createRepositories((await h.user('anna')).client, h.schema).sessions.create(challenge.nonce, 't');
    c.send({ channel: 'intincall', command: 'prove', nonce: challenge.nonce, sessionRecordId: id, clientInstanceId: 't' });
    await c.next('welcome');
    expect(await c.next('dialResult')).toMatchObject({ requestId: 'early-1', ok: true, dialString: '40' });
    await c.next('heartbeat');
    const order = c.received.map((m) => m.command);
    expect(order.indexOf('welcome')).toBeLessThan(order.indexOf('heartbeat'));
    await c.close();
  });

  it('closes a connection that does not finish the proof in time', async () => {
    const c = await TestClient.open(h.url);
    c.send({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '8.1.1.0' });
    await c.next('challenge');
    expect((await c.closed).code).toBe(4408);
  });

  it('answers unreadable messages with an error naming the code, and closes after repeated ones', async () => {
    const c = await TestClient.open(h.url);
    c.sendRaw('<tapiaction name="intincall"><command>connect</command>');
    expect(await c.next('error')).toMatchObject({ channel: 'intincall', code: 'malformed-xml' });
    for (let i = 0; i < 4; i += 1) c.sendRaw('not xml');
    expect((await c.closed).code).toBe(4400);
  });

  it('closes a client whose message exceeds the protocol limit (maxPayload)', async () => {
    const c = await TestClient.open(h.url);
    c.sendRaw(`<tapiaction name="intincall"><command>heartbeat</command><x>${'a'.repeat(70_000)}</x></tapiaction>`);
    expect((await c.closed).code).toBe(1009);
  });
});

describe('self-test', () => {
  it('passes against the running listener and survives a rebuild, with connected clients kept', async () => {
    const c = await TestClient.open(h.url, h.crmOrigin);
    await c.signIn((await h.user('anna')).client, h.schema);
    expect(await h.side.selfTest()).toBe(true);
    await h.side.rebuildListener();
    expect(await h.side.selfTest()).toBe(true);
    c.send({ channel: 'intincall', command: 'heartbeat' });
    await c.next('heartbeat');
    const kinds = h.side.sockets().map((s) => s.kind);
    expect(kinds).toContain('incall');
    await c.close();
  });
});
