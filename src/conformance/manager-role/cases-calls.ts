// Manager role, the call flow end to end: call events in every TAPI state to
// notifications of the entitled user, commands and their results, duplicates,
// and what a reconnect (of the connector or of the client) must deliver.
// Every case here needs a proven client entitled to one of the suite's lines.
import type { CallControlResultMessage, CallNotificationMessage, CallState, CallStateMessage, DialResultMessage, MakeCallMessage, TapiMessage } from '../../protocol/index.ts';
import { check, type Case, type CaseTools } from '../case.ts';
import type { ManagerContext } from './context.ts';
import { callState, entitledLine, notificationOf, notificationsFor, playConnector, sendEvent, signIn, type PlayedConnector, type SignedIn } from './play.ts';

type C = Case<ManagerContext>;
const NEEDS = ['proof', 'entitled-line'] as const;

interface World {
  connector: PlayedConnector;
  client: SignedIn;
  line: string;
}

async function world(ctx: ManagerContext, t: CaseTools): Promise<World> {
  const connector = await playConnector(ctx, t);
  const client = await signIn(ctx, t);
  return { connector, client, line: entitledLine(ctx, client.welcome) };
}

/** Plays `states` of one call and returns the notifications the client got for each, in order. */
/** A call rings and reaches the client; then the connector's connection is gone (the replay cases start here). */
async function ringThenLoseConnector(ctx: ManagerContext, t: CaseTools): Promise<{ w: World; number: string; ring: CallStateMessage }> {
  const w = await world(ctx, t);
  const number = ctx.uniqueNumber();
  const ring = callState(ctx, w.line, ctx.unique('k'), 'offering', { callerNumber: number });
  await sendEvent(ctx, w.connector.peer, ring);
  await notificationOf(ctx, w.client.peer, w.line, number, 'offering', 'the offering notification');
  w.connector.peer.destroy();
  await w.connector.peer.closed;
  return { w, number, ring };
}

async function playCall(ctx: ManagerContext, t: CaseTools, w: World, states: readonly CallState[], extra: Partial<CallStateMessage> = {}): Promise<CallNotificationMessage[]> {
  const number = extra.callerNumber ?? extra.calledNumber ?? ctx.uniqueNumber();
  const callId = ctx.unique('k');
  const got: CallNotificationMessage[] = [];
  for (const state of states) {
    t.step(`call ${callId}: ${state}`);
    const e = callState(ctx, w.line, callId, state, { callerNumber: number, ...extra, ...(state === 'disconnected' ? { reason: extra.origin === 'outbound' ? 'calleeHungUp' as const : 'callerHungUp' as const } : {}) });
    await sendEvent(ctx, w.connector.peer, e);
    got.push(await notificationOf(ctx, w.client.peer, w.line, extra.calledNumber ?? number, state, `callNotification(${state}) for call ${callId}`));
  }
  // The call goes idle so no case leaves a call behind at the manager.
  await sendEvent(ctx, w.connector.peer, callState(ctx, w.line, callId, 'idle', { callerNumber: number, ...extra }));
  return got;
}

async function answer(ctx: ManagerContext, w: World, command: MakeCallMessage['command'] | 'drop' | 'answer' | 'reject', ok: boolean, what: string): Promise<Extract<TapiMessage, { requestId: string }>> {
  const c = await w.connector.peer.inbox.expect<Extract<TapiMessage, { channel: 'connector'; requestId: string }>>((m) => m.command === command, what, ctx.target.replyMs);
  w.connector.peer.send(ok
    ? { channel: 'connector', command: 'result', requestId: c.requestId, ok: true }
    : { channel: 'connector', command: 'result', requestId: c.requestId, ok: false, error: { code: 'provider-down', message: 'the conformance suite refuses this command' } });
  return c;
}

export const CALL_CASES: C[] = [
  {
    id: 'M-CALL-01', group: 'calls', clause: '§7.2', level: 'MUST', needs: NEEDS,
    title: 'an incoming call rings as callNotification(offering, inbound) with the number exactly as sent',
    async run(ctx, t) {
      const w = await world(ctx, t);
      const number = `0${ctx.uniqueNumber()}`;
      const [n] = await playCall(ctx, t, w, ['offering'], { callerNumber: number });
      check(n?.direction === 'inbound', `direction is ${n?.direction}, not inbound`);
      check(n.replayed === false, 'a live notification is marked replayed');
      check(!(n.e164 !== undefined && n.extension !== undefined), 'e164 and extension both present (§3: never both)');
    },
  },
  {
    id: 'M-CALL-02', group: 'calls', clause: '§7.2', level: 'MUST', needs: NEEDS,
    title: 'every state of an incoming call (offering, accepted, connected, onhold, connected, disconnected) reaches the client in order with one call key',
    async run(ctx, t) {
      const w = await world(ctx, t);
      const got = await playCall(ctx, t, w, ['offering', 'accepted', 'connected', 'onhold', 'connected', 'disconnected']);
      const keys = new Set(got.map((n) => n.callKey));
      check(keys.size === 1, `one call arrived under ${keys.size} call keys: ${[...keys].join(', ')}`);
      check(got[5]?.endedReason === 'callerHungUp', `the disconnected notification says endedReason ${got[5]?.endedReason ?? '(none)'}, not callerHungUp`);
    },
  },
  {
    id: 'M-CALL-03', group: 'calls', clause: '§7.2, §7.3', level: 'MUST', needs: NEEDS,
    title: 'every state of an outgoing call (dialtone, dialing, proceeding, ringback, connected, disconnected) reaches the client as direction outbound',
    async run(ctx, t) {
      const w = await world(ctx, t);
      const got = await playCall(ctx, t, w, ['dialtone', 'dialing', 'proceeding', 'ringback', 'connected', 'disconnected'], { origin: 'outbound', calledNumber: ctx.uniqueNumber() });
      const wrong = got.filter((n) => n.direction !== 'outbound');
      check(wrong.length === 0, `${wrong.length} notification(s) of an outgoing call are not direction outbound`);
    },
  },
  {
    id: 'M-CALL-04', group: 'calls', clause: '§7.2', level: 'MUST', needs: NEEDS,
    title: 'every notification of one call to one user carries the same phoneCallId',
    async run(ctx, t) {
      const w = await world(ctx, t);
      const got = await playCall(ctx, t, w, ['offering', 'connected', 'disconnected']);
      const ids = new Set(got.map((n) => n.phoneCallId));
      check(!ids.has(undefined), 'a callNotification carries no phoneCallId');
      check(ids.size === 1, `one call's notifications name ${ids.size} phoneCallIds`);
    },
  },
  {
    id: 'M-CALL-05', group: 'calls', clause: '§7.5', level: 'MUST', needs: NEEDS,
    title: 'an event sent again with a seq the manager already acknowledged is ignored (no second ring)',
    async run(ctx, t) {
      const w = await world(ctx, t);
      const number = ctx.uniqueNumber();
      const ring = callState(ctx, w.line, ctx.unique('k'), 'offering', { callerNumber: number });
      await sendEvent(ctx, w.connector.peer, ring);
      const first = await notificationOf(ctx, w.client.peer, w.line, number, 'offering', 'the first offering notification');
      w.connector.peer.send(ring);
      const end = callState(ctx, w.line, ring.callId, 'disconnected', { callerNumber: number, reason: 'callerHungUp' });
      await sendEvent(ctx, w.connector.peer, end);
      await notificationOf(ctx, w.client.peer, w.line, number, 'disconnected', 'the disconnected notification');
      const rings = notificationsFor(w.client.peer, first.callKey).filter((n) => n.state === 'offering');
      check(rings.length === 1, `the duplicate seq ${ring.seq} rang again (${rings.length} offering notifications)`);
    },
  },
  {
    id: 'M-CMD-01', group: 'commands', clause: '§7.3', level: 'MUST', needs: NEEDS,
    title: 'dial on an entitled line becomes makeCall on the connector; its result comes back as dialResult with the same requestId',
    async run(ctx, t) {
      const w = await world(ctx, t);
      const requestId = ctx.unique('d-');
      w.client.peer.send({ channel: 'intincall', command: 'dial', requestId, line: ctx.fullLine(w.line), number: '+49 30 1234567' });
      const mc = (await answer(ctx, w, 'makeCall', true, '`makeCall` for the dial')) as MakeCallMessage;
      check(mc.line === w.line, `makeCall names line "${mc.line}", not the connector's own name "${w.line}"`);
      check(mc.dialString.length > 0, 'makeCall has an empty dial string');
      const r = await w.client.peer.inbox.expect<DialResultMessage>((m) => m.command === 'dialResult' && m.requestId === requestId, `dialResult for ${requestId}`, ctx.target.replyMs);
      check(r.ok, `dialResult ok=false (${r.error?.code ?? ''}) although the connector answered ok`);
    },
  },
  {
    id: 'M-CMD-02', group: 'commands', clause: '§7.3', level: 'MUST', needs: NEEDS,
    title: 'a connector refusing makeCall gives dialResult ok=false with an error',
    async run(ctx, t) {
      const w = await world(ctx, t);
      const requestId = ctx.unique('d-');
      w.client.peer.send({ channel: 'intincall', command: 'dial', requestId, line: ctx.fullLine(w.line), number: '+49 30 1234567' });
      await answer(ctx, w, 'makeCall', false, '`makeCall` for the dial');
      const r = await w.client.peer.inbox.expect<DialResultMessage>((m) => m.command === 'dialResult' && m.requestId === requestId, `dialResult for ${requestId}`, ctx.target.replyMs);
      check(!r.ok && r.error !== undefined, 'the manager reported a refused makeCall as a successful dial');
    },
  },
  {
    id: 'M-CMD-03', group: 'commands', clause: '§7.4', level: 'MUST', needs: NEEDS,
    title: 'callControl drop on a ringing call becomes drop(callId) on the connector and comes back as callControlResult',
    async run(ctx, t) {
      const w = await world(ctx, t);
      const number = ctx.uniqueNumber();
      const ring = callState(ctx, w.line, ctx.unique('k'), 'offering', { callerNumber: number });
      await sendEvent(ctx, w.connector.peer, ring);
      const n = await notificationOf(ctx, w.client.peer, w.line, number, 'offering', 'the offering notification');
      const requestId = ctx.unique('c-');
      w.client.peer.send({ channel: 'intincall', command: 'callControl', requestId, callKey: n.callKey, action: 'drop' });
      const drop = (await answer(ctx, w, 'drop', true, '`drop` for the callControl')) as Extract<TapiMessage, { command: 'drop' }>;
      check(drop.callId === ring.callId, `drop names call ${drop.callId}, not ${ring.callId}`);
      const r = await w.client.peer.inbox.expect<CallControlResultMessage>((m) => m.command === 'callControlResult' && m.requestId === requestId, `callControlResult for ${requestId}`, ctx.target.replyMs);
      check(r.ok, `callControlResult ok=false (${r.error?.code ?? ''}) although the connector answered ok`);
      await sendEvent(ctx, w.connector.peer, callState(ctx, w.line, ring.callId, 'idle'));
    },
  },
  {
    id: 'M-RPL-02', group: 'replay', clause: '§7.5', level: 'MUST', needs: NEEDS,
    title: 'after a connector reconnect, events above registered.lastAckedSeq reach the client once, in order',
    async run(ctx, t) {
      const { w, number, ring } = await ringThenLoseConnector(ctx, t);
      t.step('reconnecting with the buffered events');
      const again = await playConnector(ctx, t, { synced: false });
      again.peer.send({ ...ring, seq: ctx.seq, snapshot: true, state: 'connected' });
      again.peer.send(ring);
      const connected = callState(ctx, w.line, ring.callId, 'connected', { callerNumber: number });
      const ended = callState(ctx, w.line, ring.callId, 'disconnected', { callerNumber: number, reason: 'callerHungUp' });
      again.peer.send(connected);
      await sendEvent(ctx, again.peer, ended);
      again.peer.send({ channel: 'connector', command: 'synced', snapshotSeq: ctx.seq, activeCalls: 1 });
      const d = await notificationOf(ctx, w.client.peer, w.line, number, 'disconnected', 'the disconnected notification after the reconnect');
      const states = notificationsFor(w.client.peer, d.callKey).map((n) => n.state);
      check(states.filter((s) => s === 'offering').length === 1, `the replayed offering (seq ${ring.seq}, already acknowledged) rang again: ${states.join(', ')}`);
      check(states.indexOf('disconnected') > states.lastIndexOf('connected') || !states.includes('connected'), `out of order: ${states.join(', ')}`);
    },
  },
  {
    id: 'M-RPL-03', group: 'replay', clause: '§7.5', level: 'MUST', needs: NEEDS,
    title: 'a call that rang and ended while the user had no client is delivered (replayed=true) when the client comes back',
    async run(ctx, t) {
      const w = await world(ctx, t);
      w.client.peer.close();
      await w.client.peer.closed;
      const number = ctx.uniqueNumber();
      const ring = callState(ctx, w.line, ctx.unique('k'), 'offering', { callerNumber: number });
      await sendEvent(ctx, w.connector.peer, ring);
      await sendEvent(ctx, w.connector.peer, callState(ctx, w.line, ring.callId, 'disconnected', { callerNumber: number, reason: 'callerHungUp' }));
      await sendEvent(ctx, w.connector.peer, callState(ctx, w.line, ring.callId, 'idle', { callerNumber: number }));
      t.step('signing in again');
      const back = await signIn(ctx, t, w.client.clientInstanceId);
      const n = await back.peer.inbox.expect<CallNotificationMessage>((m) => m.command === 'callNotification' && m.number === number, `a notification of the missed call from ${number}`, ctx.target.replyMs);
      check(n.replayed, 'the missed call was delivered without replayed=true');
    },
  },
  {
    id: 'M-RPL-04', group: 'replay', clause: '§7.5 synced', level: 'SHOULD', needs: NEEDS,
    title: 'on synced, a call the connector no longer reports is ended (the client gets disconnected)',
    async run(ctx, t) {
      const { w, number } = await ringThenLoseConnector(ctx, t);
      t.step('reconnecting without the call in the snapshot');
      await playConnector(ctx, t);
      await notificationOf(ctx, w.client.peer, w.line, number, 'disconnected', 'a disconnected notification for the call the connector no longer reports');
    },
  },
];
