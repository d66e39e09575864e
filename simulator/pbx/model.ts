// The simulated PBX's own bookkeeping: a session is one PBX-level call (an
// external caller, a dialled number, the lines involved); a leg is that call
// as one line's driver sees it, with a TAPI call id and state.
import type { CallEndReason, CallInfo, LineInfo, Party } from '../../src/connector/line-provider.ts';
import type { CallOrigin, CallState } from '../../src/protocol/call-state.ts';
import type { LegDirection } from './call-machine.ts';
import type { TimerHandle } from './clock.ts';

export interface Leg {
  readonly callId: string;
  /** Set when the driver reports this leg twice (TAPI's related call id); see `SimulatedPbx.incoming`. */
  readonly aliasId?: string;
  readonly line: string;
  readonly direction: LegDirection;
  readonly origin: CallOrigin;
  readonly session: Session;
  state: CallState;
  caller?: Party;
  called?: Party;
  connected?: Party;
  redirecting?: Party;
  reason?: CallEndReason;
  /** On a consultation leg: the primary call it was set up from (same line). */
  consultationOf?: string;
  /** On a primary leg with a consultation running: that consultation's leg. */
  consultation?: Leg;
}

/** What the far end of an outbound external call does (the trunk side has no driver of its own). */
export type FarEnd =
  | { readonly kind: 'answer'; readonly afterMs: number }
  | { readonly kind: 'busy' }
  | { readonly kind: 'noAnswer' }
  | { readonly kind: 'manual' };

export type SessionPhase = 'setup' | 'ringing' | 'talking' | 'ended';

export interface Session {
  readonly id: string;
  readonly origin: CallOrigin;
  /** Who called: the external number (inbound) or the calling line's party. */
  readonly caller: Party;
  /** What was dialled: the line/group (inbound, internal) or the external number (outbound). */
  called: Party;
  /** The external party when the call crosses the trunk. */
  readonly external?: Party;
  phase: SessionPhase;
  /** The line that placed the call (outbound, internal). */
  callerLeg?: Leg;
  /** Legs offered and not yet answered (several for a hunt group). */
  ringing: Leg[];
  /** The line that answered (inbound, internal). */
  answeredLeg?: Leg;
  redirecting?: Party;
  /**
   * Sessions joined by a completed consultation transfer or a conference: the
   * parties left talk through both, so when one of these sessions ends the
   * joined one ends too (see PbxCore.endSession).
   */
  joined?: Session;
  /** Report legs on the called side under two call ids. */
  readonly twoIds: boolean;
  timers: TimerHandle[];
}

export interface LineState {
  info: LineInfo;
  /** Display name used as the party name of calls from this line. */
  readonly displayName?: string;
}

export function legInfo(leg: Leg): CallInfo {
  return {
    callId: leg.callId,
    ...(leg.aliasId === undefined ? {} : { relatedCallId: leg.aliasId }),
    line: leg.line,
    state: leg.state,
    origin: leg.origin,
    ...(leg.caller === undefined ? {} : { caller: leg.caller }),
    ...(leg.called === undefined ? {} : { called: leg.called }),
    ...(leg.connected === undefined ? {} : { connected: leg.connected }),
    ...(leg.redirecting === undefined ? {} : { redirecting: leg.redirecting }),
    ...(leg.consultationOf === undefined ? {} : { consultationOf: leg.consultationOf }),
    ...(leg.reason === undefined ? {} : { reason: leg.reason }),
  };
}

/** The second report of a leg a driver shows under two ids. */
export function aliasInfo(info: CallInfo, aliasId: string): CallInfo {
  return { ...info, callId: aliasId, relatedCallId: info.callId };
}

export function isActive(leg: Leg): boolean {
  return leg.state !== 'idle';
}
