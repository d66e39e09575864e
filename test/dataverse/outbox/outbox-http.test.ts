// The outbox against the simulated Dataverse over real HTTP: the three record
// kinds, ordering, 429 storms with every kind of Retry-After, lost responses,
// auth failures that keep writes waiting, dead letters.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import type { Connection } from '../../../src/dataverse/connection.ts';
import { connect } from '../../../src/dataverse/connection.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import type { OutboxEvent } from '../../../src/dataverse/outbox/events.ts';
import { Outbox } from '../../../src/dataverse/outbox/outbox.ts';
import { callLogWrite, eventLogWrite, parsePhoneTimeFields, phoneCallWrite } from '../../../src/dataverse/outbox/records.ts';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import { dataverseTransport, type OutboxTransport } from '../../../src/dataverse/outbox/transport.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';
import { ANNA, onPremise, startSim } from '../directory/sim-fixture.ts';
import { VirtualClock } from '../directory/virtual-clock.ts';

const schema = createSchema();
const tmp = mkdtempSync(join(tmpdir(), 'outbox-http-'));
let dv: SimulatedDataverse;
let conn: Connection;
const closers: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  dv = await startSim();
  // One attempt per request: the outbox itself retries, durably.
  conn = await onPremise(dv, { retry: { maxAttempts: 1 } });
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await conn.client.close();
  await dv.close();
  rmSync(tmp, { recursive: true, force: true });
});

function outbox(options: { transport?: OutboxTransport; clock?: VirtualClock; concurrency?: number } = {}) {
  const events: OutboxEvent[] = [];
  const store = new SqliteOutboxStore(join(tmp, `${randomUUID()}.db`));
  const box = new Outbox({
    store,
    transport: options.transport ?? dataverseTransport(conn.client),
    concurrency: options.concurrency ?? 4,
    backoff: { baseMs: 20, maxMs: 300_000 },
    random: () => 0.5,
    onEvent: (e) => events.push(e),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  closers.push(() => box.close());
  return { box, store, events };
}

const count = (entity: string, id: string): number => (dv.store.get(entity, id) === undefined ? 0 : 1);
const writesOf = (id: string) => dv.requestLog.filter((r) => r.method === 'PATCH' && r.status !== 401 && r.path.includes(id));

async function settleInFlight(box: Outbox): Promise<void> {
  while (box.stats().inFlight > 0) await new Promise((r) => setTimeout(r, 2));
}

describe('outbox over HTTP', () => {
  it('writes a phone call on behalf of the agent, then the call log that refers to it, and an event log entry', async () => {
    const { box, events } = outbox();
    const contact = [...dv.store.all('contact')][0]!;
    const start = new Date('2025-05-06T08:00:00Z');
    const phone = phoneCallWrite({
      subject: 'Anruf von +49 341 1234567', direction: 'incoming', phoneNumber: '+493411234567', agent: { systemUserId: ANNA.id },
      party: { entity: 'contact', id: String(contact.contactid) }, regarding: null, start, end: new Date('2025-05-06T08:04:10Z'), durationSeconds: 250,
      timeFields: parsePhoneTimeFields('actualstart,actualend,scheduledstart,scheduledend', 'actualdurationminutes'),
    });
    // Enqueued first: the call log, which must still wait for its phone call.
    const log = callLogWrite(schema, { number: '+493411234567', line: 'hicom.abc.de:25', internalNumber: '25', start, connected: new Date('2025-05-06T08:00:07Z'), end: new Date('2025-05-06T08:04:10Z'), durationSeconds: 243, direction: 'incoming', missed: false, userId: ANNA.id, phoneCallId: phone.id });
    box.enqueue(log);
    box.enqueue(phone);
    box.enqueue(eventLogWrite(schema, { name: 'manager started', level: 'information', source: 'manager@test', message: 'ok', occurredOn: start }));
    box.start();
    await box.drained();
    expect(box.deadLetters()).toEqual([]);
    expect(events.filter((e) => e.type === 'delivered')).toHaveLength(3);

    const call = dv.store.get('phonecall', phone.id)!;
    expect(call.directioncode).toBe(false);
    expect(call.phonenumber).toBe('+493411234567');
    expect(call.actualstart).toBe('2025-05-06T08:00:00Z');
    expect(call.scheduledend).toBe('2025-05-06T08:04:10Z');
    expect(call.actualdurationminutes).toBe(4);
    expect(call.createdby).toMatchObject({ id: ANNA.id });
    expect(call.ownerid).toMatchObject({ id: ANNA.id });
    expect(call.regardingobjectid ?? null).toBeNull(); // `regarding: null`: the party only, no regarding record
    const parties = [...dv.store.all('activityparty')].filter((p) => (p.activityid as { id?: string })?.id === phone.id);
    expect(parties.map((p) => [p.participationtypemask, (p.partyid as { logicalName: string }).logicalName]).sort()).toEqual([[1, 'contact'], [2, 'systemuser']]);
    const entry = dv.store.get('ctapi_calllog', log.id)!;
    expect(entry.ctapi_phonecallid).toMatchObject({ id: phone.id });
    expect(entry.createdby).not.toMatchObject({ id: ANNA.id }); // call logs stay the manager's
    // (401s are NTLM handshakes on fresh connections, not attempts.)
    const order = dv.requestLog.filter((r) => r.method === 'PATCH' && r.status !== 401 && (r.path.includes(phone.id) || r.path.includes(log.id)));
    expect(order.map((r) => r.path.includes(phone.id) ? 'phonecall' : 'calllog')).toEqual(['phonecall', 'calllog']);
  });

  // Dataverse names the regarding navigation of a phone call `regardingobjectid_<entity>_phonecall`
  // (src/dataverse/schema.ts), and so does the simulator's metadata.
  it('sets the matched record as regarding', async () => {
    const { box } = outbox();
    const contact = [...dv.store.all('contact')][1]!;
    const phone = phoneCallWrite({ subject: 'regarding', direction: 'incoming', phoneNumber: '+4930', agent: { systemUserId: ANNA.id }, party: { entity: 'contact', id: String(contact.contactid) }, start: new Date() });
    box.enqueue(phone);
    box.start();
    await box.drained();
    expect(box.deadLetters()).toEqual([]);
    expect(dv.store.get('phonecall', phone.id)!.regardingobjectid).toMatchObject({ id: String(contact.contactid), logicalName: 'contact' });
  });

  it('an outgoing phone call always carries directioncode true; an unmatched incoming one has only the agent as party', async () => {
    const { box } = outbox();
    const out = phoneCallWrite({ subject: 'out', direction: 'outgoing', phoneNumber: '+4930123', agent: { systemUserId: ANNA.id }, start: new Date() });
    const unknown = phoneCallWrite({ subject: 'in', direction: 'incoming', phoneNumber: '+4930999', agent: { systemUserId: ANNA.id }, start: new Date() });
    box.enqueue(out);
    box.enqueue(unknown);
    box.start();
    await box.drained();
    expect(dv.store.get('phonecall', out.id)!.directioncode).toBe(true);
    expect(dv.store.get('phonecall', unknown.id)!.directioncode).toBe(false);
    expect(dv.store.get('phonecall', unknown.id)!.regardingobjectid ?? null).toBeNull();
  });

  it('a write whose response was lost (reset, 504) is sent again and exists exactly once', async () => {
    const { box, events } = outbox();
    const a = callLogWrite(schema, { number: '1', line: 'x:1', start: new Date(), direction: 'outgoing', missed: false });
    const b = callLogWrite(schema, { number: '2', line: 'x:1', start: new Date(), direction: 'outgoing', missed: false });
    dv.faults.loseResponse({ mode: 'reset', path: a.id, times: 1 });
    dv.faults.loseResponse({ mode: '504', path: b.id, times: 1 });
    box.enqueue(a);
    box.enqueue(b);
    box.start();
    await box.drained();
    for (const w of [a, b]) {
      expect(count('ctapi_calllog', w.id)).toBe(1);
      expect(writesOf(w.id).map((r) => r.status).at(-1)).toBe(412);
      expect(events.find((e) => e.type === 'delivered' && e.id === w.id)).toMatchObject({ existed: true, attempts: 2 });
    }
  });

  it('a 429 storm loses nothing, duplicates nothing and honours every kind of Retry-After', async () => {
    const clock = new VirtualClock(Date.now());
    const sent: { id: string; at: number }[] = [];
    const inner = dataverseTransport(conn.client);
    const transport: OutboxTransport = { deliver: (w) => (sent.push({ id: w.id, at: clock.now() }), inner.deliver(w)) };
    const { box, events } = outbox({ transport, clock, concurrency: 6 });
    // An HTTP date is absolute: the wait shrinks by the real time that passed since it was made.
    const dateMadeAt = Date.now();
    const httpDate = new Date(dateMadeAt + 40_000).toUTCString();
    const cases: [string, (ms: number) => boolean][] = [
      ['3', (ms) => ms >= 3000 && ms <= 3300],
      ['abc', (ms) => ms >= 10 && ms <= 40],      // nonsense: our own back-off
      ['-1', (ms) => ms >= 10 && ms <= 40],
      ['86400', (ms) => ms === 300_000],           // absurd: clamped to the longest wait
      [httpDate, (ms) => ms >= 40_000 - (Date.now() - dateMadeAt) - 1000 && ms <= 44_000],
    ];
    const special = cases.map(([value]) => {
      const w = callLogWrite(schema, { number: value.slice(0, 20), line: 'storm:1', start: new Date(), direction: 'incoming', missed: true });
      dv.faults.throttle({ path: w.id, method: 'PATCH', retryAfter: value, times: 2 });
      return w;
    });
    // The crowd's ids share a prefix so the storm rule hits them and not the writes above.
    const crowd = Array.from({ length: 30 }, (_, i) => callLogWrite(schema, { id: `c0ffee00-0000-4000-8000-${String(i).padStart(12, '0')}`, number: String(1000 + i), line: 'storm:2', start: new Date(), direction: 'incoming', missed: false }));
    dv.faults.reseed(7);
    const stormRule = dv.faults.throttle({ path: 'c0ffee00-', method: 'PATCH', retryAfter: '1', probability: 0.4, times: 25 });
    for (const w of [...special, ...crowd]) box.enqueue(w);
    box.start();
    for (let guard = 0; guard < 500 && box.stats().pending > 0; guard += 1) {
      await settleInFlight(box);
      const next = clock.nextDue();
      if (next !== undefined) await clock.advanceTo(next);
      await new Promise((r) => setTimeout(r, 1));
    }
    dv.faults.remove(stormRule);
    expect(box.stats()).toMatchObject({ pending: 0, deadLetters: 0 });
    for (const w of [...special, ...crowd]) expect(count('ctapi_calllog', w.id), w.id).toBe(1);
    expect(dv.faults.fired.throttle).toBeGreaterThanOrEqual(10 + 5);
    cases.forEach(([value, ok], i) => {
      const id = special[i]!.id;
      const retries = events.filter((e): e is Extract<OutboxEvent, { delayMs: number }> => e.type === 'retry' && e.id === id);
      expect(retries.length, value).toBeGreaterThanOrEqual(2);
      for (const r of retries) expect(ok(r.delayMs), `${value}: waited ${r.delayMs} ms`).toBe(true);
      // Never sent again before the wait was over.
      const times = sent.filter((s) => s.id === id).map((s) => s.at);
      for (let k = 1; k < times.length; k += 1) expect(times[k]! - times[k - 1]!, value).toBeGreaterThanOrEqual(retries[k - 1]!.delayMs);
    });
  });

  it('keeps writes waiting while the credentials are refused, and delivers them once they work', async () => {
    const path = join(tmp, 'auth.db');
    const bad = await connect(parseConnectionConfig({ CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: 'CONTOSO\\svc-crmtapi', CrmPassword: 'wrong-password' }, 'test'), { retry: { maxAttempts: 1 } });
    const events: OutboxEvent[] = [];
    const first = new Outbox({ store: new SqliteOutboxStore(path), transport: dataverseTransport(bad.client), backoff: { baseMs: 5, maxMs: 20 }, onEvent: (e) => events.push(e) });
    const w = eventLogWrite(schema, { name: 'x', level: 'warning', source: 't', message: 'm', occurredOn: new Date() });
    first.enqueue(w);
    first.start();
    while (events.filter((e) => e.type === 'wait').length < 3) await new Promise((r) => setTimeout(r, 5));
    await first.close();
    await bad.client.close();
    expect(events.every((e) => e.type === 'wait' && e.code === 'unauthorized')).toBe(true);
    const second = new Outbox({ store: new SqliteOutboxStore(path), transport: dataverseTransport(conn.client) });
    closers.push(() => second.close());
    expect(second.stats()).toMatchObject({ pending: 1, deadLetters: 0 });
    second.start();
    await second.drained();
    expect(count('ctapi_eventlog', w.id)).toBe(1);
  });

  it('moves a definitive failure to the dead letters with its error, lists it and retries it on request', async () => {
    const { box, events } = outbox();
    const good = eventLogWrite(schema, { name: 'ok', level: 'information', source: 't', message: 'm', occurredOn: new Date() });
    const broken = { ...good, id: randomUUID(), body: { ...good.body, ctapi_nosuchattribute: 1 } };
    box.enqueue(broken);
    box.enqueue(good);
    box.start();
    await box.drained();
    expect(count('ctapi_eventlog', good.id)).toBe(1);
    const dead = box.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id: broken.id, kind: 'eventLog', errorCode: 'bad-request', status: 400, attempts: 1 });
    expect(dead[0]!.errorMessage).toMatch(/HTTP 400/);
    expect(events.filter((e) => e.type === 'dead')).toHaveLength(1);
    box.retryDeadLetter(broken.id);
    await box.drained();
    expect(box.deadLetters()).toMatchObject([{ id: broken.id, attempts: 2 }]);
    expect(() => box.retryDeadLetter(randomUUID())).toThrow(/no dead letter/);
  });
});
