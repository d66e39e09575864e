// The suite's moves for the call-control cases of the manager role (§7.7):
// a connector whose lines list their controls, a proven client, a connected
// call, a client's `callControl` and the connector command it must (or must
// not) become, answered as a connector would.
import { CALL_CONTROLS, type CallControl, type CallControlAction, type CallControlResultMessage, type CallEndReason, type CallNotificationMessage, type CallState, type TapiMessage, type WireError } from '../../protocol/index.ts';
import { check, fail, type CaseTools } from '../case.ts';
import { sleep } from '../scope.ts';
import type { ManagerContext } from './context.ts';
import { callState, entitledLine, playConnector, sendEvent, signIn, type PlayedConnector, type SignedIn } from './play.ts';

export const ALL_CONTROLS: readonly CallControl[] = CALL_CONTROLS;

export interface CcWorld {
  connector: PlayedConnector;
  client: SignedIn;
  /** The entitled line (connector-local name). */
  line: string;
}

/** A connector whose every line lists `controls` (undefined: an older connector that does not say), and a proven client. */
export async function ccWorld(ctx: ManagerContext, t: CaseTools, controls: readonly CallControl[] | undefined = ALL_CONTROLS): Promise<CcWorld> {
  const connector = await playConnector(ctx, t, controls === undefined ? {} : { controls });
  const client = await signIn(ctx, t);
  return { connector, client, line: entitledLine(ctx, client.welcome) };
}

export interface LiveCall {
  callId: string;
  callKey: string;
  number: string;
}

/** A notification of call `callKey` in `state`, from index `from` of the client's inbox. */
export function stateOf(ctx: ManagerContext, w: CcWorld, callKey: string, state: CallState, what: string, from = 0): Promise<CallNotificationMessage> {
  return w.client.peer.inbox.expect<CallNotificationMessage>(
    (m) => m.command === 'callNotification' && m.callKey === callKey && m.state === state, what, ctx.target.replyMs, { from, keepCursor: true },
  );
}

/** An incoming call on the entitled line, answered: the client saw it connected. */
export async function connectedCall(ctx: ManagerContext, t: CaseTools, w: CcWorld): Promise<LiveCall> {
  const number = ctx.uniqueNumber();
  const callId = ctx.unique('k');
  const from = w.client.peer.inbox.messages.length;
  t.step(`call ${callId} rings and is answered`);
  await sendEvent(ctx, w.connector.peer, callState(ctx, w.line, callId, 'offering', { callerNumber: number }));
  await sendEvent(ctx, w.connector.peer, callState(ctx, w.line, callId, 'connected', { callerNumber: number }));
  const n = await w.client.peer.inbox.expect<CallNotificationMessage>(
    (m) => m.command === 'callNotification' && m.number === number && m.state === 'connected', `callNotification(connected) of call ${callId}`, ctx.target.replyMs, { from, keepCursor: true },
  );
  return { callId, callKey: n.callKey, number };
}

/** The connector reports `state` of one of its calls (and waits for the manager's ack). */
export async function report(ctx: ManagerContext, w: CcWorld, call: LiveCall, state: CallState, extra: { reason?: CallEndReason; consultationOf?: string } = {}): Promise<void> {
  await sendEvent(ctx, w.connector.peer, callState(ctx, w.line, call.callId, state, { callerNumber: call.number, ...extra }));
}

/** Ends a call at the connector (disconnected, then idle), so no case leaves one behind. */
export async function hangUp(ctx: ManagerContext, w: CcWorld, call: LiveCall, reason: CallEndReason = 'callerHungUp'): Promise<void> {
  await report(ctx, w, call, 'disconnected', { reason });
  await report(ctx, w, call, 'idle');
}

export interface Sent {
  requestId: string;
  /** Index of the connector's inbox when the control was sent: commands from here on answer it. */
  connectorFrom: number;
  result(): Promise<CallControlResultMessage>;
}

/**
 * The client sends `callControl`. A manager may refuse a target with
 * `rate-limited` (targets take the dial path, §7.7): the suite waits and asks
 * again, up to three times, as an agent would.
 */
export async function control(ctx: ManagerContext, t: CaseTools, w: CcWorld, callKey: string, action: CallControlAction, target?: string): Promise<Sent> {
  for (let attempt = 0; ; attempt += 1) {
    const requestId = ctx.unique('c-');
    const connectorFrom = w.connector.peer.inbox.messages.length;
    const clientFrom = w.client.peer.inbox.messages.length;
    t.step(`callControl ${action}${target === undefined ? '' : ` ${target}`}`);
    w.client.peer.send({ channel: 'intincall', command: 'callControl', requestId, callKey, action, ...(target === undefined ? {} : { target }) });
    const result = (): Promise<CallControlResultMessage> => w.client.peer.inbox.expect<CallControlResultMessage>(
      (m) => m.command === 'callControlResult' && m.requestId === requestId, `callControlResult for ${action} (${requestId})`, ctx.target.replyMs, { from: clientFrom, keepCursor: true },
    );
    if (target === undefined || attempt === 3) return { requestId, connectorFrom, result };
    // Only a targeted action can meet the rate limit; whether it did shows before any command.
    const first = await Promise.race([result(), w.connector.peer.inbox.expect(isCallCommand(), 'a command', ctx.target.replyMs, { from: connectorFrom, keepCursor: true })]);
    if (first.command !== 'callControlResult' || first.ok || first.error?.code !== 'rate-limited') return { requestId, connectorFrom, result };
    t.note(`${action} met the manager's rate limit; asked again after 6 s`);
    await sleep(6_000, t.signal);
  }
}

function isCallCommand(): (m: TapiMessage) => boolean {
  return (m) => m.channel === 'connector' && 'requestId' in m && 'callId' in m;
}

/** The connector command the control became; answered ok or with `error`. */
export async function carry<K extends CallControlAction>(ctx: ManagerContext, w: CcWorld, sent: Sent, command: K, reply: true | WireError = true): Promise<Extract<TapiMessage, { channel: 'connector'; command: K }>> {
  const c = await w.connector.peer.inbox.expect<Extract<TapiMessage, { channel: 'connector'; command: K }>>(
    (m) => m.channel === 'connector' && m.command === command, `\`${command}\` on the connector for the client's ${command}`, ctx.target.replyMs, { from: sent.connectorFrom, keepCursor: true },
  );
  const requestId = (c as { requestId: string }).requestId;
  w.connector.peer.send(reply === true ? { channel: 'connector', command: 'result', requestId, ok: true } : { channel: 'connector', command: 'result', requestId, ok: false, error: reply });
  return c;
}

/** The answer to a control that must be refused: a command reaching the connector for it first fails the case. */
export async function refusal(ctx: ManagerContext, w: CcWorld, sent: Sent, what: string): Promise<CallControlResultMessage & { ok: false; error: WireError }> {
  const first = await Promise.race([
    sent.result(),
    w.connector.peer.inbox.expect(isCallCommand(), 'a command', ctx.target.replyMs, { from: sent.connectorFrom, keepCursor: true }),
  ]);
  if (first.command !== 'callControlResult') fail(`${what} was not refused: it reached the connector as ${first.command}`);
  check(!first.ok && first.error !== undefined, `${what} was reported ${first.ok ? 'ok' : 'failed without an error'}`);
  return first as CallControlResultMessage & { ok: false; error: WireError };
}

/** Commands on calls that reached the connector since `from` (what a refused control must not have become). */
export function forwarded(w: CcWorld, from: number): string[] {
  return w.connector.peer.inbox.filter(isCallCommand(), from).map((m) => m.command);
}

/** Proof that nothing was forwarded: a later drop (every line offers it) arrives and nothing came before it. */
export async function nothingForwardedBefore(ctx: ManagerContext, t: CaseTools, w: CcWorld, call: LiveCall, from: number, refused: string): Promise<void> {
  const drop = await control(ctx, t, w, call.callKey, 'drop');
  await carry(ctx, w, drop, 'drop');
  const ahead = forwarded(w, from).slice(0, -1);
  check(ahead.length === 0, `${refused} was refused, but ${ahead.join(', ')} reached the connector`);
  check((await drop.result()).ok, 'the drop after the refused control was not reported ok');
}

/** The key a manager would give call `callId` of the suite's host, guessed from a key it gave another call (for a client that was never shown it). */
export function guessKey(ctx: ManagerContext, known: LiveCall, callId: string): string {
  return known.callKey.includes(known.callId) ? known.callKey.replace(known.callId, callId) : `${ctx.target.connectorHost}/${callId}`;
}

/** A held call with a consultation to `target` the connector set up and the consulted party answered. */
export async function consultation(ctx: ManagerContext, t: CaseTools, w: CcWorld, target = '26'): Promise<{ held: LiveCall; consult: LiveCall; shown: CallNotificationMessage }> {
  const held = await connectedCall(ctx, t, w);
  const from = w.client.peer.inbox.messages.length;
  const sent = await control(ctx, t, w, held.callKey, 'consult', target);
  const c = await carry(ctx, w, sent, 'consult');
  const dialString = c.dialString ?? '';
  check(c.callId === held.callId, `consult names call ${c.callId}, not the agent's call ${held.callId}`);
  check(/^[0-9*#+]+$/.test(dialString), `consult carries dial string "${dialString}": not converted by the dialing rules`);
  const r = await sent.result();
  check(r.ok, `callControlResult ok=false (${r.error?.code ?? ''}) although the connector carried out the consult`);
  await report(ctx, w, held, 'onhold');
  const consult: LiveCall = { callId: ctx.unique('q'), callKey: '', number: dialString };
  t.step('the consultation rings and is answered');
  for (const state of ['dialtone', 'ringback', 'connected'] as const) {
    await sendEvent(ctx, w.connector.peer, callState(ctx, w.line, consult.callId, state, { origin: 'outbound', calledNumber: dialString, consultationOf: held.callId }));
  }
  const shown = await w.client.peer.inbox.expect<CallNotificationMessage>(
    (m) => m.command === 'callNotification' && m.number === dialString && m.state === 'connected', 'callNotification(connected) of the consultation', ctx.target.replyMs, { from, keepCursor: true },
  );
  check(shown.callKey !== held.callKey, 'the consultation arrived under the held call\'s key (folded into it)');
  check(shown.consultationOf === held.callKey, `the consultation's notification says consultationOf ${shown.consultationOf ?? '(none)'}, not the held call's key ${held.callKey}`);
  consult.callKey = shown.callKey;
  return { held, consult, shown };
}

/** `action` on the held call of a consultation: the connector command must name the held call; the client gets ok. Returns the client's inbox index before it. */
export async function onHeld(ctx: ManagerContext, t: CaseTools, w: CcWorld, held: LiveCall, action: 'completeTransfer' | 'cancelConsult' | 'conference'): Promise<number> {
  const from = w.client.peer.inbox.messages.length;
  const sent = await control(ctx, t, w, held.callKey, action);
  const c = await carry(ctx, w, sent, action);
  check(c.callId === held.callId, `${action} names call ${c.callId}, not the held call ${held.callId}`);
  const r = await sent.result();
  check(r.ok, `callControlResult ok=false (${r.error?.code ?? ''}) for ${action} although the connector carried it out`);
  return from;
}
