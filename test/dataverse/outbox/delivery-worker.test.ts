// The outbox's delivery worker against the simulated Dataverse over real HTTP:
// it signs in from the manager's settings in its own thread, delivers, keeps
// every error's code, status and Retry-After across the thread boundary (the
// outbox's policy judges them), forwards its log lines and per-attempt metrics,
// and when it cannot start or dies, loses and duplicates nothing: the writes it
// held are sent again from the main thread.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import type { Connection } from '../../../src/dataverse/connection.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { DeliveryWorker } from '../../../src/dataverse/outbox/delivery-worker.ts';
import type { OutboxEvent } from '../../../src/dataverse/outbox/events.ts';
import { Outbox } from '../../../src/dataverse/outbox/outbox.ts';
import { judge } from '../../../src/dataverse/outbox/policy.ts';
import { callLogWrite, eventLogWrite } from '../../../src/dataverse/outbox/records.ts';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import { dataverseTransport, type OutboxTransport } from '../../../src/dataverse/outbox/transport.ts';
import { dataverseAttempts, type DataverseAttempt } from '../../../src/dataverse/web-api/diagnostics.ts';
import { DataverseError } from '../../../src/dataverse/web-api/errors.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';
import { BearerAuth } from '../../../src/dataverse/auth/bearer.ts';
import { ROPC_CLIENT, SERVICE, internalIfd, onPremise, startSim } from '../directory/sim-fixture.ts';

const schema = createSchema();
const tmp = mkdtempSync(join(tmpdir(), 'delivery-worker-'));
let dv: SimulatedDataverse;
let conn: Connection;
const closers: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  dv = await startSim();
  conn = await onPremise(dv, { retry: { maxAttempts: 1 } });
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await conn.client.close();
  await dv.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface Logged {
  level: string;
  obj: object;
  msg: string;
}

/** A worker signing in with the service account's settings (NTLM, as on premises), one attempt per request. */
function worker(options: { settings?: Record<string, unknown>; entry?: string; fallback?: OutboxTransport; tokens?: BearerAuth } = {}) {
  const logs: Logged[] = [];
  const at = (level: string) => (obj: object, msg: string) => void logs.push({ level, obj, msg });
  const config = parseConnectionConfig({ CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password, ...options.settings }, 'test');
  const w = new DeliveryWorker({
    connection: { kind: 'settings', config }, retry: { maxAttempts: 1 },
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    fallback: options.fallback ?? dataverseTransport(conn.client),
    ...(options.entry === undefined ? {} : { entry: options.entry }),
    ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
  });
  closers.push(() => w.close());
  return { w, logs };
}

function outbox(transport: OutboxTransport) {
  const events: OutboxEvent[] = [];
  const box = new Outbox({ store: new SqliteOutboxStore(join(tmp, `${randomUUID()}.db`)), transport, concurrency: 4, backoff: { baseMs: 20, maxMs: 200 }, random: () => 0.5, onEvent: (e) => events.push(e) });
  closers.push(() => box.close());
  return { box, events };
}

const count = (entity: string, id: string): number => (dv.store.get(entity, id) === undefined ? 0 : 1);
const patchesOf = (id: string) => dv.requestLog.filter((r) => r.method === 'PATCH' && r.status !== 401 && r.path.includes(id));
const logWrite = (n: number) => callLogWrite(schema, { number: String(4900 + n), line: 'worker:1', start: new Date(), direction: 'incoming', missed: false });

/**
 * Runs `body` with a connected worker whose main-thread fallback would fail (any record delivered came from the
 * worker), and the attempts published on this thread meanwhile.
 */
async function withWorkerOnly(body: (w: DeliveryWorker, attempts: DataverseAttempt[]) => Promise<void>): Promise<void> {
  const attempts: DataverseAttempt[] = [];
  const listen = (m: unknown) => void attempts.push(m as DataverseAttempt);
  subscribe(dataverseAttempts.name, listen);
  try {
    const { w } = worker({ fallback: { deliver: () => Promise.reject(new Error('sent from the main thread')) } });
    expect(await w.ready).toBe(true);
    await body(w, attempts);
  } finally {
    unsubscribe(dataverseAttempts.name, listen);
  }
}

describe('the outbox delivery worker', () => {
  it('delivers from its own thread, once per record, and forwards its per-attempt metrics to the main thread', async () => {
    await withWorkerOnly(async (w, attempts) => {
      const { box } = outbox(w);
      const writes = Array.from({ length: 12 }, (_, i) => logWrite(i));
      for (const write of writes) box.enqueue(write);
      box.start();
      await box.drained();
      expect(w.onWorker).toBe(true);
      expect(box.stats()).toMatchObject({ pending: 0, deadLetters: 0 });
      for (const write of writes) {
        expect(count('ctapi_calllog', write.id)).toBe(1);
        expect(patchesOf(write.id)).toHaveLength(1);
      }
      // The attempts were made in the worker and published here.
      expect(attempts.filter((a) => a.method === 'PATCH' && a.status === 204)).toHaveLength(12);
      expect(await w.deliver(writes[0]!)).toBe('exists'); // 412 on a create-only upsert, told apart across the boundary
    });
  });

  it('answers a burst of writes in at most one message per write: a turn\'s outcomes and attempts travel together, each outcome still its own', async () => {
    await withWorkerOnly(async (w, attempts) => {
      const before = w.messagesIn;
      // Forty writes posted in one burst, one of them a record that exists already: outcomes are not mixed up.
      const writes = Array.from({ length: 40 }, (_, i) => logWrite(100 + i));
      expect(await w.deliver(writes[7]!)).toBe('created');
      const sent = w.messagesIn;
      const outcomes = await Promise.all(writes.map((write) => w.deliver(write)));
      expect(outcomes.filter((o) => o === 'exists')).toHaveLength(1);
      expect(outcomes[7]).toBe('exists');
      for (const write of writes) expect(patchesOf(write.id).filter((r) => r.status === 204)).toHaveLength(1);
      expect(attempts.filter((a) => a.method === 'PATCH')).toHaveLength(41);
      // One message per outcome and one per attempt would be 80 for the burst. Each worker turn sends one, and a
      // write's attempt and outcome fall in the same turn: at most 40, fewer when answers arrive together.
      expect(sent - before).toBeLessThanOrEqual(2);
      expect(w.messagesIn - sent).toBeLessThanOrEqual(40);
    });
  });

  it("keeps a failure's code, status and Retry-After, so the outbox judges it as it would on the main thread", async () => {
    const { w } = worker();
    const throttled = logWrite(100);
    dv.faults.throttle({ path: throttled.id, method: 'PATCH', retryAfter: '3', times: 1 });
    const error = await w.deliver(throttled).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataverseError);
    expect(error).toMatchObject({ code: 'throttled', status: 429, retryAfterMs: 3000 });
    expect(judge(error)).toMatchObject({ action: 'retry', retryAfterMs: 3000 });

    const good = eventLogWrite(schema, { name: 'ok', level: 'information', source: 't', message: 'm', occurredOn: new Date() });
    const broken = { ...good, id: randomUUID(), body: { ...good.body, ctapi_nosuchattribute: 1 } };
    const { box } = outbox(w);
    box.enqueue(broken);
    box.start();
    await box.drained();
    expect(box.deadLetters()).toMatchObject([{ id: broken.id, errorCode: 'bad-request', status: 400, attempts: 1 }]);
    expect(box.deadLetters()[0]!.errorMessage).toMatch(/HTTP 400/);
  });

  it('answers a wrong password with unauthorized: the outbox keeps the write waiting', async () => {
    const { w } = worker({ settings: { CrmPassword: 'wrong-password' } });
    const { box, events } = outbox(w);
    const write = logWrite(200);
    box.enqueue(write);
    box.start();
    // The worker's start (its modules, the refused sign-in) took over 5 s on a loaded 2-core machine: wait up to 25 s.
    await vi.waitFor(() => expect(events.some((e) => e.type === 'wait')).toBe(true), { timeout: 25_000, interval: 5 });
    expect(events.find((e) => e.type === 'wait')).toMatchObject({ code: 'unauthorized' });
    expect(box.stats()).toMatchObject({ pending: 1, deadLetters: 0 });
    expect(count('ctapi_calllog', write.id)).toBe(0);
    await box.stop(); // its retries would go on meeting later tests' faults
  });

  it("with a bearer sign-in (AD FS) it borrows the main thread's token: no sign-in of its own, one renewal after a 401", async () => {
    const ifd = await internalIfd(dv, { retry: { maxAttempts: 1 } });
    closers.push(() => ifd.client.close());
    const auth = ifd.auth;
    if (!(auth instanceof BearerAuth)) throw new Error('InternalIFD signs in with bearer tokens');
    const first = await auth.token(); // the main thread signed in
    const signIns = dv.faults.add({ kind: 'latency', target: 'token', latencyMs: 0 });
    const signInsSoFar = () => dv.faults.list().find((r) => r.id === signIns)?.fired ?? 0;
    try {
      const { w } = worker({
        settings: { CrmType: 'InternalIFD', CrmAuthority: `${dv.url}/adfs`, CrmClientId: ROPC_CLIENT, CrmWebApiUrl: dv.orgWebApiUrl },
        tokens: auth, fallback: { deliver: () => Promise.reject(new Error('sent from the main thread')) },
      });
      for (let i = 0; i < 4; i += 1) expect(await w.deliver(logWrite(500 + i))).toBe('created');
      expect(signInsSoFar()).toBe(0);
      // One 401 to the worker's request: one renewal, made by the main thread's sign-in and used by both threads.
      // Aimed at this write: an untargeted rule went to whichever request came first (CI: another test's retry).
      const after401 = logWrite(510);
      dv.faults.unauthorized({ path: after401.id, method: 'PATCH', times: 1 });
      expect(await w.deliver(after401)).toBe('created');
      expect(signInsSoFar()).toBe(1);
      const renewed = await auth.token();
      expect(renewed).not.toBe(first);
      expect(signInsSoFar()).toBe(1);
      expect(count('ctapi_calllog', after401.id)).toBe(1);
    } finally {
      dv.faults.remove(signIns);
    }
  });

  it('a worker that cannot connect hands delivery to the main thread, says so once, and loses nothing', async () => {
    const { w, logs } = worker({ settings: { CrmCaFile: join(tmp, 'no-such-ca.pem') } });
    const { box } = outbox(w);
    const writes = Array.from({ length: 6 }, (_, i) => logWrite(300 + i));
    for (const write of writes) box.enqueue(write);
    box.start();
    await box.drained();
    expect(w.onWorker).toBe(false);
    expect(await w.ready).toBe(false);
    for (const write of writes) expect(count('ctapi_calllog', write.id)).toBe(1);
    const errors = logs.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/could not connect: CrmCaFile: cannot read .*no-such-ca\.pem \(ENOENT\).*delivers on the main thread/);
  });

  it('closes a worker that holds no write at once, even one that never finished starting', async () => {
    const entry = new URL('./support/deaf-delivery-entry.ts', import.meta.url).href;
    const { w, logs } = worker({ entry });
    // With no timer running, a close that waited for the worker's goodbye (or for its 5 s fallback) would never end.
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      await w.close();
    } finally {
      vi.useRealTimers();
    }
    expect(w.onWorker).toBe(false);
    expect(await w.ready).toBe(false);
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('a worker that dies with writes in flight: they are sent again from the main thread, each record exactly once', async () => {
    const entry = new URL('./support/dying-delivery-entry.ts', import.meta.url).href;
    const { w, logs } = worker({ entry });
    const { box, events } = outbox(w);
    const writes = Array.from({ length: 8 }, (_, i) => logWrite(400 + i));
    for (const write of writes) box.enqueue(write);
    box.start();
    await box.drained();
    expect(w.onWorker).toBe(false);
    expect(box.stats()).toMatchObject({ pending: 0, deadLetters: 0 });
    for (const write of writes) {
      expect(count('ctapi_calllog', write.id)).toBe(1);
      expect(patchesOf(write.id)).toHaveLength(1);
    }
    // The writes the worker held failed as ordinary errors (retried), not as definitive ones.
    expect(events.filter((e) => e.type === 'retry').length).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'dead')).toBe(false);
    expect(logs.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([expect.stringMatching(/exited with code 3.*main thread/)]);
  });
});
