// Issue 7, end to end: the connector link breaks (or the connector restarts)
// in the middle of a call. Every event reaches the manager exactly once and
// in order, and the agent's notification stream goes on to the call's end.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderEvent } from '../../src/connector/line-provider.ts';
import { createSchema, lookupValue } from '../../src/dataverse/schema.ts';
import type { E2eClient } from './support/client.ts';
import { ringFor } from './support/ring.ts';
import { startStack, type Stack } from './support/stack.ts';
import { until } from './support/wait.ts';
import { USERS } from './support/webapi.ts';

let stack: Stack;
let anna: E2eClient;
const DUTCH_CALLER = { number: '0031207945011' };

beforeAll(async () => {
  stack = await startStack({ relay: true });
  await stack.assign('21', 'anna');
  await stack.refreshEntitlements();
  anna = (await stack.signIn('anna')).client;
});

afterEach(async () => {
  await stack.endAllCalls();
});

afterAll(async () => {
  await stack?.stop();
});

const collapse = (states: string[]): string[] => states.filter((s, i) => s !== states[i - 1]);

/** States of one call as the PBX emitted them. */
function pbxStates(callId: string): string[] {
  return stack.pbxEvents.filter((e): e is Extract<ProviderEvent, { type: 'call' }> => e.type === 'call' && e.callId === callId).map((e) => e.state);
}

/** States of one call in the events the manager accepted from the connector's sequence (snapshots excluded). */
function sequencedStates(callKey: string): string[] {
  return stack.routed.filter((e) => e.callKey === callKey && !e.event.snapshot).map((e) => e.event.state);
}

/** Seqs of the connector's sequenced events the manager accepted; none of these tests expects a call end the manager made up. */
function acceptedSeqs(): number[] {
  const sequenced = stack.routed.filter((e) => !e.event.snapshot);
  expect(sequenced.filter((e) => e.synthetic !== undefined)).toEqual([]);
  return sequenced.flatMap((e) => (e.event.seq === undefined ? [] : [e.event.seq]));
}

async function allAcknowledged(): Promise<void> {
  await until(() => {
    const b = stack.connector().stats.buffer;
    return b.ackedSeq === b.lastSeq;
  }, 'the manager to acknowledge every event of the connector');
}

async function linesOnline(online: boolean): Promise<void> {
  await until(() => stack.manager.connectorSide.lines().every((l) => l.connectorOnline === online), `the manager to mark the lines ${online ? 'available' : 'unavailable'}`);
}

/**
 * Exactly once, in order: the manager accepted what the PBX emitted, nothing more, nothing less;
 * the agent's popup saw every state change of the call, and the call ended once.
 */
function expectEveryEventOnce(callKey: string, callId: string): void {
  expect(sequencedStates(callKey)).toEqual(pbxStates(callId));
  const seqs = acceptedSeqs();
  expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
  const seen = anna.notifications(callKey).map((n) => n.state);
  expect(collapse(seen)).toEqual(collapse(pbxStates(callId)));
  expect(seen.filter((s) => s === 'idle')).toHaveLength(1);
}

describe('the connector link breaks mid-call', () => {
  it('events of the outage are replayed once, in order, and the popup follows the call to its end', async () => {
    const { call, callId, callKey } = await ringFor(stack, anna, { number: '0031207945011', name: 'Jan de Vries' }, '21');
    await allAcknowledged();
    const relayedBefore = stack.link?.accepted ?? 0;

    stack.link?.cut();
    await linesOnline(false);
    // While the link is down the agent answers at the phone, holds and resumes: the connector buffers it all.
    stack.pbx.answer(callId);
    stack.pbx.hold(callId);
    stack.pbx.resume(callId);
    expect(stack.connector().stats.buffer.lastSeq).toBeGreaterThan(stack.connector().stats.buffer.ackedSeq);
    stack.link?.restore();

    await linesOnline(true);
    expect(stack.link?.accepted).toBeGreaterThan(relayedBefore);
    await stack.routed.wait((e) => e.callKey === callKey && !e.event.snapshot && e.event.state === 'connected' && sequencedStates(callKey).includes('onhold'), 'the buffered events to be replayed');
    stack.pbx.remoteHangup(call.session);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
    await allAcknowledged();

    expectEveryEventOnce(callKey, callId);
  });
});

describe('acknowledgements are lost with the link', () => {
  it('events the manager already accepted are not taken twice when the connector sends them again', async () => {
    const { call, callId, callKey } = await ringFor(stack, anna, DUTCH_CALLER, '21');
    await allAcknowledged();

    stack.link?.holdReplies();
    stack.pbx.answer(callId);
    stack.pbx.hold(callId);
    stack.pbx.resume(callId);
    // The manager has them (and has acknowledged them), but the connector never hears it.
    await stack.routed.wait((e) => e.callKey === callKey && sequencedStates(callKey).length === 4, 'the manager to receive the events');
    const unacked = stack.connector().stats.buffer;
    expect(unacked.lastSeq - unacked.ackedSeq).toBeGreaterThanOrEqual(3);
    stack.link?.cut();
    await linesOnline(false);
    stack.link?.restore();
    await linesOnline(true);
    await allAcknowledged();
    stack.pbx.remoteHangup(call.session);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
    await allAcknowledged();

    expectEveryEventOnce(callKey, callId);
  });
});

describe('the connector restarts mid-call', () => {
  it('the new connector process is heard from seq 1 again and the call goes on to its end', async () => {
    const { call, callId, callKey } = await ringFor(stack, anna, DUTCH_CALLER, '21');
    stack.pbx.answer(callId);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'connected');
    const routedBefore = stack.routed.items.length;

    await stack.restartConnector();
    await linesOnline(true);
    // A new process starts its sequence afresh; the manager must take its events, not drop them as old seqs.
    stack.pbx.hold(callId);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'onhold');
    stack.pbx.remoteHangup(call.session);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
    await allAcknowledged();

    const after = stack.routed.items.slice(routedBefore).filter((e) => e.callKey === callKey);
    // The new process reports the call it finds (a snapshot), then its own events, each once.
    expect(after.filter((e) => e.event.snapshot).map((e) => e.event.state)).toEqual(['connected']);
    expect(after.filter((e) => !e.event.snapshot).map((e) => e.event.state)).toEqual(['onhold', 'disconnected', 'idle']);
    const seen = anna.notifications(callKey).map((n) => n.state);
    expect(collapse(seen)).toEqual(['offering', 'connected', 'onhold', 'disconnected', 'idle']);
  });
});

// A connector process that starts afresh (no lastAckedSeq) has an empty snapshot and nothing to
// replay. Its `synced` (spec/protocol.md §7.5) tells the manager it has the connector's whole state,
// so the manager ends the call it still tracks with a `disconnected` and an `idle` of its own:
// the popup closes and the call is recorded now, not after the 12-hour silence limit.
describe('the connector restarts and a call ended while it was away', () => {
  it('ends the call for the agent and in the CRM when the new connector process no longer reports it', async () => {
    const { call, callId, callKey } = await ringFor(stack, anna, DUTCH_CALLER, '21');
    stack.pbx.answer(callId);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'connected');

    await stack.connector().stop();
    // Nobody watches the PBX now: the caller hangs up.
    stack.pbx.remoteHangup(call.session);
    expect(stack.pbx.activeCalls()).toEqual([]);
    await stack.startConnector();
    await linesOnline(true);

    const last = await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle', 3_000);
    expect(last.replayed).toBe(false);
    const log = createSchema().callLog;
    await until(async () => (await stack.admin.list(log.entitySet, `$select=${log.fields.callKey}&$filter=${log.fields.callKey} eq '${callKey}'`)).length === 1, 'the call log entry of the call');

    // The manager made the end up: marked as such, without a seq, in the order a real end has.
    const made = stack.routed.filter((e) => e.callKey === callKey && e.synthetic !== undefined);
    expect(made.map((e) => [e.event.state, e.event.reason, e.event.seq, e.synthetic])).toEqual([
      ['disconnected', 'other', undefined, 'connector-no-longer-reports'],
      ['idle', 'other', undefined, 'connector-no-longer-reports'],
    ]);
    expect(collapse(anna.notifications(callKey).map((n) => n.state))).toEqual(['offering', 'connected', 'disconnected', 'idle']);
    expect(anna.notifications(callKey).find((n) => n.state === 'disconnected')?.endedReason).toBe('other');
    // Recorded as an answered call, with the phone call the line's settings ask for, on behalf of the agent.
    const [entry] = await stack.admin.list(log.entitySet, `$filter=${log.fields.callKey} eq '${callKey}'`);
    expect(entry).toMatchObject({ [log.fields.missed]: false, [lookupValue(log.fields.user)]: USERS.anna.id });
    expect(entry?.[log.fields.connected]).toEqual(expect.any(String));
    const phoneCallId = entry?.[lookupValue(log.fields.phoneCall)];
    expect(phoneCallId).toEqual(expect.any(String));
    await until(async () => (await stack.admin.list('phonecalls', `$filter=activityid eq ${String(phoneCallId)}`)).length === 1, 'the phone call of the call');
    expect(stack.logs.some((l) => l.includes('ended by the manager: the connector no longer reports it') && l.includes(callKey))).toBe(true);
  });
});
