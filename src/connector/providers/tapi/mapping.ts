// TAPI numbers ↔ the LineProvider's words, both ways: the provider reads them,
// the simulated PBX's feed into the fake TSP writes them. Pure.
import type { CallControl, CallEndReason, LineProviderErrorCode, MediaMode } from '../../line-provider.ts';
import type { CallOrigin, CallState } from '../../../protocol/call-state.ts';
import { LINECALLFEATURE, LINECALLORIGIN, LINECALLSTATE, LINEDISCONNECTMODE, LINEERR, LINEMEDIAMODE, LINETRANSFERMODE } from './tapi-constants.ts';

const S = LINECALLSTATE;
const STATES: readonly (readonly [CallState, number])[] = [
  ['idle', S.LINECALLSTATE_IDLE],
  ['offering', S.LINECALLSTATE_OFFERING],
  ['accepted', S.LINECALLSTATE_ACCEPTED],
  ['dialtone', S.LINECALLSTATE_DIALTONE],
  ['dialing', S.LINECALLSTATE_DIALING],
  ['ringback', S.LINECALLSTATE_RINGBACK],
  ['busy', S.LINECALLSTATE_BUSY],
  ['connected', S.LINECALLSTATE_CONNECTED],
  ['proceeding', S.LINECALLSTATE_PROCEEDING],
  ['onhold', S.LINECALLSTATE_ONHOLD],
  ['disconnected', S.LINECALLSTATE_DISCONNECTED],
];

/** States a protocol word does not have: a conference is a connected call, the hold states of a pending transfer are holds. */
const NEAR: Readonly<Record<number, CallState>> = {
  [S.LINECALLSTATE_CONFERENCED]: 'connected',
  [S.LINECALLSTATE_ONHOLDPENDCONF]: 'onhold',
  [S.LINECALLSTATE_ONHOLDPENDTRANSFER]: 'onhold',
  [S.LINECALLSTATE_SPECIALINFO]: 'disconnected',
};

export function callStateOf(value: number): CallState | undefined {
  return STATES.find(([, v]) => v === value)?.[0] ?? NEAR[value];
}

export function callStateValue(state: CallState): number {
  return (STATES.find(([s]) => s === state) as readonly [CallState, number])[1];
}

const M = LINEDISCONNECTMODE;
const REASONS: readonly (readonly [CallEndReason, number])[] = [
  ['normal', M.LINEDISCONNECTMODE_NORMAL],
  ['pickedUpElsewhere', M.LINEDISCONNECTMODE_PICKUP],
  ['rejected', M.LINEDISCONNECTMODE_REJECT],
  ['busy', M.LINEDISCONNECTMODE_BUSY],
  ['noAnswer', M.LINEDISCONNECTMODE_NOANSWER],
  // The caller gave up before anyone answered: TAPI 2.2's "cancelled".
  ['callerHungUp', M.LINEDISCONNECTMODE_CANCELLED],
  // This line passed the call on; drivers that report it say "forwarded".
  ['transferred', M.LINEDISCONNECTMODE_FORWARDED],
  ['outOfService', M.LINEDISCONNECTMODE_OUTOFORDER],
  ['providerRestart', M.LINEDISCONNECTMODE_TEMPFAILURE],
  ['unreachable', M.LINEDISCONNECTMODE_UNREACHABLE],
];

/** The end reason of a LINECALLSTATE_DISCONNECTED mode (dwParam2); undefined for modes that say nothing (UNKNOWN, 0). */
export function endReasonOf(mode: number): CallEndReason | undefined {
  const exact = REASONS.find(([, v]) => v === mode)?.[0];
  if (exact !== undefined) return exact;
  if ((mode & (M.LINEDISCONNECTMODE_BADADDRESS | M.LINEDISCONNECTMODE_NUMBERCHANGED | M.LINEDISCONNECTMODE_UNAVAIL)) !== 0) return 'unreachable';
  if ((mode & M.LINEDISCONNECTMODE_CONGESTION) !== 0) return 'busy';
  return undefined;
}

/**
 * The disconnect mode TAPI reports for a reason. `conferenced` has none: TAPI
 * shows a call joining a conference as LINECALLSTATE_CONFERENCED, not as a
 * disconnect, so it goes as UNKNOWN.
 */
export function disconnectModeOf(reason: CallEndReason | undefined): number {
  return REASONS.find(([r]) => r === reason)?.[1] ?? M.LINEDISCONNECTMODE_UNKNOWN;
}

const O = LINECALLORIGIN;

/** dwOrigin → origin; a call this line placed is outbound unless the switch says it stays internal. */
export function originOf(value: number, placedHere: boolean): CallOrigin {
  if ((value & O.LINECALLORIGIN_INTERNAL) !== 0) return 'internal';
  if (placedHere || (value & O.LINECALLORIGIN_OUTBOUND) !== 0) return 'outbound';
  return 'inbound';
}

export function originValue(origin: CallOrigin): number {
  if (origin === 'internal') return O.LINECALLORIGIN_INTERNAL;
  return origin === 'outbound' ? O.LINECALLORIGIN_OUTBOUND : O.LINECALLORIGIN_EXTERNAL;
}

export function mediaModesOf(bits: number, includeVideo: boolean): MediaMode[] {
  const modes: MediaMode[] = [];
  if ((bits & LINEMEDIAMODE.LINEMEDIAMODE_INTERACTIVEVOICE) !== 0) modes.push('audio');
  if (includeVideo && (bits & LINEMEDIAMODE.LINEMEDIAMODE_VIDEO) !== 0) modes.push('video');
  return modes;
}

export function mediaModeBits(modes: readonly MediaMode[]): number {
  return modes.reduce((bits, mode) => bits | (mode === 'audio' ? LINEMEDIAMODE.LINEMEDIAMODE_INTERACTIVEVOICE : LINEMEDIAMODE.LINEMEDIAMODE_VIDEO), 0);
}

const F = LINECALLFEATURE;
const T = LINETRANSFERMODE;
/** A consultation: lineSetupTransfer, lineDial on the consultation call, lineCompleteTransfer, and lineUnhold when it is cancelled. */
const CONSULTATION = F.LINECALLFEATURE_SETUPTRANSFER | F.LINECALLFEATURE_DIAL | F.LINECALLFEATURE_COMPLETETRANSF | F.LINECALLFEATURE_UNHOLD;
/**
 * The LINEADDRESSCAPS bits each call control needs: dwCallFeatures, and the
 * dwTransferModes lineCompleteTransfer may use. `hold` covers taking the call
 * back, so it needs lineUnhold too; a conference is a consultation completed
 * in LINETRANSFERMODE_CONFERENCE (docs/tapi.md says why not lineSetupConference).
 */
const CONTROL_CAPS: readonly (readonly [CallControl, number, number])[] = [
  ['hold', F.LINECALLFEATURE_HOLD | F.LINECALLFEATURE_UNHOLD, 0],
  ['transfer', F.LINECALLFEATURE_BLINDTRANSFER, 0],
  ['consult', CONSULTATION, T.LINETRANSFERMODE_TRANSFER],
  ['conference', CONSULTATION, T.LINETRANSFERMODE_CONFERENCE],
];

/** The call controls an address's dwCallFeatures and dwTransferModes allow. */
export function controlsOf(callFeatures: number, transferModes: number): CallControl[] {
  return CONTROL_CAPS.filter(([, features, modes]) => (callFeatures & features) === features && (transferModes & modes) === modes).map(([control]) => control);
}

/** The address caps a line offering `controls` reports (the fake TSP's dwCallFeatures and dwTransferModes). */
export function addressCapsOf(controls: readonly CallControl[] | undefined): { callFeatures: number; transferModes: number } {
  let callFeatures = 0;
  let transferModes = 0;
  for (const [control, features, modes] of CONTROL_CAPS) {
    if (controls?.includes(control) !== true) continue;
    callFeatures |= features;
    transferModes |= modes;
  }
  return { callFeatures, transferModes };
}

const ERROR_NAMES = new Map<number, string>(Object.entries(LINEERR).map(([name, value]) => [value, name]));

/** `LINEERR_INVALCALLSTATE` for -2147483620; the number itself when tapi.h has no name for it. */
export function lineErrorName(result: number): string {
  return ERROR_NAMES.get(result | 0) ?? `TAPI error ${result}`;
}

const E = LINEERR;
const CODES: readonly (readonly [LineProviderErrorCode, readonly number[]])[] = [
  ['no-such-call', [E.LINEERR_INVALCALLHANDLE]],
  // The TSP or its switch does not offer the function on this address at all.
  ['not-supported', [E.LINEERR_OPERATIONUNAVAIL]],
  ['unknown-line', [E.LINEERR_INVALLINEHANDLE, E.LINEERR_BADDEVICEID, E.LINEERR_NODEVICE]],
  [
    'provider-down',
    [E.LINEERR_REINIT, E.LINEERR_INVALAPPHANDLE, E.LINEERR_NODRIVER, E.LINEERR_OPERATIONFAILED, E.LINEERR_NOMEM, E.LINEERR_UNINITIALIZED, E.LINEERR_INIFILECORRUPT],
  ],
];

/** The LineProvider error code a LINEERR_* result means; everything else is a refusal of this call or line now. */
export function providerCodeOf(result: number): LineProviderErrorCode {
  return CODES.find(([, values]) => values.includes(result | 0))?.[0] ?? 'invalid-state';
}

export function lineErrorOf(code: LineProviderErrorCode): number {
  if (code === 'no-such-call') return E.LINEERR_INVALCALLHANDLE;
  if (code === 'unknown-line') return E.LINEERR_BADDEVICEID;
  if (code === 'provider-down') return E.LINEERR_OPERATIONFAILED;
  if (code === 'not-supported') return E.LINEERR_OPERATIONUNAVAIL;
  return E.LINEERR_INVALCALLSTATE;
}
