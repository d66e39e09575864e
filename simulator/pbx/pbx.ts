// The simulated PBX: extensions, hunt groups and a trunk to the outside world,
// each call a session with one leg per line involved, every leg driven through
// the TAPI call-state machine. All time comes from the injected Clock, so a
// run on the VirtualClock is identical every time; the wall clock serves people.
import { LineProviderError } from '../../src/connector/line-provider.ts';
import type { LineInfo, Party } from '../../src/connector/line-provider.ts';
import type { TimerHandle } from './clock.ts';
import type { Clock } from './clock.ts';
import { EXTENSION_PATTERN } from './lines.ts';
import type { FarEnd, Leg, Session } from './model.ts';
import { DEFAULT_TIMING } from './pbx-core.ts';
import { PbxControl } from './pbx-control.ts';
import type { LineDef, PbxTiming } from './pbx-core.ts';

export { DEFAULT_TIMING } from './pbx-core.ts';
export type { LineDef, PbxTiming } from './pbx-core.ts';

export interface PbxOptions {
  readonly clock: Clock;
  readonly lines?: readonly (string | LineDef)[];
  readonly huntGroups?: Readonly<Record<string, readonly string[]>>;
  readonly timing?: Partial<PbxTiming>;
  /** Far-end behaviour of outbound external calls (default: answers after `remoteAnswerMs`). */
  readonly farEnd?: (number: string) => FarEnd;
  /** When false (default) a line with a call is busy for further calls. */
  readonly callWaiting?: boolean;
  /** Call ids are this plus a counter (default `c`: c1, c2, …). The connector puts its start in it, so ids never repeat across restarts. */
  readonly callIdPrefix?: string;
}

export interface IncomingResult {
  readonly session: string;
  readonly callIds: readonly string[];
  readonly outcome: 'ringing' | 'busy' | 'unreachable';
}

const DIAL_CHARS = /^[0-9+*#]+$/;
const DIAL_SEPARATORS = /[\s()\-/.]/g;

export class SimulatedPbx extends PbxControl {
  private readonly farEnd: (number: string) => FarEnd;
  private restartTimer: TimerHandle | undefined;

  constructor(options: PbxOptions) {
    super(options.clock, { ...DEFAULT_TIMING, ...options.timing }, options.callWaiting ?? false);
    if (options.callIdPrefix !== undefined) this.callIdPrefix = options.callIdPrefix;
    this.farEnd = options.farEnd ?? (() => ({ kind: 'answer', afterMs: this.timing.remoteAnswerMs }));
    for (const def of options.lines ?? []) this.putLine(typeof def === 'string' ? { extension: def } : def);
    for (const [number, members] of Object.entries(options.huntGroups ?? {})) this.addHuntGroup(number, members);
  }

  // ---- lines --------------------------------------------------------------

  addLine(def: LineDef): LineInfo {
    this.assertUp();
    if (this.lineMap.has(def.extension) || this.groups.has(def.extension)) {
      throw new LineProviderError('invalid-state', `extension ${def.extension} already exists`);
    }
    const info = this.putLine(def);
    this.emit({ type: 'lineAdded', at: this.clock.now(), line: info });
    return info;
  }

  removeLine(extension: string): void {
    this.assertUp();
    this.lineState(extension);
    this.endLegsOn(extension);
    this.lineMap.delete(extension);
    this.emit({ type: 'lineRemoved', at: this.clock.now(), line: extension });
  }

  setInService(extension: string, inService: boolean): void {
    this.assertUp();
    const state = this.lineState(extension);
    if (state.info.inService === inService) return;
    if (!inService) this.endLegsOn(extension);
    state.info = { ...state.info, inService };
    this.emit({ type: inService ? 'lineInService' : 'lineOutOfService', at: this.clock.now(), line: extension });
  }

  addHuntGroup(number: string, members: readonly string[]): void {
    if (!EXTENSION_PATTERN.test(number) || this.lineMap.has(number)) {
      throw new LineProviderError('invalid-state', `hunt group number ${number} must be digits and not an extension`);
    }
    for (const member of members) this.lineState(member);
    this.groups.set(number, [...members]);
  }

  // ---- calls from outside -------------------------------------------------

  /**
   * An external caller dials `to` (an extension or a hunt group). With `twoIds`
   * the called lines' driver reports each leg under two call ids that name
   * each other as related call.
   */
  incoming(from: Party, to: string, options: { twoIds?: boolean } = {}): IncomingResult {
    this.assertUp();
    const targets = this.targetsOf(to);
    const session = this.newSession({ origin: 'inbound', caller: from, called: { number: to }, external: from, twoIds: options.twoIds ?? false });
    const offered = this.offer(session, targets);
    if (offered.length === 0) {
      this.sessions.delete(session.id);
      const outcome = targets.every((ext) => !this.lineState(ext).info.inService) ? 'unreachable' : 'busy';
      return { session: session.id, callIds: [], outcome };
    }
    return { session: session.id, callIds: offered.map((leg) => leg.callId), outcome: 'ringing' };
  }

  remoteAnswer(sessionId: string): void {
    const session = this.session(sessionId);
    const leg = session.callerLeg;
    if (session.external === undefined || leg === undefined || session.phase === 'talking') {
      throw new LineProviderError('invalid-state', `session ${sessionId} is not an outbound call waiting for the far end`);
    }
    if (leg.state !== 'proceeding' && leg.state !== 'ringback' && leg.state !== 'dialing') {
      throw new LineProviderError('invalid-state', `the far end cannot answer while the line is ${leg.state}`);
    }
    this.cancelTimers(session);
    session.phase = 'talking';
    this.setState(leg, 'connected', { connected: session.external });
  }

  remoteBusy(sessionId: string): void {
    const session = this.session(sessionId);
    const leg = session.callerLeg;
    if (session.external === undefined || leg === undefined || session.phase === 'talking' || leg.state === 'busy') {
      throw new LineProviderError('invalid-state', `session ${sessionId} is not an outbound call waiting for the far end`);
    }
    this.goBusy(session);
  }

  /** The external party hangs up (a caller who gives up while it rings ends a missed call). */
  remoteHangup(sessionId: string): void {
    const session = this.session(sessionId);
    if (session.external === undefined) throw new LineProviderError('invalid-state', `session ${sessionId} has no external party`);
    const ringing = session.phase !== 'talking';
    this.endSession(session, ringing && session.callerLeg === undefined ? 'callerHungUp' : 'normal');
  }

  // ---- commands of a line -------------------------------------------------

  override makeCall(line: string, dialString: string, farEnd?: FarEnd, consultationOf?: string): string {
    this.assertUp();
    const state = this.lineState(line);
    if (!state.info.inService) throw new LineProviderError('invalid-state', `line ${line} is out of service`);
    const number = dialString.replace(DIAL_SEPARATORS, '');
    if (!DIAL_CHARS.test(number) || number.length > 40) {
      throw new LineProviderError('invalid-state', `cannot dial "${dialString.slice(0, 40)}": use 1 to 40 of 0-9 + * #`);
    }
    const internal = this.lineMap.has(number) || this.groups.has(number);
    const session = this.newSession({
      origin: internal ? 'internal' : 'outbound',
      caller: this.partyOf(line),
      called: internal ? this.partyOf(number) : { number },
      ...(internal ? {} : { external: { number } }),
      twoIds: false,
    });
    const leg = this.newLeg(session, line, 'out', 'dialtone', { caller: session.caller, called: session.called, ...(consultationOf === undefined ? {} : { consultationOf }) });
    session.callerLeg = leg;
    const t = this.timing;
    this.after(session, t.dialMs, () => {
      this.setState(leg, 'dialing');
      this.after(session, t.proceedingMs, () => {
        this.setState(leg, 'proceeding');
        this.after(session, t.ringbackMs, () => (internal ? this.ringInternal(session, number) : this.ringExternal(session, farEnd ?? this.farEnd(number))));
      });
    });
    return leg.callId;
  }

  override answer(callId: string): void {
    const leg = this.leg(callId);
    const session = leg.session;
    if (!session.ringing.includes(leg)) throw new LineProviderError('invalid-state', `call ${callId} is ${leg.state}, not ringing`);
    this.cancelTimers(session);
    for (const other of session.ringing) if (other !== leg) this.endLeg(other, 'pickedUpElsewhere');
    session.ringing = [];
    session.answeredLeg = leg;
    session.phase = 'talking';
    const caller = session.callerLeg;
    this.setState(leg, 'connected', { connected: caller === undefined ? session.caller : this.partyOf(caller.line) });
    if (caller !== undefined) this.setState(caller, 'connected', { connected: this.partyOf(leg.line) });
  }

  /** offering → accepted: the driver took the call and the phone rings. */
  accept(callId: string): void {
    const leg = this.leg(callId);
    if (leg.state !== 'offering') throw new LineProviderError('invalid-state', `call ${callId} is ${leg.state}, not offering`);
    this.setState(leg, 'accepted');
  }

  reject(callId: string): void {
    const leg = this.leg(callId);
    if (!leg.session.ringing.includes(leg)) throw new LineProviderError('invalid-state', `call ${callId} is ${leg.state}, only a ringing call can be rejected`);
    this.hangUp(leg, 'rejected');
  }

  drop(callId: string): void {
    const leg = this.leg(callId);
    this.hangUp(leg, leg.session.ringing.includes(leg) ? 'rejected' : 'normal');
  }

  /** Another extension picks up a ringing call (call pickup): the ringing lines see pickedUpElsewhere. */
  pickup(callId: string, byLine: string): string {
    const leg = this.leg(callId);
    const session = leg.session;
    const by = this.lineState(byLine);
    if (!session.ringing.includes(leg)) throw new LineProviderError('invalid-state', `call ${callId} is ${leg.state}, only a ringing call can be picked up`);
    if (!by.info.inService || leg.line === byLine || session.callerLeg?.line === byLine) {
      throw new LineProviderError('invalid-state', `line ${byLine} cannot pick up call ${callId} (out of service, or its own call)`);
    }
    for (const other of session.ringing) this.endLeg(other, 'pickedUpElsewhere');
    session.ringing = [];
    session.redirecting = this.partyOf(leg.line);
    const picked = this.newLeg(session, byLine, 'in', 'offering', this.offerParties(session));
    session.ringing = [picked];
    this.answer(picked.callId);
    return picked.callId;
  }

  // ---- the PBX as a whole -------------------------------------------------

  /** Every call ends, the PBX is down for `downForMs`, then it is back with the same lines. */
  restart(downForMs = this.timing.restartMs): void {
    this.assertUp();
    this.endAll('providerRestart');
    this.down = true;
    this.emit({ type: 'providerDown', at: this.clock.now(), reason: 'PBX restart' });
    this.restartTimer = this.clock.schedule(downForMs, () => {
      this.restartTimer = undefined;
      this.down = false;
      this.emit({ type: 'providerUp', at: this.clock.now() });
    });
  }

  /** The driver asks its application to re-initialise (TAPI REINIT). */
  requestReinit(reason = 'driver configuration changed'): void {
    this.assertUp();
    this.emit({ type: 'reinitRequired', at: this.clock.now(), reason });
  }

  /** The application re-initialised: its call handles are gone, so every call ends. */
  reinitialize(): void {
    this.assertUp();
    this.endAll('providerRestart');
  }

  /** Stops every timer of the PBX; events stop. */
  close(): void {
    for (const session of [...this.sessions.values()]) this.cancelTimers(session);
    this.restartTimer?.cancel();
    this.listeners.clear();
  }

  private ringInternal(session: Session, number: string): void {
    const leg = session.callerLeg as Leg;
    // The dialled line may have been removed while this call was dialling.
    const targets = this.groups.get(number) ?? (this.lineMap.has(number) ? [number] : []);
    if (targets.length === 0) {
      this.endSession(session, 'unreachable');
      return;
    }
    if (this.offer(session, targets).length === 0) {
      this.goBusy(session);
      return;
    }
    this.setState(leg, 'ringback');
  }

  private ringExternal(session: Session, farEnd: FarEnd): void {
    if (farEnd.kind === 'busy') {
      this.goBusy(session);
      return;
    }
    session.phase = 'ringing';
    this.setState(session.callerLeg as Leg, 'ringback');
    this.after(session, this.timing.noAnswerMs, () => this.endSession(session, 'noAnswer'));
    if (farEnd.kind === 'answer') this.after(session, farEnd.afterMs, () => this.remoteAnswer(session.id));
  }

}
