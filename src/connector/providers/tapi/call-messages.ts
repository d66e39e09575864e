// The tapi provider's call messages: LINE_CALLSTATE and LINE_CALLINFO become
// `call` events through the call table (calls.ts). Besides the driver quirks
// of calls.ts: a TAPI state the protocol folds into another is not reported
// twice (ONHOLDPENDTRANSFER → ONHOLD), the calls of a completed transfer end
// as `transferred` also when the driver reports only IDLE, a consultation that
// joins a conference (CONFERENCED) ends as `conferenced`, and handles of
// conference parties are deallocated once TAPI lets them go.
import type { CallInfo } from '../../line-provider.ts';
import type { TapiMessage } from './binding.ts';
import type { CallEntry, CallTable } from './calls.ts';
import { sameReport } from './calls.ts';
import type { TapiTrace } from './lines.ts';
import { callStateOf } from './mapping.ts';
import { LINECALLSTATE, LINEDISCONNECTMODE } from './tapi-constants.ts';

export interface CallMessageHost {
  /** The current session's call table. */
  calls(): CallTable;
  /** The line a call message is about (LINE_APPNEWCALL, the call's device, the message's line). */
  lineOf(message: TapiMessage): string | undefined;
  /** The handle's first state arrived: its LINE_APPNEWCALL is used up. */
  claimed(hCall: number): void;
  emitCall(info: CallInfo): void;
  /** Forgets the call and deallocates its handle. */
  deallocate(entry: CallEntry): void;
  /** Deallocates a handle (lineDeallocateCall). */
  release(hCall: number): void;
  trace(record: TapiTrace): void;
}

export function onCallState(host: CallMessageHost, message: TapiMessage): void {
  const state = callStateOf(message.param1);
  const hCall = message.hDevice;
  // A handle whose call has ended for our consumers (a conference's party): deallocated once TAPI lets it go.
  if (host.calls().isRetired(hCall)) {
    if (state === 'idle') host.release(hCall);
    return;
  }
  const line = host.lineOf(message);
  if (state === undefined || line === undefined) {
    host.trace({ what: 'call state ignored', hCall, state: message.param1 });
    return;
  }
  host.claimed(hCall);
  const entry = host.calls().claim(hCall, line, message.info?.callId);
  // A call first seen mid-way (a handle handed over by the driver): report a start state before it.
  if (entry.state === undefined && state !== 'offering' && state !== 'dialtone' && state !== 'dialing' && state !== 'idle') {
    const outbound = entry.placedHere || message.info === undefined ? entry.placedHere : (message.info.origin & 1) !== 0;
    host.emitCall(host.calls().report(entry, outbound ? 'dialing' : 'offering', message.info, undefined));
  }
  if (entry.state === undefined && state === 'idle') {
    host.deallocate(entry);
    return;
  }
  if (message.param1 === LINECALLSTATE.LINECALLSTATE_CONFERENCED && entry.consultationOf !== undefined) return joinedConference(host, entry, message);
  const F = LINEDISCONNECTMODE.LINEDISCONNECTMODE_FORWARDED;
  // A completed transfer: drivers report IDLE (MSDN), some DISCONNECTED first with a mode of their own.
  if (entry.passedOn === true && state === 'idle' && entry.state !== 'disconnected') host.emitCall(host.calls().report(entry, 'disconnected', message.info, F));
  const before = entry.info;
  const info = host.calls().report(entry, state, message.info, entry.passedOn === true ? F : message.param2);
  const folded = entry.tapiState !== undefined && entry.tapiState !== message.param1 && sameReport(before, info);
  entry.tapiState = message.param1;
  // ONHOLDPENDTRANSFER → ONHOLD, or a conference call taking over a connected call, is no news to our consumers.
  if (!folded) host.emitCall(info);
  if (state === 'idle') host.deallocate(entry);
}

/** A consultation joined its primary call in a conference: it ends for our consumers; TAPI keeps it CONFERENCED until the conference ends. */
function joinedConference(host: CallMessageHost, entry: CallEntry, message: TapiMessage): void {
  if (entry.state !== 'disconnected') host.emitCall(host.calls().report(entry, 'disconnected', message.info, undefined, 'conferenced'));
  host.emitCall(host.calls().report(entry, 'idle', message.info, undefined, 'conferenced'));
  host.calls().retire(entry);
}

export function onCallInfo(host: CallMessageHost, message: TapiMessage): void {
  const entry = host.calls().handle(message.hDevice);
  if (entry?.state === undefined || message.info === undefined) return;
  const before = entry.info;
  const info = host.calls().report(entry, entry.state, message.info, undefined);
  // Caller id often arrives after the first state (LINECALLINFOSTATE_CALLERID): re-report the state with it.
  if (!sameReport(before, info)) host.emitCall(info);
}

/** Ends calls TAPI will not report any more (a removed or closed line, a re-initialisation) with disconnected and idle. */
export function endCalls(host: CallMessageHost, line?: string, reason: 'outOfService' | 'providerRestart' = 'providerRestart'): void {
  for (const entry of host.calls().entries()) {
    if (entry.info === undefined || (line !== undefined && entry.line !== line)) continue;
    if (entry.state !== 'disconnected') host.emitCall({ ...entry.info, state: 'disconnected', reason });
    host.emitCall({ ...entry.info, state: 'idle', reason: entry.state === 'disconnected' ? (entry.info.reason ?? reason) : reason });
    entry.state = 'idle';
    host.deallocate(entry);
  }
}
