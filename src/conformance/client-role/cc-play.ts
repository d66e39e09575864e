// The suite's moves for the client role's call-control cases (§7.7): make the
// client act through the on-control hook, read what it shows of a call
// through the show-call hook, and take the `callControl` it sends.
import type { CallControl, CallControlAction, CallControlMessage, CallNotificationMessage, CallState } from '../../protocol/index.ts';
import { check, fail, skip, type CaseTools } from '../case.ts';
import { runHook } from '../hooks.ts';
import { sleep } from '../scope.ts';
import type { ClientContext } from './context.ts';
import { clientSession, notify, type ClientSession } from './play.ts';

/** What the client shows of one call, as the show-call hook prints it. */
export interface CallView {
  /** The call's state as shown (empty: the client shows no such call). */
  state: string;
  /** The call-control actions offered for the call now. */
  offers: Set<string>;
  /** A refusal or error shown for the call (empty: none). */
  message: string;
  /** The call key of the consultation shown as belonging to this call (empty: none). */
  consultation: string;
}

/** `key=value` lines; unknown keys are ignored, missing ones are empty. */
export function parseView(text: string): CallView {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf('=');
    if (at > 0) values.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  const get = (k: string): string => values.get(k) ?? '';
  return { state: get('state'), offers: new Set(get('offers').split(/\s+/).filter((w) => w !== '')), message: get('message'), consultation: get('consultation') };
}

export function describeView(v: CallView): string {
  return `state=${v.state || '(none)'}, offers=${[...v.offers].join(' ') || '(none)'}${v.message ? `, message="${v.message.slice(0, 120)}"` : ''}${v.consultation ? `, consultation=${v.consultation}` : ''}`;
}

export interface Call {
  callKey: string;
  number: string;
}

const HOOKS = {
  'on-control': ['onControl', '--on-control: a command that makes the client carry out CONFORMANCE_ACTION on CONFORMANCE_CALL_KEY'],
  'show-call': ['showCall', '--show-call: a command that prints what the client shows of CONFORMANCE_CALL_KEY (state=, offers=, message=, consultation=)'],
} as const;

/** Skips the case, naming every hook it needs and was not given. */
export function requireHooks(ctx: ClientContext, ...which: (keyof typeof HOOKS)[]): void {
  const missing = which.filter((w) => ctx.target[HOOKS[w][0]] === undefined).map((w) => HOOKS[w][1]);
  if (missing.length > 0) skip(`needs ${missing.join('; and ')}`);
}

/** Asks the show-call hook until `ok` holds (the client renders asynchronously); fails with the last view after the reply deadline. */
export async function shown(ctx: ClientContext, t: CaseTools, call: Call, ok: (v: CallView) => boolean, what: string): Promise<CallView> {
  const hook = ctx.target.showCall;
  if (hook === undefined) return skip('needs --show-call');
  const deadline = Date.now() + ctx.target.replyMs;
  t.step(`waiting until the client shows ${what}`);
  for (;;) {
    const view = parseView((await runHook('show-call', hook, { CONFORMANCE_CALL_KEY: call.callKey, CONFORMANCE_NUMBER: call.number }, ctx.target.hookTimeoutMs)).stdout);
    if (ok(view)) return view;
    if (Date.now() > deadline) fail(`the client does not show ${what}: it shows ${describeView(view)}`);
    await sleep(150, t.signal);
  }
}

/** A call that rang and was answered, as the suite tells the client; resolves once the client shows it connected. */
export async function connectedCall(ctx: ClientContext, t: CaseTools, s: ClientSession): Promise<Call> {
  const n = ctx.unique('');
  const call = { callKey: `conformance/cc-${ctx.runId}-${n}`, number: `+49301234${n.padStart(3, '0').slice(-3)}` };
  s.peer.send(notify(ctx, call.callKey, call.number, 'offering'));
  s.peer.send(notify(ctx, call.callKey, call.number, 'connected'));
  await shown(ctx, t, call, (v) => v.state === 'connected', `call ${call.callKey} connected`);
  return call;
}

export function tell(ctx: ClientContext, s: ClientSession, call: Call, state: CallState, extra: Partial<CallNotificationMessage> = {}): void {
  s.peer.send(notify(ctx, call.callKey, call.number, state, extra));
}

/** Makes the client carry out `action` on `call`; false when the client says it offers no such control. */
export async function act(ctx: ClientContext, call: Call, action: CallControlAction, target = ''): Promise<boolean> {
  const hook = ctx.target.onControl;
  if (hook === undefined) return skip('needs --on-control');
  const { stdout } = await runHook('on-control', hook, { CONFORMANCE_CALL_KEY: call.callKey, CONFORMANCE_NUMBER: call.number, CONFORMANCE_ACTION: action, CONFORMANCE_TARGET: target }, ctx.target.hookTimeoutMs);
  return !/\bnot-offered\b/.test(stdout);
}

/** The client's `callControl` for `action` on `call`, sent after index `from` of the inbox. */
export async function sentControl(ctx: ClientContext, s: ClientSession, call: Call, action: CallControlAction, from: number): Promise<CallControlMessage> {
  const m = await s.peer.inbox.expect<CallControlMessage>(
    (x) => x.command === 'callControl' && x.action === action, `callControl(${action}) after the on-control hook`, ctx.target.replyMs, { from, keepCursor: true },
  );
  check(m.callKey === call.callKey, `callControl(${action}) names call ${m.callKey}, not ${call.callKey}`);
  return m;
}

/** Ends a call at the suite's side (disconnected, then idle). */
export function hangUp(ctx: ClientContext, s: ClientSession, call: Call, endedReason: CallNotificationMessage['endedReason'] = 'callerHungUp'): void {
  tell(ctx, s, call, 'disconnected', endedReason === undefined ? {} : { endedReason });
  tell(ctx, s, call, 'idle');
}

export interface Acted {
  s: ClientSession;
  call: Call;
  /** The client's callControl for the action. */
  m: CallControlMessage;
  /** Index of the inbox before the action. */
  from: number;
}

/** A session whose line lists `controls`, a connected call, and the client made to carry out `action` on it (it must offer it). */
export async function actOnNewCall(ctx: ClientContext, t: CaseTools, controls: readonly CallControl[], action: CallControlAction, target?: string): Promise<Acted> {
  requireHooks(ctx, 'on-control', 'show-call');
  const s = await clientSession(ctx, t, controls);
  const call = await connectedCall(ctx, t, s);
  const from = s.peer.inbox.messages.length;
  check(await act(ctx, call, action, target), `the client does not offer ${action} on a connected call of a line that lists ${controls.join(' ')}`);
  return { s, call, m: await sentControl(ctx, s, call, action, from), from };
}
