// Click-to-dial (entitlement, dialing rules, connector errors, rate limit,
// audit in the event log) and the records of calls written through the
// outbox into the simulated Dataverse (call log entry, phone call activity
// on behalf of the agent, missed calls nobody saw).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STANDARD } from '../../../src/dataverse/schema.ts';
import type { EpochMs, MonoMs } from '../../../src/manager/clock.ts';
import { phoneCallIdOf } from '../../../src/manager/records/ids.ts';
import { TestClient, sleep } from './support/client.ts';
import { open, startHarness, USERS, type Harness } from './support/harness.ts';

let h: Harness;
let clock = 1_000_000;
let anna: TestClient;
const MINE = 'hicom.dial:31';
const OTHERS = 'hicom.dial:32';
const OFFLINE = 'hicom.dial:33';

type Row = Record<string, unknown>;

beforeAll(async () => {
  h = await startHarness({ options: { clock: { mono: () => (performance.now() + clock - 1_000_000) as MonoMs, wall: () => (Date.now() + clock - 1_000_000) as EpochMs }, dialRate: { capacity: 3, refillPerSecond: 1 } } });
  await h.addLine(MINE, 'anna', { [h.schema.lineConfig.fields.openPhoneCall]: 946410003 });
  await h.addLine(OTHERS, 'lukas');
  await h.addLine(OFFLINE, 'anna');
  h.connector.report(MINE);
  h.connector.report(OTHERS);
  h.connector.report(OFFLINE, '33', false);
  await open(h);
  anna = await TestClient.open(h.url, h.crmOrigin);
  await anna.signIn((await h.user('anna')).client, h.schema);
}, 60_000);
afterAll(async () => {
  await anna.close();
  await h.close();
});

let n = 0;
async function dial(line: string, number: string) {
  n += 1;
  anna.send({ channel: 'intincall', command: 'dial', requestId: `d${n}`, line, number });
  return anna.next('dialResult', (r) => r.requestId === `d${n}`);
}

describe('click-to-dial', () => {
  it('converts the number with the line\'s settings and sends makeCall to the connector', async () => {
    h.connector.commands.length = 0;
    expect(await dial(MINE, '+49 30 1234567')).toMatchObject({ ok: true, dialString: '0301234567' });
    expect(await dial(MINE, '40')).toMatchObject({ ok: true, dialString: '40' });
    expect(h.connector.commands).toEqual([
      { kind: 'makeCall', line: MINE, dialString: '0301234567' },
      { kind: 'makeCall', line: MINE, dialString: '40' },
    ]);
  });

  it('refuses a line that is not yours, a non-number, an offline connector and relays a PBX refusal', async () => {
    clock += 10_000;
    h.connector.commands.length = 0;
    expect(await dial(OTHERS, '0301234567')).toMatchObject({ ok: false, error: { code: 'line-not-entitled' } });
    expect(await dial(MINE, 'call me maybe')).toMatchObject({ ok: false, error: { code: 'not-a-phone-number' } });
    expect(await dial(OFFLINE, '0301234567')).toMatchObject({ ok: false, error: { code: 'connector-offline' } });
    expect(h.connector.commands).toEqual([]);
    clock += 10_000;
    h.connector.answer = async () => ({ ok: false, error: { code: 'invalid-state', message: 'line 31 is out of service' } });
    const refused = await dial(MINE, '0301234567');
    expect(refused).toMatchObject({ ok: false, error: { code: 'pbx-refused' } });
    expect(refused.error?.message).toContain('line 31 is out of service');
    h.connector.answer = async () => ({ ok: false, error: { code: 'connector-offline', message: 'gone' } });
    expect(await dial(MINE, '0301234567')).toMatchObject({ ok: false, error: { code: 'connector-offline' } });
    h.connector.answer = async () => ({ ok: true, callId: 'x' });
  });

  it('rate-limits dials per user on the injected clock', async () => {
    clock += 60_000;
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push((await dial(MINE, '40')).ok);
    expect(results).toEqual([true, true, true, false, false]);
    expect((await dial(MINE, '40')).error?.code).toBe('rate-limited');
    clock += 1_000;
    expect((await dial(MINE, '40')).ok).toBe(true);
  });

  it('audits dials in the CRM event log', async () => {
    await h.outbox.drained();
    const rows = await h.manager.client.list<Row>(h.schema.eventLog.entitySet, { select: [h.schema.eventLog.fields.name, h.schema.eventLog.fields.message] });
    const messages = rows.map((r) => String(r[h.schema.eventLog.fields.message]));
    expect(messages.some((m) => m.includes(USERS.anna.id) && m.includes('dialled 0301234567'))).toBe(true);
    expect(messages.some((m) => m.includes('line-not-entitled'))).toBe(true);
    expect(messages.some((m) => m.includes('not-a-phone-number'))).toBe(true);
    // A run of rate-limit refusals is one entry, not one per refusal.
    expect(messages.filter((m) => m.includes('rate-limited')).length).toBe(1);
  });

  it('refuses call control on a call of someone else\'s line', async () => {
    h.connector.call(OTHERS, 'cc1', 'offering', { callerNumber: '0301234567' });
    anna.send({ channel: 'intincall', command: 'callControl', requestId: 'cc', callKey: 'hicom.dial/cc1', action: 'drop' });
    expect(await anna.next('callControlResult', (r) => r.requestId === 'cc')).toMatchObject({ ok: false, error: { code: 'line-not-entitled' } });
    anna.send({ channel: 'intincall', command: 'callControl', requestId: 'cc2', callKey: 'hicom.dial/nope', action: 'drop' });
    expect(await anna.next('callControlResult', (r) => r.requestId === 'cc2')).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
    h.connector.call(OTHERS, 'cc1', 'idle');
  });
});

describe('records of calls', () => {
  const cl = () => h.schema.callLog.fields;
  /** The call log entry once the outbox delivered it (records are queued after an async user lookup). */
  async function callLog(callKey: string): Promise<Row | undefined> {
    for (let i = 0; i < 50; i += 1) {
      await h.outbox.drained();
      const rows = await h.manager.client.list<Row>(h.schema.callLog.entitySet, { filter: `${cl().callKey} eq '${callKey}'` });
      if (rows[0] !== undefined) return rows[0];
      await sleep(50);
    }
    return undefined;
  }

  it('an answered incoming call writes the call log entry and a phone call owned by the agent', async () => {
    const t0 = Date.parse('2024-05-01T12:00:00.000Z');
    h.connector.call(MINE, 'r1', 'offering', { callerNumber: '030 1234567' }, t0);
    h.connector.call(MINE, 'r1', 'connected', {}, t0 + 5_000);
    h.connector.call(MINE, 'r1', 'disconnected', { reason: 'callerHungUp' }, t0 + 65_000);
    h.connector.call(MINE, 'r1', 'idle', {}, t0 + 65_100);
    await anna.next('callNotification', (x) => x.callKey === 'hicom.dial/r1' && x.state === 'idle');
    const log = await callLog('hicom.dial/r1');
    expect(log).toBeDefined();
    const f = cl();
    expect(log?.[f.number]).toBe('030 1234567');
    expect(log?.[f.line]).toBe(MINE);
    expect(log?.[f.missed]).toBe(false);
    expect(log?.[f.duration]).toBe(60);
    expect(log?.[`_${f.user}_value`]).toBe(USERS.anna.id);
    const phoneCallId = log?.[`_${f.phoneCall}_value`] as string;
    expect(phoneCallId).toMatch(/^[0-9a-f-]{36}$/);
    const pc = await h.manager.client.retrieve<Row>(STANDARD.phonecall.entitySet, phoneCallId, ['subject', '_ownerid_value', '_createdonbehalfby_value', 'directioncode', 'actualdurationminutes']);
    expect(pc).toMatchObject({ _ownerid_value: USERS.anna.id, directioncode: false, actualdurationminutes: 1 });
    expect(String(pc?.subject)).toMatch(/^Call from /);
  });

  it('the phone call the agent\'s client created under phoneCallId stays the one record: the manager fills only its time fields', async () => {
    const t0 = Date.parse('2024-05-01T13:00:00.000Z');
    h.connector.call(MINE, 'r5', 'offering', { callerNumber: '030 7654321' }, t0);
    const ring = await anna.next('callNotification', (x) => x.callKey === 'hicom.dial/r5');
    expect(ring.phoneCallId).toBe(phoneCallIdOf('hicom.dial/r5', USERS.anna.id));
    const id = ring.phoneCallId!;
    // What the client does when it opens the phone call: create it as the agent, under that id.
    const agent = (await h.user('anna')).client;
    await agent.create(STANDARD.phonecall.entitySet, { activityid: id, subject: 'Typed by Anna', description: 'her notes', phonenumber: '030 7654321', directioncode: false, actualstart: '2024-05-01T13:00:01.000Z' });
    h.connector.call(MINE, 'r5', 'connected', {}, t0 + 2_000);
    h.connector.call(MINE, 'r5', 'disconnected', { reason: 'callerHungUp' }, t0 + 182_000);
    h.connector.call(MINE, 'r5', 'idle', {}, t0 + 182_100);
    const log = await callLog('hicom.dial/r5');
    expect(log?.[`_${cl().phoneCall}_value`]).toBe(id);
    let pc: Row | null = null;
    for (let i = 0; i < 100; i += 1) {
      pc = await h.manager.client.retrieve<Row>(STANDARD.phonecall.entitySet, id, ['subject', 'description', 'actualstart', 'actualend', 'actualdurationminutes', '_ownerid_value']);
      if (pc?.actualend) break;
      await sleep(50);
    }
    expect(pc).toMatchObject({ subject: 'Typed by Anna', description: 'her notes', actualdurationminutes: 3, _ownerid_value: USERS.anna.id });
    expect(String(pc?.actualstart)).toMatch(/^2024-05-01T13:00:00/);
    expect(String(pc?.actualend)).toMatch(/^2024-05-01T13:03:02/);
    const same = await h.manager.client.list<Row>(STANDARD.phonecall.entitySet, { select: ['activityid'], filter: "subject eq 'Typed by Anna' or contains(subject,'030 7654321')" });
    expect(same.map((r) => r.activityid)).toEqual([id]);
  });

  it('a call from a known contact: the phone call regards the contact', async () => {
    h.connector.call(MINE, 'r4', 'offering', { callerNumber: '0031207945011' });
    h.connector.call(MINE, 'r4', 'connected');
    h.connector.call(MINE, 'r4', 'idle', { reason: 'callerHungUp' });
    const log = await callLog('hicom.dial/r4');
    const [contact] = await h.manager.client.list<Row>('contacts', { select: ['contactid'], filter: "telephone1 eq '+31 20 794 5011'" });
    expect(contact?.contactid).toMatch(/^[0-9a-f-]{36}$/);
    const pc = await h.manager.client.retrieve<Row>(STANDARD.phonecall.entitySet, log?.[`_${cl().phoneCall}_value`] as string, ['subject', '_regardingobjectid_value']);
    expect(pc).toMatchObject({ subject: 'Call from Jan de Vries', _regardingobjectid_value: contact?.contactid });
  });

  it('a missed call that no client saw still writes a call log entry marked missed', async () => {
    h.connector.call(OFFLINE, 'r2', 'offering', { callerNumber: '0301234567' });
    h.connector.call(OFFLINE, 'r2', 'idle', { reason: 'callerHungUp' });
    const log = await callLog('hicom.dial/r2');
    expect(log?.[cl().missed]).toBe(true);
    expect(log?.[cl().connected] ?? null).toBeNull();
  });

  it('a dialled call is recorded for the user who dialled it, as outgoing', async () => {
    h.connector.answer = async () => ({ ok: true, callId: 'r3' });
    clock += 60_000;
    expect((await dial(MINE, '0301234567')).ok).toBe(true);
    h.connector.call(MINE, 'r3', 'dialtone', { origin: 'outbound' });
    h.connector.call(MINE, 'r3', 'proceeding', { origin: 'outbound', calledNumber: '0301234567' });
    h.connector.call(MINE, 'r3', 'connected', { origin: 'outbound', calledNumber: '0301234567' });
    h.connector.call(MINE, 'r3', 'idle', { origin: 'outbound' });
    const log = await callLog('hicom.dial/r3');
    expect(log).toMatchObject({ [cl().missed]: false, [`_${cl().user}_value`]: USERS.anna.id, [cl().number]: '0301234567' });
    const pc = await h.manager.client.retrieve<Row>(STANDARD.phonecall.entitySet, log?.[`_${cl().phoneCall}_value`] as string, ['directioncode', '_ownerid_value']);
    expect(pc).toMatchObject({ directioncode: true, _ownerid_value: USERS.anna.id });
  });
});
