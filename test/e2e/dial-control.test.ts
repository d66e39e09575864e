// Issue 7, end to end: click-to-dial through the dialing rules to the PBX,
// refused on a line that is not yours; rejecting a ringing call with the
// connector's RejectViaDisconnect on and off.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CALL_OUTCOME, createSchema } from '../../src/dataverse/schema.ts';
import type { E2eClient } from './support/client.ts';
import { recordsOf } from './support/records.ts';
import { ringFor } from './support/ring.ts';
import { startStack, type Stack } from './support/stack.ts';
import { until } from './support/wait.ts';

const f = createSchema().lineConfig.fields;
let stack: Stack;
let anna: E2eClient;

/** What the simulated PBX's control endpoint lists as active calls (its own HTTP API, as an operator would look). */
async function pbxCalls(): Promise<{ callId: string; line: string; state: string; origin: string; called?: { number: string } }[]> {
  const res = await fetch(`${stack.control.url}/calls`);
  return (await res.json()) as { callId: string; line: string; state: string; origin: string; called?: { number: string } }[];
}

beforeAll(async () => {
  stack = await startStack({ rejectViaDisconnect: 1 });
  await stack.assign('23', 'anna');
  await stack.assign('24', 'lukas');
  // An admin sets the phone's dialing rules: outside line 0, area code 341 (Leipzig); country 49 comes from the default record.
  await stack.editLine('23', { [f.outsideLinePrefix]: '0', [f.areaCode]: '341' });
  await stack.refreshEntitlements();
  const a = await stack.signIn('anna');
  expect(a.welcome.lines).toHaveLength(1);
  expect(a.welcome.lines[0]?.dialing).toMatchObject({ outsideLinePrefix: '0', areaCode: '341', countryCode: '49' });
  anna = a.client;
});

afterEach(async () => {
  await stack.endAllCalls();
});

afterAll(async () => {
  await stack?.stop();
});

describe('click-to-dial', () => {
  it.each([
    ['+49 (0)30 1234567', '00301234567', 'another area: outside line + national form'],
    ['0341 / 123 45 67', '01234567', 'own area: outside line + subscriber number'],
    ['+44 20 7946 0958', '000442079460958', 'abroad: outside line + international form'],
  ])('converts %s with the line\'s rules and the PBX dials %s (%s)', async (typed, dialString, _why) => {
    const requestId = anna.requestId();
    anna.send({ channel: 'intincall', command: 'dial', requestId, line: stack.line('23'), number: typed });
    const result = await anna.next('dialResult', (r) => r.requestId === requestId);
    expect(result).toMatchObject({ ok: true, dialString });
    const calls = await pbxCalls();
    expect(calls.filter((c) => c.line === '23')).toEqual([expect.objectContaining({ origin: 'outbound', called: expect.objectContaining({ number: dialString }) })]);
    // The dialled call also reaches the agent as an outgoing notification.
    const callKey = stack.callKey(calls.find((c) => c.line === '23')?.callId as string);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.direction === 'outbound');
  });

  it('refuses a line that is not yours, and the PBX dials nothing', async () => {
    const requestId = anna.requestId();
    anna.send({ channel: 'intincall', command: 'dial', requestId, line: stack.line('24'), number: '+49 30 1234567' });
    const result = await anna.next('dialResult', (r) => r.requestId === requestId);
    expect(result).toMatchObject({ ok: false, error: { code: 'line-not-entitled' } });
    expect(await pbxCalls()).toEqual([]);
  });

  it('refuses what is not a phone number', async () => {
    const requestId = anna.requestId();
    anna.send({ channel: 'intincall', command: 'dial', requestId, line: stack.line('23'), number: '1-800-FLOWERS' });
    expect(await anna.next('dialResult', (r) => r.requestId === requestId)).toMatchObject({ ok: false, error: { code: 'not-a-phone-number' } });
    expect(await pbxCalls()).toEqual([]);
  });

  it('audits every dial request in the CRM event log', async () => {
    const eventLog = createSchema().eventLog;
    await until(async () => {
      const rows = await stack.admin.list(eventLog.entitySet, `$select=${eventLog.fields.message}&$filter=contains(${eventLog.fields.message},'1-800-FLOWERS')`);
      return rows.length === 1;
    }, 'the refused dial to appear in the event log');
  });
});

describe('reject', () => {
  it('ends a ringing call when the connector allows it (RejectViaDisconnect = 1)', async () => {
    stack.connector().applyLiveSettings({ ConnectionKeepAliveIntervall: 20, RejectViaDisconnect: true });
    const { callId, callKey } = await ringFor(stack, anna, { number: '+49 30 1234567' }, '23');
    const requestId = anna.requestId();
    anna.send({ channel: 'intincall', command: 'callControl', requestId, callKey, action: 'reject' });
    expect(await anna.next('callControlResult', (r) => r.requestId === requestId)).toEqual({ channel: 'intincall', command: 'callControlResult', requestId, ok: true });
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
    expect(stack.pbxEvents.filter((e) => e.type === 'call' && e.callId === callId && e.state === 'disconnected')).toEqual([expect.objectContaining({ reason: 'rejected' })]);
    expect(stack.pbx.activeCalls()).toEqual([]);
    // Seen and turned away, not missed: the records say so too.
    const log = createSchema().callLog.fields;
    const { entry, phoneCall } = await recordsOf(stack.admin, callKey);
    expect(entry).toMatchObject({ [log.missed]: false, [log.outcome]: CALL_OUTCOME.rejected });
    expect(phoneCall?.subject).toMatch(/^Rejected call from /);
  });

  it('is refused with a clear error when the connector does not allow it (RejectViaDisconnect = 0), and the call rings on', async () => {
    stack.connector().applyLiveSettings({ ConnectionKeepAliveIntervall: 20, RejectViaDisconnect: false });
    const { callId, callKey } = await ringFor(stack, anna, { number: '+49 30 1234567' }, '23');
    const requestId = anna.requestId();
    anna.send({ channel: 'intincall', command: 'callControl', requestId, callKey, action: 'reject' });
    const result = await anna.next('callControlResult', (r) => r.requestId === requestId);
    expect(result).toMatchObject({ ok: false, error: { code: 'pbx-refused' } });
    expect(result.error?.message).toMatch(/RejectViaDisconnect/);
    expect(stack.pbx.activeCalls()).toEqual([expect.objectContaining({ callId, state: 'offering' })]);
  });

  it('refuses to control a call on a line that is not yours', async () => {
    const call = stack.pbx.incoming({ number: '+49 30 1234567' }, '24');
    const callId = call.callIds[0] as string;
    const callKey = stack.callKey(callId);
    await stack.routed.wait((e) => e.callKey === callKey, 'the call on line 24 to reach the manager');
    const requestId = anna.requestId();
    anna.send({ channel: 'intincall', command: 'callControl', requestId, callKey, action: 'drop' });
    expect(await anna.next('callControlResult', (r) => r.requestId === requestId)).toMatchObject({ ok: false, error: { code: 'line-not-entitled' } });
    expect(stack.pbx.activeCalls()).toEqual([expect.objectContaining({ callId, state: 'offering' })]);
  });
});
