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
  /** A line appeared at run time (TAPI LINE_CREATE). */
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
  /**
   * Shuts down and re-opens the driver (after `reinitRequired`, or on the daily
   * ReInitAt schedule); calls are lost, lines are read again.
   */
  reinitialize(): Promise<void>;
  /** Ends the session; afterwards every command fails with `provider-down`. Idempotent. */
  close(): Promise<void>;
}

export const LINE_PROVIDER_ERROR_CODES = ['unknown-line', 'no-such-call', 'invalid-state', 'provider-down'] as const;
export type LineProviderErrorCode = (typeof LINE_PROVIDER_ERROR_CODES)[number];

/**
 * Every failure of a `LineProvider` command:
 * - `unknown-line`: no line by that name (or it was removed);
 * - `no-such-call`: no call by that id (never existed, or already idle: idle calls are forgotten);
 * - `invalid-state`: the call or line cannot do that now (answer a connected call,
 *   dial on a line out of service, an empty dial string);
 * - `provider-down`: the provider is not open, closed, or the phone system is away.
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
