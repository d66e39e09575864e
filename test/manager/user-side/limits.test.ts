// The client gateway's caps (docs/manager-clients.md, "Connection life"): more than `maxClients` connections,
// or `maxUnproven` connections without identity proof, get 503 at the upgrade; a client that sends more than
// MAX_KEPT messages before its proof is closed (policy), and up to MAX_KEPT are all answered after the welcome;
// a client that stops answering pings is terminated, one that answers them stays.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRepositories } from '../../../src/dataverse/repositories/index.ts';
import type { UserSideOptions } from '../../../src/manager/clients/index.ts';
import { MAX_KEPT } from '../../../src/manager/clients/session.ts';
import { TestClient } from './support/client.ts';
import { open, startHarness, type Harness } from './support/harness.ts';

const LINE = 'hicom.caps:31';
const opened: TestClient[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

async function client(h: Harness): Promise<TestClient> {
  const c = await TestClient.open(h.url, h.crmOrigin);
  opened.push(c);
  return c;
}

/** Opens a client once the manager has seen an earlier one close (its close is handled after the client's). */
const eventually = (h: Harness) => vi.waitFor(() => client(h), { timeout: 5_000, interval: 20 });

/** A harness with these options and Anna's line, listening. */
async function started(options: UserSideOptions): Promise<Harness> {
  const h = await startHarness({ options });
  await h.addLine(LINE, 'anna');
  h.connector.report(LINE);
  await open(h);
  return h;
}

describe('maxUnproven', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await started({ maxUnproven: 2, maxClients: 100 });
  });
  afterAll(async () => h.close());

  it('refuses the upgrade with 503 while maxUnproven clients are without proof (challenged ones too); a proof makes room', async () => {
    const first = await client(h);
    // A client that was challenged but has not proved yet still counts.
    const second = await client(h);
    second.send({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '8.1.1.0' });
    await second.next('challenge');
    await expect(client(h)).rejects.toThrow('HTTP 503');
    await first.signIn((await h.user('anna')).client, h.schema);
    const third = await client(h);
    third.send({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '8.1.1.0' });
    expect((await third.next('challenge')).nonce).toBeTruthy();
  });
});

describe('maxClients', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await started({ maxUnproven: 100, maxClients: 3 });
  });
  afterAll(async () => h.close());

  it('refuses the upgrade with 503 at maxClients connections; a closed one makes room', async () => {
    const first = await client(h);
    await client(h);
    await client(h);
    await expect(client(h)).rejects.toThrow('HTTP 503');
    await first.close();
    const fourth = await eventually(h);
    fourth.send({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '8.1.1.0' });
    expect((await fourth.next('challenge')).nonce).toBeTruthy();
  });
});

describe('messages kept before the proof', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await started({ heartbeatSeconds: 600 });
  });
  afterAll(async () => h.close());

  it(`answers all ${MAX_KEPT} kept messages after the welcome, in order`, async () => {
    const c = await client(h);
    c.send({ channel: 'intincall', command: 'connect', registration: 'manuell', incallVersion: '9.0.0' });
    const challenge = await c.next('challenge');
    for (let i = 0; i < MAX_KEPT; i += 1) c.send({ channel: 'intincall', command: 'dial', requestId: `kept-${i}`, line: LINE, number: `${40 + i}` });
    const id = await createRepositories((await h.user('anna')).client, h.schema).sessions.create(challenge.nonce, 'kept');
    c.send({ channel: 'intincall', command: 'prove', nonce: challenge.nonce, sessionRecordId: id, clientInstanceId: 'kept' });
    await c.next('welcome');
    await vi.waitFor(() => expect(c.received.filter((m) => m.command === 'dialResult')).toHaveLength(MAX_KEPT), { timeout: 5_000 });
    const results = c.received.filter((m) => m.command === 'dialResult') as { requestId?: string }[];
    expect(results.map((r) => r.requestId)).toEqual(Array.from({ length: MAX_KEPT }, (_, i) => `kept-${i}`));
  });

  it(`closes a client that sends more than ${MAX_KEPT} messages before its proof (policy), answering none`, async () => {
    const c = await client(h);
    c.send({ channel: 'intincall', command: 'connect', registration: 'manuell', incallVersion: '9.0.0' });
    await c.next('challenge');
    for (let i = 0; i <= MAX_KEPT; i += 1) c.send({ channel: 'intincall', command: 'heartbeat' });
    expect(await c.closed).toEqual({ code: 1008, reason: 'too many messages before the identity proof' });
    expect(c.received.map((m) => m.command)).toEqual(['challenge']);
  });
});

describe('heartbeat', () => {
  let h: Harness;
  // Whole seconds: the welcome carries the interval as an integer.
  const HEARTBEAT_MS = 1_000;
  beforeAll(async () => {
    h = await started({ heartbeatSeconds: HEARTBEAT_MS / 1000 });
  });
  afterAll(async () => h.close());

  it('terminates a client that did not answer the last ping; one that answers stays through many pings', async () => {
    const live = await client(h);
    await live.signIn((await h.user('anna')).client, h.schema);
    let liveClosed = false;
    void live.closed.then(() => (liveClosed = true));
    const mute = await TestClient.open(h.url, h.crmOrigin, { autoPong: false });
    opened.push(mute);
    let pings = 0;
    mute.ws.on('ping', () => (pings += 1));
    // Terminated, not closed: no close frame from the manager (1006 at the client).
    expect((await mute.closed).code).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(1);
    // The live client has answered as many pings by then, and keeps answering.
    await new Promise((r) => setTimeout(r, 2 * HEARTBEAT_MS));
    expect(liveClosed).toBe(false);
    live.send({ channel: 'intincall', command: 'heartbeat' });
    await live.next('heartbeat');
  });
});
