// The one seam between the connector and a phone system. Every provider — the
// simulated PBX, a recorded session, Windows TAPI, baresip — implements
// `LineProvider`, and every one of them passes the same contract test suite
// (test/connector/provider-contract/).
//
// Events are delivered through a listener subscription rather than an async
// iterator: a provider has several consumers at once (the connector, the
// session recorder, a diagnostics tap), delivery is synchronous and in order,
// and a provider never has to buffer for a slow reader — the connector's
// durable buffer already does that on its side. Node's EventEmitter is not
// used so that a throwing listener cannot become an unhandled 'error' event.
import { CrmTapiError } from '../protocol/errors.ts';
import type { CallOrigin, CallState } from '../protocol/call-state.ts';
import type { CallControl } from '../protocol/messages.ts';

export type { CallControl } from '../protocol/messages.ts';

export type MediaMode = 'audio' | 'video';

/** A line as the phone system reports it (TAPI's LINEDEVCAPS / LINEADDRESSCAPS). */
export interface LineInfo {
  /** The line name the connector reports to the manager (e.g. `25`; the manager prefixes the host). */
  readonly name: string;
  /** The address (extension / directory number) of the line. */
  readonly address: string;
  /** Stable across restarts and re-initialisation (TAPI's dwPermanentLineID), as a string. */
  readonly permanentId: string;
  readonly mediaModes: readonly MediaMode[];
  readonly inService: boolean;
  /**
   * The call controls this line offers beyond make/answer/drop/reject (`hold`,
   * `transfer`, `consult`, `conference`); absent or empty: none. A method whose
   * control is missing here fails with `not-supported`.
   */
  readonly controls?: readonly CallControl[];
}

/** One side of a call: a number as the PBX reports it (not normalised) and an optional display name. */
export interface Party {
  readonly number: string;
  readonly name?: string;
}

/** Why a call reached `disconnected` (TAPI's LINEDISCONNECTMODE_* and a few PBX facts). */
export const CALL_END_REASONS = [
  'normal',
  'pickedUpElsewhere',
  'rejected',
  'busy',
  'noAnswer',
  'callerHungUp',
  'transferred',
  'outOfService',
  'providerRestart',
  'unreachable',
  /** A consultation call that joined its primary call in a conference (the agent's line keeps the primary). */
  'conferenced',
] as const;
export type CallEndReason = (typeof CALL_END_REASONS)[number];

/** The current state of one call on one line. */
export interface CallInfo {
  /** Unique within the provider's session; never reused for another call. */
  readonly callId: string;
  /**
   * Set when a driver reports one call under two ids (e.g. a consultation or
   * the second leg a driver creates on transfer): the id of the other report.
   */
  readonly relatedCallId?: string;
  readonly line: string;
  readonly state: CallState;
  readonly origin: CallOrigin;
  readonly caller?: Party;
  readonly called?: Party;
  /** Who the line actually talks to, once known (TAPI's connected id). */
  readonly connected?: Party;
  /** Who passed the call on (blind transfer, forwarding): TAPI's redirecting id. */
  readonly redirecting?: Party;
  /**
   * Set on a consultation call (see `consult`): the id of the primary call it
   * was set up from, on the same line. Unlike `relatedCallId` this is a
   * different call, not a second report of the same one.
   */
  readonly consultationOf?: string;
  /** Set on `disconnected` (and carried to `idle`) when the provider knows why. */
  readonly reason?: CallEndReason;
}

/**
 * `at` on every event: milliseconds on the provider's monotonic clock, counted
 * from when the provider was opened. Never decreases across all events of one
 * provider; it is not wall-clock time.
 */
export type ProviderEvent =
  | ({ readonly type: 'call'; readonly at: number } & CallInfo)
  /**
   * A line appeared at run time (TAPI LINE_CREATE), or a known line is announced
   * again because what it offers changed (its `controls`: TAPI's CAPSCHANGE);
   * the consumer replaces the line of that name.
   */
  | { readonly type: 'lineAdded'; readonly at: number; readonly line: LineInfo }
  /** A line vanished at run time (TAPI LINE_REMOVE); its calls have already ended with `idle`. */
  | { readonly type: 'lineRemoved'; readonly at: number; readonly line: string }
  | { readonly type: 'lineOutOfService'; readonly at: number; readonly line: string }
  | { readonly type: 'lineInService'; readonly at: number; readonly line: string }
  /**
   * The driver asks for re-initialisation (TAPI LINE_LINEDEVSTATE/REINIT, or
   * LINE_CLOSE of every line): the consumer should call `reinitialize()`.
   */
  | { readonly type: 'reinitRequired'; readonly at: number; readonly reason: string }
  /** The phone system went away: every call has ended, commands fail with `provider-down`. */
  | { readonly type: 'providerDown'; readonly at: number; readonly reason: string }
  /** The phone system is back; `lines()` is current again (lines may have changed). */
  | { readonly type: 'providerUp'; readonly at: number };

export type ProviderEventType = ProviderEvent['type'];
export type ProviderListener = (event: ProviderEvent) => void;

export interface LineProvider {
  /** The provider kind, as written into recordings and logs: `simulator`, `replay`, `tapi`, … */
  readonly kind: string;

  /**
   * Starts the provider and resolves with the lines it found. Events start
   * after this resolves; subscribe before calling it to see every one.
   * Fails with `provider-down` when the phone system cannot be reached.
   */
  open(): Promise<readonly LineInfo[]>;

  /** The lines known now (after open; changes with lineAdded / lineRemoved / service events). */
  lines(): readonly LineInfo[];

  /**
   * Every call not yet `idle`, in its latest state. The connector re-sends these
   * to the manager after it reconnects.
   */
  activeCalls(): readonly CallInfo[];

  /**
   * Adds a listener; returns the function that removes it. Listeners run
   * synchronously in subscription order; a listener that throws is isolated
   * (the provider catches it and goes on). Events of a command may reach
   * listeners before the command's promise settles.
   */
  subscribe(listener: ProviderListener): () => void;

  /** Places an outbound (or internal) call from `line`; resolves with its call id. */
  makeCall(line: string, dialString: string): Promise<string>;
  /** Answers an offering/accepted call. */
  answer(callId: string): Promise<void>;
  /** Hangs up a call in any state but idle. */
  drop(callId: string): Promise<void>;
  /** Refuses an offering/accepted inbound call (the caller hears busy or is diverted). */
  reject(callId: string): Promise<void>;

  // Call control (spec/protocol.md §7.7). Each needs its control in the line's
  // `controls`; without it the method fails with `not-supported`.

  /** Puts a connected call on hold (`onhold`). Control `hold`. */
  hold(callId: string): Promise<void>;
  /** Takes a held call back (`connected`). Control `hold`. */
  unhold(callId: string): Promise<void>;
  /**
   * Blind transfer of a connected or held call to `dialString`: the line's part
   * ends (`disconnected`, reason `transferred`), the other party rings there.
   * Control `transfer`.
   */
  transfer(callId: string, dialString: string): Promise<void>;
  /**
   * Consultation: holds the connected call and dials `dialString` from the same
   * line; resolves with the consultation call's id, whose events carry
   * `consultationOf: callId`. Control `consult`.
   */
  consult(callId: string, dialString: string): Promise<string>;
  /**
   * Completes a consultation transfer: the held primary call `callId` and its
   * consultation are joined, and both leave this line (reason `transferred`).
   * Control `consult`.
   */
  completeTransfer(callId: string): Promise<void>;
  /** Drops the consultation of the primary call `callId` and takes the primary call back. Control `consult`. */
  cancelConsult(callId: string): Promise<void>;
  /**
   * Three-party conference: the consultation of the primary call `callId` joins
   * it (the consultation ends with reason `conferenced`, the primary call is
   * `connected` with both parties). Control `conference`.
   */
  conference(callId: string): Promise<void>;
  /**
   * Shuts down and re-opens the driver (after `reinitRequired`, or on the daily
   * ReInitAt schedule); calls are lost, lines are read again.
   */
  reinitialize(): Promise<void>;
  /** Ends the session; afterwards every command fails with `provider-down`. Idempotent. */
  close(): Promise<void>;
}

export const LINE_PROVIDER_ERROR_CODES = ['unknown-line', 'no-such-call', 'invalid-state', 'provider-down', 'not-supported'] as const;
export type LineProviderErrorCode = (typeof LINE_PROVIDER_ERROR_CODES)[number];

/**
 * Every failure of a `LineProvider` command:
 * - `unknown-line`: no line by that name (or it was removed);
 * - `no-such-call`: no call by that id (never existed, or already idle: idle calls are forgotten);
 * - `invalid-state`: the call or line cannot do that now (answer a connected call,
 *   dial on a line out of service, an empty dial string);
 * - `provider-down`: the provider is not open, closed, or the phone system is away;
 * - `not-supported`: this provider or line cannot do that at all (a call control
 *   missing from the line's `controls`); asking again will not help.
 */
export class LineProviderError extends CrmTapiError {
  constructor(
    readonly code: LineProviderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The refusal of a call control a provider or line does not offer. */
export function notSupported(what: string, provider: string): LineProviderError {
  return new LineProviderError('not-supported', `${what} is not supported by the ${provider} provider`);
}

/** Whether `line` offers the control (false for unknown lines). */
export function lineOffers(lines: readonly LineInfo[], line: string, control: CallControl): boolean {
  return lines.find((l) => l.name === line)?.controls?.includes(control) === true;
}

/** The call-control methods of `LineProvider`. */
export type CallControlMethods = Pick<LineProvider, 'hold' | 'unhold' | 'transfer' | 'consult' | 'completeTransfer' | 'cancelConsult' | 'conference'>;

/**
 * Call-control methods for a provider that offers none: each checks the call
 * first (an unknown call is still `no-such-call`), then fails with `not-supported`.
 */
export function refusedCallControl(provider: string, checkCall: (callId: string) => unknown): CallControlMethods {
  const refuse = (what: string) => async (callId: string): Promise<never> => {
    checkCall(callId);
    throw notSupported(what, provider);
  };
  return {
    hold: refuse('hold'),
    unhold: refuse('unhold'),
    transfer: refuse('transfer'),
    consult: refuse('consultation'),
    completeTransfer: refuse('consultation transfer'),
    cancelConsult: refuse('consultation'),
    conference: refuse('conference'),
  };
}
