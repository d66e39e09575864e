// A line two users share (the manual's shared line: a second user line record
// for the same phone): the call one of them dials, or the consultation one of
// them sets up, is that user's. The connector names the call its makeCall or
// consult placed (protocol 1.2), the manager notes the dialler under it, and
// the records at the call's end are the dialler's — under the phoneCallId the
// dialler's client was sent, so the phone call the client created stays the
// one record. Through the production composition: real connector service on
// the simulated PBX, real manager, simulated Dataverse.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSchema, lookupValue, OPEN_PHONE_CALL } from '../../src/dataverse/schema.ts';
import { phoneCallIdOf } from '../../src/manager/records/ids.ts';
import type { E2eClient } from './support/client.ts';
import { recordsOf } from './support/records.ts';
import { startStack, type Stack } from './support/stack.ts';
import { USERS } from './support/webapi.ts';

const schema = createSchema();
const log = schema.callLog;
const NUMBER = '+31 20 794 5011';
let stack: Stack;
let lukas: E2eClient;

beforeAll(async () => {
  stack = await startStack({ timing: { remoteAnswerMs: 200 } });
  // Anna's record of line 25 is the older one: without the dialler, a call placed on the line would be hers.
  await stack.assign('25', 'anna');
  await stack.assign('25', 'lukas');
  await stack.editLine('25', { [schema.lineConfig.fields.openPhoneCall]: OPEN_PHONE_CALL.always });
  await stack.refreshEntitlements();
  lukas = (await stack.signIn('lukas')).client;
});

afterEach(async () => {
  await stack.endAllCalls();
});

afterAll(async () => {
  await stack?.stop();
});

async function phoneCalls(id: string): Promise<number> {
  return (await stack.admin.list('phonecalls', `$select=activityid&$filter=activityid eq ${id}`)).length;
}

describe('a call placed on a shared line', () => {
  it('is the dialler\'s: one phone call, the one the dialler\'s client created, and the call log names the dialler', async () => {
    const requestId = lukas.requestId();
    lukas.send({ channel: 'intincall', command: 'dial', requestId, line: stack.line('25'), number: NUMBER });
    expect(await lukas.next('dialResult', (r) => r.requestId === requestId)).toMatchObject({ ok: true });
    const leg = stack.pbx.activeCalls().find((c) => c.line === '25');
    const callKey = stack.callKey(leg?.callId as string);
    const shown = await lukas.next('callNotification', (n) => n.callKey === callKey && n.state === 'connected');
    expect(shown.phoneCallId).toBe(phoneCallIdOf(callKey, USERS.lukas.id));
    // What Lukas's client does when it opens the phone call: create it as Lukas, under that id.
    const own = await stack.user('lukas');
    await own.create('phonecalls', { activityid: shown.phoneCallId, subject: 'Typed by Lukas', phonenumber: NUMBER, directioncode: true });
    stack.pbx.drop(leg?.callId as string);
    await lukas.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');

    const { entry, phoneCall } = await recordsOf(stack.admin, callKey);
    expect(entry).toMatchObject({ [lookupValue(log.fields.user)]: USERS.lukas.id, [lookupValue(log.fields.phoneCall)]: shown.phoneCallId });
    // The manager wrote only the time fields into Lukas's record; no second record for the line's older owner.
    expect(phoneCall).toMatchObject({ activityid: shown.phoneCallId, subject: 'Typed by Lukas', [lookupValue('ownerid')]: USERS.lukas.id });
    expect(phoneCall?.actualend).toEqual(expect.any(String));
    expect(await phoneCalls(phoneCallIdOf(callKey, USERS.anna.id))).toBe(0);
  });

  it('a consultation is the consulting user\'s, also on a call the line\'s older owner would otherwise get', async () => {
    const call = stack.pbx.incoming({ number: '0031207945012' }, '25');
    const callKey = stack.callKey(call.callIds[0] as string);
    await lukas.next('callNotification', (n) => n.callKey === callKey && n.state === 'offering');
    const answer = lukas.requestId();
    lukas.send({ channel: 'intincall', command: 'callControl', requestId: answer, callKey, action: 'answer' });
    expect(await lukas.next('callControlResult', (r) => r.requestId === answer)).toMatchObject({ ok: true });
    await lukas.next('callNotification', (n) => n.callKey === callKey && n.state === 'connected');
    const consult = lukas.requestId();
    lukas.send({ channel: 'intincall', command: 'callControl', requestId: consult, callKey, action: 'consult', target: NUMBER });
    expect(await lukas.next('callControlResult', (r) => r.requestId === consult)).toMatchObject({ ok: true });
    const consultation = await lukas.next('callNotification', (n) => n.consultationOf === callKey);
    const cancel = lukas.requestId();
    lukas.send({ channel: 'intincall', command: 'callControl', requestId: cancel, callKey, action: 'cancelConsult' });
    expect(await lukas.next('callControlResult', (r) => r.requestId === cancel)).toMatchObject({ ok: true });
    await lukas.next('callNotification', (n) => n.callKey === consultation.callKey && n.state === 'idle');

    const { entry, phoneCall } = await recordsOf(stack.admin, consultation.callKey);
    expect(entry).toMatchObject({ [lookupValue(log.fields.user)]: USERS.lukas.id });
    expect(phoneCall).toMatchObject({ activityid: phoneCallIdOf(consultation.callKey, USERS.lukas.id), directioncode: true, [lookupValue('ownerid')]: USERS.lukas.id });
    expect(await phoneCalls(phoneCallIdOf(consultation.callKey, USERS.anna.id))).toBe(0);
  });
});
