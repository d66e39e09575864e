// Issue 14, end to end over real SIP: Kamailio on loopback as the PBX, the
// connector driving extension 25 through its own baresip (the same provider
// factory the CLI uses for Kind = "sip"), and "the world" — another baresip
// with extension 26, the trunk and an external caller — driven by the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sipProviderFromConfig } from '../../src/connector/providers/sip/from-config.ts';
import { SipLineProvider } from '../../src/connector/providers/sip/provider.ts';
import { CALL_DIRECTION, CALL_OUTCOME, createSchema, lookupValue, OPEN_PHONE_CALL } from '../../src/dataverse/schema.ts';
import { GATEWAY_USER, startKamailio, type RunningKamailio } from '../../src/lab/kamailio.ts';
import { account, SIP_AVAILABLE, SIP_MISSING } from '../support/sip-world.ts';
import type { E2eClient } from './support/client.ts';
import { startStack, type Stack } from './support/stack.ts';
import { recordsOf } from './support/records.ts';
import { until } from './support/wait.ts';
import { USERS } from './support/webapi.ts';
import type { ProviderEvent } from '../../src/connector/line-provider.ts';

const schema = createSchema();
const log = schema.callLog;
/** Seeded contact Jan de Vries (+31 20 794 5011), presented by the trunk in international form. */
const CALLER = '0031207945011';

let kamailio: RunningKamailio;
let stack: Stack;
let world: SipLineProvider;
let connectorSip: SipLineProvider | undefined;
let anna: E2eClient;
const worldEvents: ProviderEvent[] = [];

const seenCalls = new Set<string>();
/** The next notification in `state` of a call on 25 this file has not handled yet (the client keeps every message). */
async function newCall(state: string, match: (n: { direction?: string }) => boolean = () => true, timeoutMs = 10_000) {
  const n = await anna.next('callNotification', (m) => m.line === stack.line('25') && m.state === state && !seenCalls.has(m.callKey) && match(m), timeoutMs);
  seenCalls.add(n.callKey);
  return n;
}

const worldCall = (line: string, state: string) =>
  until(() => worldEvents.some((e) => e.type === 'call' && e.line === line && e.state === state), `the world's line ${line} to be ${state}`);

function lastWorldCall(line: string): string {
  const calls = world.activeCalls().filter((c) => c.line === line);
  return calls.at(-1)?.callId as string;
}

describe.skipIf(!SIP_AVAILABLE)('over real SIP (baresip on Kamailio)', () => {
  beforeAll(async () => {
    kamailio = await startKamailio();
    world = new SipLineProvider({
      phones: [{ accounts: ['26', GATEWAY_USER, CALLER].map((u) => account(u, kamailio.domain)) }],
    });
    world.subscribe((e) => worldEvents.push(e));
    await world.open();
    stack = await startStack({
      lines: '25',
      rejectViaDisconnect: 1,
      provider: () => (connectorSip = sipProviderFromConfig({ Kind: 'sip', Phones: [{ Accounts: [account('25', kamailio.domain)] }] })),
    });
    await stack.assign('25', 'anna');
    // The agent's line opens a phone call for every call, outgoing ones too.
    await stack.editLine('25', { [schema.lineConfig.fields.openPhoneCall]: OPEN_PHONE_CALL.always });
    await stack.refreshEntitlements();
    anna = (await stack.signIn('anna')).client;
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await world?.close();
    await kamailio?.stop();
  });

  it('an external call through the trunk pops up for the agent with the CRM contact; answered and hung up, it is logged', async () => {
    await world.makeCall(CALLER, '25');
    const offering = await newCall('offering');
    const callKey = offering.callKey;
    expect(offering.direction).toBe('inbound');
    expect(JSON.stringify(offering)).toContain('Jan');
    anna.send({ channel: 'intincall', command: 'callControl', requestId: anna.requestId(), callKey, action: 'answer' });
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'connected');
    await worldCall(CALLER, 'connected');
    await world.drop(lastWorldCall(CALLER));
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
    const { entry, phoneCall } = await recordsOf(stack.admin, callKey);
    expect(entry).toMatchObject({ [log.fields.number]: CALLER, [log.fields.line]: stack.line('25'), [log.fields.direction]: CALL_DIRECTION.incoming, [log.fields.missed]: false, [log.fields.outcome]: CALL_OUTCOME.answered });
    expect(entry[log.fields.connected]).toEqual(expect.any(String));
    expect(phoneCall).toMatchObject({ directioncode: false, [lookupValue('ownerid')]: USERS.anna.id });
  });

  it('click-to-dial: 25 calls 26, 26 rings, answers and hangs up; the phone call is outgoing', async () => {
    const requestId = anna.requestId();
    anna.send({ channel: 'intincall', command: 'dial', requestId, line: stack.line('25'), number: '26' });
    expect(await anna.next('dialResult', (r) => r.requestId === requestId)).toMatchObject({ ok: true });
    await worldCall('26', 'offering');
    const ringing = await newCall('ringback', (n) => n.direction === 'outbound');
    await world.answer(lastWorldCall('26'));
    await anna.next('callNotification', (n) => n.callKey === ringing.callKey && n.state === 'connected');
    await world.drop(lastWorldCall('26'));
    await anna.next('callNotification', (n) => n.callKey === ringing.callKey && n.state === 'idle');
    const { entry, phoneCall } = await recordsOf(stack.admin, ringing.callKey);
    expect(entry).toMatchObject({ [log.fields.direction]: CALL_DIRECTION.outgoing, [log.fields.missed]: false, [log.fields.number]: '26' });
    expect(phoneCall).toMatchObject({ directioncode: true, [lookupValue('ownerid')]: USERS.anna.id });
  });

  it('call control on the SIP line: hold and resume, consultation refused, blind transfer to 26 who answers; logged as transferred', async () => {
    type Action = 'answer' | 'hold' | 'unhold' | 'consult' | 'transfer';
    const control = async (callKey: string, action: Action, target?: string) => {
      const requestId = anna.requestId();
      anna.send({ channel: 'intincall', command: 'callControl', requestId, callKey, action, ...(target === undefined ? {} : { target }) });
      return anna.next('callControlResult', (r) => r.requestId === requestId);
    };
    await world.makeCall(CALLER, '25');
    const offering = await newCall('offering');
    const callKey = offering.callKey;
    expect(await control(callKey, 'answer')).toMatchObject({ ok: true });
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'connected');
    expect(await control(callKey, 'hold')).toMatchObject({ ok: true });
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'onhold');
    expect(await control(callKey, 'unhold')).toMatchObject({ ok: true });
    await until(() => anna.notifications(callKey).at(-1)?.state === 'connected', 'the call to be connected again');
    // baresip 1.0.0 has no consultation: the line does not list it, and the manager refuses it.
    expect(await control(callKey, 'consult', '26')).toMatchObject({ ok: false, error: { code: 'control-not-supported' } });
    const before = worldEvents.length;
    expect(await control(callKey, 'transfer', '26')).toMatchObject({ ok: true });
    const ringsAt26 = () => worldEvents.slice(before).find((e) => e.type === 'call' && e.line === '26' && e.state === 'offering');
    await until(() => ringsAt26() !== undefined, '26 to ring');
    const at26 = ringsAt26();
    if (at26?.type !== 'call') throw new Error('no call at 26');
    await world.answer(at26.callId);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
    expect(anna.notifications(callKey).find((n) => n.state === 'disconnected')).toMatchObject({ endedReason: 'transferred' });
    const { entry } = await recordsOf(stack.admin, callKey);
    expect(entry[log.fields.name]).toContain('transferred to 26');
    expect(entry).toMatchObject({ [log.fields.outcome]: CALL_OUTCOME.transferred, [log.fields.transferredTo]: '26' });
    await world.drop(at26.callId);
  });

  it('a call rejected while ringing: the caller hears 486, the agent\'s popup ends, nothing connected', async () => {
    const before = worldEvents.length;
    await world.makeCall('26', '25');
    const offering = await newCall('offering');
    anna.send({ channel: 'intincall', command: 'callControl', requestId: anna.requestId(), callKey: offering.callKey, action: 'reject' });
    await anna.next('callNotification', (n) => n.callKey === offering.callKey && n.state === 'idle');
    await until(() => worldEvents.slice(before).some((e) => e.type === 'call' && e.line === '26' && e.state === 'idle'), `the caller to give up: ${JSON.stringify(worldEvents.slice(before))}`);
    const end = worldEvents.slice(before).find((e) => e.type === 'call' && e.line === '26' && e.state === 'disconnected');
    expect(end).toMatchObject({ reason: 'rejected' });
  });

  it('a call to an unknown extension: 404, the dialled call ends as unreachable', async () => {
    const requestId = anna.requestId();
    anna.send({ channel: 'intincall', command: 'dial', requestId, line: stack.line('25'), number: '29' });
    expect(await anna.next('dialResult', (r) => r.requestId === requestId)).toMatchObject({ ok: true });
    const idle = await newCall('idle', (n) => n.direction === 'outbound');
    const routedEnd = stack.routed.items.find((e) => e.callKey === idle.callKey && e.event.state === 'disconnected');
    expect(routedEnd?.event, JSON.stringify(stack.routed.items.filter((e) => e.callKey === idle.callKey))).toMatchObject({ reason: 'unreachable' });
  });

  it('baresip killed mid-call: the call ends, the line goes out of service, and comes back when baresip is restarted', async () => {
    await world.makeCall(CALLER, '25');
    const offering = await newCall('offering');
    anna.send({ channel: 'intincall', command: 'callControl', requestId: anna.requestId(), callKey: offering.callKey, action: 'answer' });
    await anna.next('callNotification', (n) => n.callKey === offering.callKey && n.state === 'connected');
    const [pid] = connectorSip?.pids() ?? [];
    expect(pid).toBeGreaterThan(0);
    process.kill(pid as number, 'SIGKILL');
    await anna.next('callNotification', (n) => n.callKey === offering.callKey && n.state === 'idle');
    await until(() => stack.manager.connectorSide.lines().some((l) => l.line === stack.line('25') && !l.inService), 'line 25 out of service', 10_000);
    await until(() => stack.manager.connectorSide.lines().some((l) => l.line === stack.line('25') && l.inService), 'line 25 back in service', 20_000);
    expect(connectorSip?.pids()[0]).not.toBe(pid);
    // The far end of the broken call: hang it up so the next test starts clean.
    for (const c of world.activeCalls()) await world.drop(c.callId).catch(() => undefined);
  });

  it('Kamailio restarted: its registrations are gone, the phones register again and the line carries calls again', async () => {
    const port = kamailio.port;
    await kamailio.stop();
    kamailio = await startKamailio({ port });
    // A fresh registrar knows nobody until the phones refresh their registration (every LAB_REGINT seconds).
    let offering: Awaited<ReturnType<typeof newCall>> | undefined;
    const refusedBefore = worldEvents.filter((e) => e.type === 'call' && e.state === 'disconnected' && e.reason === 'unreachable').length;
    const deadline = Date.now() + 30_000;
    while (offering === undefined && Date.now() < deadline) {
      await world.makeCall('26', '25');
      offering = await newCall('offering', () => true, 1_000).catch(() => undefined);
    }
    expect(offering, 'line 25 rings again after the phones re-registered').toBeDefined();
    const refused = worldEvents.filter((e) => e.type === 'call' && e.state === 'disconnected' && e.reason === 'unreachable').length - refusedBefore;
    expect(refused, 'calls before the re-registration got 404 from the empty registrar').toBeGreaterThan(0);
    for (const c of world.activeCalls()) await world.drop(c.callId).catch(() => undefined);
    await anna.next('callNotification', (n) => n.callKey === (offering as { callKey: string }).callKey && n.state === 'idle', 10_000);
  }, 60_000);
});

if (!SIP_AVAILABLE) {
  describe('over real SIP', () => {
    it.skip(SIP_MISSING, () => undefined);
  });
}
