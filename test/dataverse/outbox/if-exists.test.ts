// A write that may meet a record someone else created under the same id (the
// agent's client creates the phone call during the call; the manager writes the
// same id at its end): created in full when absent, else only the `ifExists`
// fields are updated — over real HTTP against the simulated Dataverse, and kept
// across the SQLite store (also a store of the older layout).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import type { Connection } from '../../../src/dataverse/connection.ts';
import { Outbox } from '../../../src/dataverse/outbox/outbox.ts';
import { parsePhoneTimeFields, phoneCallWrite } from '../../../src/dataverse/outbox/records.ts';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import { dataverseTransport } from '../../../src/dataverse/outbox/transport.ts';
import { ANNA, onPremise, startSim } from '../directory/sim-fixture.ts';

const tmp = mkdtempSync(join(tmpdir(), 'outbox-if-exists-'));
let dv: SimulatedDataverse;
let conn: Connection;
let agent: Connection;

beforeAll(async () => {
  dv = await startSim();
  conn = await onPremise(dv, { retry: { maxAttempts: 1 } });
  agent = await onPremise(dv, { retry: { maxAttempts: 1 } });
});
afterAll(async () => {
  await conn.client.close();
  await agent.client.close();
  await dv.close();
  rmSync(tmp, { recursive: true, force: true });
});

const start = new Date('2025-05-06T08:00:00Z');
const end = new Date('2025-05-06T08:04:10Z');

function write(id: string) {
  return phoneCallWrite({
    id, subject: 'Call from Anna', direction: 'incoming', phoneNumber: '+493411234567', agent: { systemUserId: ANNA.id },
    start, end, durationSeconds: 250, timeFields: parsePhoneTimeFields('actualstart,actualend', 'actualdurationminutes'),
    description: 'written by the manager', updateTimesIfExists: true,
  });
}

async function deliver(...writes: ReturnType<typeof write>[]): Promise<Outbox> {
  const box = new Outbox({ store: new SqliteOutboxStore(join(tmp, `${randomUUID()}.db`)), transport: dataverseTransport(conn.client), backoff: { baseMs: 20, maxMs: 200 } });
  for (const w of writes) box.enqueue(w);
  box.start();
  await box.drained();
  await box.close();
  return box;
}

describe('outbox write with ifExists', () => {
  it('carries only the time fields in ifExists', () => {
    const w = write(randomUUID());
    expect(w.ifExists).toEqual({ actualstart: '2025-05-06T08:00:00.000Z', actualend: '2025-05-06T08:04:10.000Z', actualdurationminutes: 4 });
    expect(phoneCallWrite({ subject: 's', direction: 'outgoing', phoneNumber: '1', agent: { systemUserId: ANNA.id }, start }).ifExists).toBeUndefined();
  });

  it('creates the full record when nobody created it', async () => {
    const id = randomUUID();
    await deliver(write(id));
    const call = dv.store.get('phonecall', id)!;
    expect(call.subject).toBe('Call from Anna');
    expect(call.description).toBe('written by the manager');
    expect(call.actualend).toBe('2025-05-06T08:04:10Z');
    expect(call.ownerid).toMatchObject({ id: ANNA.id });
    expect(dv.requestLog.filter((r) => r.method === 'PATCH' && r.status !== 401 && r.path.includes(id))).toHaveLength(1); // no update after a create
  });

  it('updates only the time fields of a record the agent created, once or repeated', async () => {
    const id = randomUUID();
    // The agent's client, as the agent, before the call ends.
    await agent.client.create('phonecalls', { activityid: id, subject: 'typed by the agent', description: 'notes', phonenumber: '+493411234567', directioncode: false, actualstart: '2025-05-06T08:00:01Z' }, { onBehalfOf: { systemUserId: ANNA.id } });
    await deliver(write(id));
    await deliver(write(id)); // a repeated delivery (replayed call) changes nothing further
    expect([...dv.store.all('phonecall')].filter((r) => r.activityid === id)).toHaveLength(1);
    const call = dv.store.get('phonecall', id)!;
    expect(call.subject).toBe('typed by the agent');
    expect(call.description).toBe('notes');
    expect(call.actualstart).toBe('2025-05-06T08:00:00Z');
    expect(call.actualend).toBe('2025-05-06T08:04:10Z');
    expect(call.actualdurationminutes).toBe(4);
    expect(call.ownerid).toMatchObject({ id: ANNA.id });
    const requests = dv.requestLog.filter((r) => r.method === 'PATCH' && r.status !== 401 && r.path.includes(id)).map((r) => r.status);
    expect(requests).toEqual([412, 204, 412, 204]); // create-if-absent first, then the update
  });

  it('keeps ifExists in the store, through a dead letter and back', () => {
    const path = join(tmp, `${randomUUID()}.db`);
    const store = new SqliteOutboxStore(path);
    const w = write(randomUUID());
    store.enqueue(w, 1);
    expect(store.get(w.id)?.ifExists).toEqual(w.ifExists);
    store.deadLetter(w.id, { code: 'bad-request', message: 'x' }, 2);
    expect(store.deadLetters()[0]?.ifExists).toEqual(w.ifExists);
    expect(store.retryDeadLetter(w.id, 3).ifExists).toEqual(w.ifExists);
    store.close();
  });

  it('opens a store of layout 1 and adds the column', () => {
    const path = join(tmp, `${randomUUID()}.db`);
    const old = new Database(path);
    old.exec(`CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, entity_set TEXT NOT NULL, body TEXT NOT NULL,
      on_behalf_of TEXT, depends_on TEXT, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, last_error_code TEXT, last_error TEXT);
      CREATE TABLE dead_letters (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, entity_set TEXT NOT NULL, body TEXT NOT NULL, on_behalf_of TEXT,
      depends_on TEXT, attempts INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, failed_at INTEGER NOT NULL, error_code TEXT NOT NULL, error_message TEXT NOT NULL, status INTEGER);
      INSERT INTO outbox (id, kind, entity_set, body, next_attempt_at, enqueued_at) VALUES ('11111111-1111-1111-1111-111111111111', 'eventLog', 'x', '{}', 0, 0);
      PRAGMA user_version = 1;`);
    old.close();
    const store = new SqliteOutboxStore(path);
    expect(store.get('11111111-1111-1111-1111-111111111111')?.ifExists).toBeUndefined();
    const w = write(randomUUID());
    store.enqueue(w, 1);
    expect(store.get(w.id)?.ifExists).toEqual(w.ifExists);
    store.close();
  });
});
