// Issue 7, end to end: when a call ends, its call log entry and phone call
// activity are in the CRM — the phone call created on behalf of the agent
// (who therefore owns it), with its direction — also for a missed call that
// no client saw.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CALL_DIRECTION, CALL_OUTCOME, createSchema, lookupValue, OPEN_PHONE_CALL } from '../../src/dataverse/schema.ts';
import type { E2eClient } from './support/client.ts';
import { ringFor } from './support/ring.ts';
import { startStack, type Stack } from './support/stack.ts';
import { recordsOf } from './support/records.ts';
import { USERS } from './support/webapi.ts';

const schema = createSchema();
const log = schema.callLog;
const CALLER = { number: '0031207945011', name: 'Jan de Vries', contactId: '' };
const SERVICE_ACCOUNT_ID = 'b691dd3c-d02d-526e-a641-4cee46480928';
let stack: Stack;
let anna: E2eClient;

beforeAll(async () => {
  stack = await startStack({ timing: { remoteAnswerMs: 200 } });
  await stack.assign('21', 'anna');
  await stack.assign('22', 'lukas');
  // Anna's line opens a phone call for every call ("Telefonanruf öffnen" = always); Lukas's keeps the default (incoming).
  await stack.editLine('21', { [schema.lineConfig.fields.openPhoneCall]: OPEN_PHONE_CALL.always });
  await stack.refreshEntitlements();
  anna = (await stack.signIn('anna')).client;
  const [contact] = await stack.admin.list('contacts', `$select=contactid&$filter=${encodeURIComponent("telephone1 eq '+31 20 794 5011'")}`);
  expect(contact).toBeDefined();
  CALLER.contactId = contact?.contactid as string;
});

afterEach(async () => {
  await stack.endAllCalls();
});

afterAll(async () => {
  await stack?.stop();
});

describe('records of calls', () => {
  it('an answered incoming call: call log entry and a phone call owned by the agent, incoming', async () => {
    const { call, callKey } = await ringFor(stack, anna, CALLER, '21');
    const requestId = anna.requestId();
    anna.send({ channel: 'intincall', command: 'callControl', requestId, callKey, action: 'answer' });
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'connected');
    stack.pbx.remoteHangup(call.session);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');

    const { entry, phoneCall } = await recordsOf(stack.admin, callKey);
    expect(entry).toMatchObject({
      [log.fields.number]: CALLER.number, [log.fields.line]: stack.line('21'), [log.fields.direction]: CALL_DIRECTION.incoming, [log.fields.missed]: false,
      [log.fields.outcome]: CALL_OUTCOME.answered,
      [lookupValue(log.fields.user)]: USERS.anna.id,
      // Call log entries stay the manager's.
      [lookupValue('ownerid')]: SERVICE_ACCOUNT_ID,
    });
    expect(entry[log.fields.connected]).toEqual(expect.any(String));
    expect(phoneCall, 'a phone call activity linked from the call log entry').toBeDefined();
    expect(phoneCall).toMatchObject({
      directioncode: false, phonenumber: CALLER.number,
      [lookupValue('ownerid')]: USERS.anna.id, [lookupValue('createdby')]: USERS.anna.id, [lookupValue('createdonbehalfby')]: SERVICE_ACCOUNT_ID,
      [lookupValue('regardingobjectid')]: CALLER.contactId,
    });
  });

  it('a dialled call: the phone call is outgoing and the agent\'s', async () => {
    const requestId = anna.requestId();
    anna.send({ channel: 'intincall', command: 'dial', requestId, line: stack.line('21'), number: '+31 20 794 5011' });
    expect(await anna.next('dialResult', (r) => r.requestId === requestId)).toMatchObject({ ok: true });
    const leg = stack.pbx.activeCalls().find((c) => c.line === '21');
    const callKey = stack.callKey(leg?.callId as string);
    // The far end answers by itself after the PBX's remoteAnswer time.
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'connected');
    stack.pbx.drop(leg?.callId as string);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');

    const { entry, phoneCall } = await recordsOf(stack.admin, callKey);
    expect(entry).toMatchObject({ [log.fields.direction]: CALL_DIRECTION.outgoing, [log.fields.missed]: false, [log.fields.outcome]: CALL_OUTCOME.answered });
    expect(phoneCall).toMatchObject({ directioncode: true, [lookupValue('ownerid')]: USERS.anna.id, [lookupValue('regardingobjectid')]: CALLER.contactId });
  });

  it('a missed call nobody saw: call log entry marked missed, phone call on behalf of the line\'s user', async () => {
    // Lukas (line 22) has no client open.
    const call = stack.pbx.incoming(CALLER, '22');
    const callKey = stack.callKey(call.callIds[0] as string);
    await stack.routed.wait((e) => e.callKey === callKey && e.event.state === 'offering', 'the call to ring');
    stack.pbx.remoteHangup(call.session);
    await stack.routed.wait((e) => e.callKey === callKey && e.event.state === 'idle', 'the call to end');

    const { entry, phoneCall } = await recordsOf(stack.admin, callKey);
    expect(entry).toMatchObject({ [log.fields.direction]: CALL_DIRECTION.incoming, [log.fields.missed]: true, [log.fields.line]: stack.line('22'), [log.fields.outcome]: CALL_OUTCOME.missed });
    expect(entry[log.fields.transferredTo] ?? null).toBeNull();
    expect(entry[log.fields.connected] ?? null).toBeNull();
    expect(phoneCall).toMatchObject({ directioncode: false, [lookupValue('ownerid')]: USERS.lukas.id });
  });
});
