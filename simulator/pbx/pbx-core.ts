// The simulated PBX's switching fabric: lines, sessions and legs, timers, and
// the one place where a leg changes state (checked against the TAPI call-state
// machine) and an event goes out. SimulatedPbx (pbx.ts) adds the operations.
import { LineProviderError } from '../../src/connector/line-provider.ts';
import type { CallEndReason, CallInfo, Party, ProviderEvent, ProviderListener } from '../../src/connector/line-provider.ts';
import type { CallState } from '../../src/protocol/call-state.ts';
import { canTransition } from './call-machine.ts';
import type { Clock } from './clock.ts';
import { EXTENSION_PATTERN, lineInfo } from './lines.ts';
import type { LineOptions } from './lines.ts';
import { aliasInfo, isActive, legInfo } from './model.ts';
import type { Leg, LineState, Session } from './model.ts';
import type { LineInfo } from '../../src/connector/line-provider.ts';

export interface PbxTiming {
  /** dialtone → dialing */
  readonly dialMs: number;
  /** dialing → proceeding */
  readonly proceedingMs: number;
  /** proceeding → ringback (and the callee's phone starts ringing) */
  readonly ringbackMs: number;
  /** how long an external far end rings before it answers, by default */
  readonly remoteAnswerMs: number;
  /** how long any call rings before the PBX gives up (missed call) */
  readonly noAnswerMs: number;
  /** how long a line listens to the busy tone before its user hangs up */
  readonly busyToneMs: number;
  /** how long a restarting PBX stays down */
  readonly restartMs: number;
}

export const DEFAULT_TIMING: PbxTiming = {
  dialMs: 50,
  proceedingMs: 150,
  ringbackMs: 300,
  remoteAnswerMs: 5000,
  noAnswerMs: 30_000,
  busyToneMs: 3000,
  restartMs: 2000,
};

export interface LineDef extends LineOptions {
  readonly extension: string;
  /** The person's name shown as the party name of calls from this line. */
  readonly displayName?: string;
}

export interface SessionLeg {
  readonly callId: string;
  readonly line: string;
  readonly state: CallState;
  readonly role: 'caller' | 'answered' | 'ringing';
}

export abstract class PbxCore {
  protected readonly lineMap = new Map<string, LineState>();
  protected readonly groups = new Map<string, readonly string[]>();
  /** Legs by call id and by alias id (both keys point at the same leg). */
  protected readonly legs = new Map<string, Leg>();
  protected readonly sessions = new Map<string, Session>();
  protected readonly listeners = new Set<ProviderListener>();
  protected readonly faultLog: string[] = [];
  /** Live legs per line: the load generator asks `isFree` at every arrival, so this must be O(1). */
  private readonly busyCount = new Map<string, number>();
  protected callCounter = 0;
  protected callIdPrefix = 'c';
  protected sessionCounter = 0;
  protected down = false;

  constructor(
    readonly clock: Clock,
    readonly timing: PbxTiming,
    protected readonly callWaiting: boolean,
  ) {}

  /** Faults inside timer callbacks (simulator bugs); empty in a sound run. */
  faults(): readonly string[] {
    return this.faultLog;
  }

  // ---- observation -------------------------------------------------------

  subscribe(listener: ProviderListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  isUp(): boolean {
    return !this.down;
  }

  lines(): LineInfo[] {
    return [...this.lineMap.values()].map((state) => state.info);
  }

  huntGroups(): ReadonlyMap<string, readonly string[]> {
    return this.groups;
  }

  activeCalls(): CallInfo[] {
    const result: CallInfo[] = [];
    for (const [id, leg] of this.legs) {
      if (id !== leg.callId || !isActive(leg)) continue;
      const info = legInfo(leg);
      result.push(info);
      if (leg.aliasId !== undefined) result.push(aliasInfo(info, leg.aliasId));
    }
    return result;
  }

  /** A session's legs now, optionally only those on `line`: who placed it, who answered, who rings. */
  legsOf(sessionId: string, line?: string): SessionLeg[] {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return [];
    const legs: SessionLeg[] = [];
    const add = (leg: Leg | undefined, role: SessionLeg['role']): void => {
      if (leg !== undefined && (line === undefined || leg.line === line)) legs.push({ callId: leg.callId, line: leg.line, state: leg.state, role });
    };
    add(session.callerLeg, 'caller');
    add(session.answeredLeg, 'answered');
    for (const leg of session.ringing) add(leg, 'ringing');
    return legs;
  }

  /** Whether an extension has no call now (what a load generator looks for). */
  isFree(extension: string): boolean {
    return this.lineMap.get(extension)?.info.inService === true && !this.hasActiveLeg(extension);
  }

  /** The session a live call id belongs to. */
  sessionOfCall(callId: string): string | undefined {
    return this.legs.get(callId)?.session.id;
  }

  hasSession(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  // ---- internals ----------------------------------------------------------

  protected putLine(def: LineDef): LineInfo {
    if (!EXTENSION_PATTERN.test(def.extension)) throw new LineProviderError('invalid-state', `extension "${def.extension.slice(0, 20)}" must be 1 to 12 digits`);
    const info = lineInfo(def.extension, def);
    this.lineMap.set(def.extension, { info, ...(def.displayName === undefined ? {} : { displayName: def.displayName }) });
    return info;
  }

  protected lineState(extension: string): LineState {
    const state = this.lineMap.get(extension);
    if (state === undefined) throw new LineProviderError('unknown-line', `no line ${extension.slice(0, 40)} on this PBX`);
    return state;
  }

  protected partyOf(extension: string): Party {
    const name = this.lineMap.get(extension)?.displayName;
    return name === undefined ? { number: extension } : { number: extension, name };
  }

  protected targetsOf(to: string): readonly string[] {
    const group = this.groups.get(to);
    if (group !== undefined) return group.filter((ext) => this.lineMap.has(ext));
    this.lineState(to);
    return [to];
  }

  protected session(sessionId: string): Session {
    this.assertUp();
    const session = this.sessions.get(sessionId);
    if (session === undefined) throw new LineProviderError('no-such-call', `no call session ${sessionId.slice(0, 40)} (never existed or already ended)`);
    return session;
  }

  protected leg(callId: string): Leg {
    this.assertUp();
    const leg = this.legs.get(callId);
    if (leg === undefined) throw new LineProviderError('no-such-call', `no call ${callId.slice(0, 40)} (never existed or already idle)`);
    return leg;
  }

  protected assertUp(): void {
    if (this.down) throw new LineProviderError('provider-down', 'the simulated PBX is restarting');
  }

  protected newSession(init: Pick<Session, 'origin' | 'caller' | 'called' | 'external' | 'twoIds'>): Session {
    const session: Session = { id: `s${++this.sessionCounter}`, ...init, phase: 'setup', ringing: [], timers: [] };
    this.sessions.set(session.id, session);
    return session;
  }

  protected newLeg(session: Session, line: string, direction: 'in' | 'out', state: CallState, parties: Pick<Leg, 'caller' | 'called' | 'redirecting' | 'consultationOf'>): Leg {
    const callId = `${this.callIdPrefix}${++this.callCounter}`;
    const aliasId = direction === 'in' && session.twoIds ? `${this.callIdPrefix}${++this.callCounter}` : undefined;
    const leg: Leg = { callId, ...(aliasId === undefined ? {} : { aliasId }), line, direction, origin: session.origin, session, state, ...parties };
    this.legs.set(callId, leg);
    if (aliasId !== undefined) this.legs.set(aliasId, leg);
    this.busyCount.set(line, (this.busyCount.get(line) ?? 0) + 1);
    this.emitLeg(leg);
    return leg;
  }

  protected offerParties(session: Session): Pick<Leg, 'caller' | 'called' | 'redirecting'> {
    return { caller: session.caller, called: session.called, ...(session.redirecting === undefined ? {} : { redirecting: session.redirecting }) };
  }

  /** Rings every free, in-service target; arms the no-answer timer when any rings. */
  protected offer(session: Session, targets: readonly string[]): Leg[] {
    const free = targets.filter((ext) => {
      // A line never rings for its own call (an extension dialling its own hunt group).
      if (ext === session.callerLeg?.line) return false;
      const state = this.lineMap.get(ext);
      return state !== undefined && state.info.inService && (this.callWaiting || !this.hasActiveLeg(ext));
    });
    const legs = free.map((ext) => this.newLeg(session, ext, 'in', 'offering', this.offerParties(session)));
    session.ringing = legs;
    if (legs.length > 0) {
      session.phase = 'ringing';
      this.after(session, this.timing.noAnswerMs, () => this.endSession(session, 'noAnswer'));
    }
    return legs;
  }

  protected goBusy(session: Session): void {
    this.cancelTimers(session);
    this.setState(session.callerLeg as Leg, 'busy');
    this.after(session, this.timing.busyToneMs, () => this.endSession(session, 'busy'));
  }

  protected hasActiveLeg(extension: string): boolean {
    return this.busyCount.has(extension);
  }

  /** One line hangs up (or vanishes); what happens to the rest of its session. */
  protected hangUp(leg: Leg, own: CallEndReason): void {
    const session = leg.session;
    if (session.ringing.includes(leg)) {
      session.ringing = session.ringing.filter((other) => other !== leg);
      this.endLeg(leg, own);
      if (session.ringing.length > 0) return;
      if (session.callerLeg !== undefined && session.callerLeg.state !== 'connected' && session.callerLeg.state !== 'onhold') this.goBusy(session);
      else this.endSession(session, own === 'rejected' ? 'busy' : 'normal');
      return;
    }
    this.endLeg(leg, own);
    const callerHungUpEarly = leg === session.callerLeg && session.phase !== 'talking';
    this.endSession(session, callerHungUpEarly ? 'callerHungUp' : 'normal');
  }

  protected endLegsOn(extension: string): void {
    for (const [id, leg] of [...this.legs]) {
      if (id === leg.callId && leg.line === extension && isActive(leg)) this.hangUp(leg, 'outOfService');
    }
  }

  protected endAll(reason: CallEndReason): void {
    for (const session of [...this.sessions.values()]) this.endSession(session, reason);
  }

  protected endSession(session: Session, reason: CallEndReason): void {
    this.cancelTimers(session);
    session.phase = 'ended';
    const legs = [session.callerLeg, session.answeredLeg, ...session.ringing];
    session.ringing = [];
    for (const leg of legs) if (leg !== undefined) this.endLeg(leg, reason);
    this.sessions.delete(session.id);
    const joined = session.joined;
    session.joined = undefined;
    if (joined !== undefined && joined.joined === session) {
      joined.joined = undefined;
      this.endSession(joined, reason);
    }
  }

  protected endLeg(leg: Leg, reason: CallEndReason): void {
    if (!isActive(leg)) return;
    if (leg.state !== 'disconnected') this.setState(leg, 'disconnected', { reason });
    this.setState(leg, 'idle');
    this.legs.delete(leg.callId);
    if (leg.aliasId !== undefined) this.legs.delete(leg.aliasId);
    const count = (this.busyCount.get(leg.line) ?? 1) - 1;
    if (count > 0) this.busyCount.set(leg.line, count);
    else this.busyCount.delete(leg.line);
  }

  protected setState(leg: Leg, state: CallState, patch: Partial<Pick<Leg, 'connected' | 'reason'>> = {}): void {
    if (!canTransition(leg.direction, leg.state, state)) {
      // A bug in this file, never a consequence of input: every command checks state first.
      throw new LineProviderError('invalid-state', `simulator fault: call ${leg.callId} ${leg.state} → ${state}`);
    }
    Object.assign(leg, patch);
    leg.state = state;
    this.emitLeg(leg);
  }

  protected after(session: Session, delayMs: number, fn: () => void): void {
    const handle = this.clock.schedule(delayMs, () => {
      session.timers = session.timers.filter((timer) => timer !== handle);
      try {
        fn();
      } catch (err) {
        // A timer has no caller to throw to; keep the fault for tests and diagnostics instead of crashing.
        this.faultLog.push(err instanceof Error ? err.message : String(err));
      }
    });
    session.timers.push(handle);
  }

  protected cancelTimers(session: Session): void {
    for (const timer of session.timers) timer.cancel();
    session.timers = [];
  }

  protected emitLeg(leg: Leg): void {
    const info = legInfo(leg);
    const at = this.clock.now();
    this.emit({ type: 'call', at, ...info });
    if (leg.aliasId !== undefined) this.emit({ type: 'call', at, ...aliasInfo(info, leg.aliasId) });
  }

  protected emit(event: ProviderEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A consumer's fault must not corrupt the PBX's state machine (see LineProvider.subscribe).
      }
    }
  }
}
