// The agent's call control on the simulated PBX: hold, blind transfer,
// consultation (then complete or cancel) and the three-party conference. A
// line only does what its `controls` offer; everything else is refused with
// `not-supported`, as a PBX whose feature is switched off would refuse it.
//
// Model: the agent's part of a call is one leg of a session (the line that
// answered, or the line that dialled); the "far party" is the session's other
// side — another line's leg or the external party. A consultation is a second
// session dialled from the same line; completing it (or conferencing) joins
// the two sessions, so the parties left talk to each other and end together.
import { LineProviderError } from '../../src/connector/line-provider.ts';
import type { CallControl } from '../../src/connector/line-provider.ts';
import type { Leg, Session } from './model.ts';
import { isActive } from './model.ts';
import { PbxCore } from './pbx-core.ts';

export abstract class PbxControl extends PbxCore {
  abstract makeCall(line: string, dialString: string, farEnd?: undefined, consultationOf?: string): string;
  abstract answer(callId: string): void;

  hold(callId: string): void {
    const leg = this.leg(callId);
    if (leg.state !== 'connected') throw new LineProviderError('invalid-state', `call ${callId} is ${leg.state}, only a connected call can be held`);
    this.setState(leg, 'onhold');
  }

  resume(callId: string): void {
    const leg = this.leg(callId);
    if (leg.state !== 'onhold') throw new LineProviderError('invalid-state', `call ${callId} is ${leg.state}, not on hold`);
    if (leg.consultation !== undefined && isActive(leg.consultation)) {
      throw new LineProviderError('invalid-state', `call ${callId} has a consultation running: complete, cancel or conference it`);
    }
    this.setState(leg, 'connected');
  }

  /**
   * Blind transfer: the agent's leg ends (`transferred`) and the far party
   * rings `target` (an extension or hunt group). Scenarios and the control
   * API transfer from the answering line to extensions only (an unknown one
   * is `unknown-line`); an agent's transfer through the provider (`dialled`)
   * may also come from the line that placed the call, and a target that is no
   * line of this PBX is dialled out: the far party is put through on the trunk.
   */
  transfer(callId: string, target: string, options: { dialled?: boolean } = {}): void {
    const leg = this.agentLeg(callId, 'transfer');
    const session = leg.session;
    if (options.dialled !== true && session.answeredLeg !== leg) {
      throw new LineProviderError('invalid-state', `call ${callId} is ${leg.state}; only the line that answered a call can transfer it`);
    }
    if (leg.consultation !== undefined && isActive(leg.consultation)) {
      throw new LineProviderError('invalid-state', `call ${callId} has a consultation running: complete or cancel it instead`);
    }
    const far = this.farLeg(leg);
    const internal = this.lineMap.has(target) || this.groups.has(target);
    if (!internal && options.dialled === true) {
      // An external target: the far party is put through on the trunk; no line of ours rings.
      this.endLeg(leg, 'transferred');
      if (far === undefined) this.endSession(session, 'transferred');
      else this.setState(far, far.state, { connected: { number: target } });
      return;
    }
    const targets = this.targetsOf(target);
    if (targets.includes(leg.line) || (far !== undefined && targets.includes(far.line))) {
      throw new LineProviderError('invalid-state', `call ${callId} cannot be transferred to a line already in it`);
    }
    if (session.answeredLeg === leg) {
      this.endLeg(leg, 'transferred');
      session.answeredLeg = undefined;
      session.redirecting = this.partyOf(leg.line);
      session.called = this.partyOf(target);
      session.phase = 'ringing';
      if (this.offer(session, targets).length === 0) this.endSession(session, 'busy');
      return;
    }
    // The agent placed the call: only an external far party can be offered on (a line has one role per session).
    if (session.external === undefined || far !== undefined) {
      throw new LineProviderError('invalid-state', `call ${callId} is an internal call this line placed; the simulated PBX transfers it only from the answering side`);
    }
    const onward = this.newSession({ origin: 'inbound', caller: session.external, called: this.partyOf(target), external: session.external, twoIds: false });
    onward.redirecting = this.partyOf(leg.line);
    this.endLeg(leg, 'transferred');
    this.cancelTimers(session);
    this.sessions.delete(session.id);
    if (this.offer(onward, targets).length === 0) this.sessions.delete(onward.id);
  }

  /** Holds `callId` (if connected) and dials `dialString` from its line; returns the consultation's call id. */
  consult(callId: string, dialString: string): string {
    const leg = this.agentLeg(callId, 'consult');
    if (leg.consultation !== undefined && isActive(leg.consultation)) {
      throw new LineProviderError('invalid-state', `call ${callId} already has a consultation (${leg.consultation.callId})`);
    }
    if (leg.consultationOf !== undefined) throw new LineProviderError('invalid-state', `call ${callId} is itself a consultation`);
    const wasConnected = leg.state === 'connected';
    if (wasConnected) this.setState(leg, 'onhold');
    let consultId: string;
    try {
      consultId = this.makeCall(leg.line, dialString, undefined, leg.callId);
    } catch (err) {
      if (wasConnected) this.setState(leg, 'connected');
      throw err;
    }
    leg.consultation = this.leg(consultId);
    return consultId;
  }

  /** Joins the held call and its answered consultation; the agent's line leaves both. */
  completeTransfer(callId: string): void {
    const { primary, consultation } = this.consultationOf(callId, 'consult');
    const farA = this.farLeg(primary);
    const farB = this.farLeg(consultation);
    this.joinSessions(primary.session, consultation.session);
    this.endLeg(primary, 'transferred');
    this.endLeg(consultation, 'transferred');
    primary.consultation = undefined;
    if (farA !== undefined) this.setState(farA, farA.state, { connected: farB === undefined ? this.externalOf(consultation) : this.partyOf(farB.line) });
    if (farB !== undefined) this.setState(farB, farB.state, { connected: farA === undefined ? this.externalOf(primary) : this.partyOf(farA.line) });
    if (farA === undefined && farB === undefined) {
      // Two external parties talk through the trunk: no line of ours is in the call any more.
      this.endSession(primary.session, 'transferred');
    }
  }

  /** Drops the consultation (ringing or answered) and takes the primary call back. */
  cancelConsult(callId: string): void {
    const primary = this.leg(callId);
    this.requireControl(primary.line, 'consult');
    const consultation = primary.consultation;
    if (consultation === undefined || !isActive(consultation)) throw new LineProviderError('invalid-state', `call ${callId} has no consultation to cancel`);
    this.hangUp(consultation, 'normal');
    primary.consultation = undefined;
    if (isActive(primary) && primary.state === 'onhold') this.setState(primary, 'connected');
  }

  /** The answered consultation joins the primary call: three parties talk, the agent's line keeps the primary call. */
  conference(callId: string): void {
    const { primary, consultation } = this.consultationOf(callId, 'conference');
    this.joinSessions(primary.session, consultation.session);
    this.endLeg(consultation, 'conferenced');
    primary.consultation = undefined;
    this.setState(primary, 'connected');
  }

  private consultationOf(callId: string, control: CallControl): { primary: Leg; consultation: Leg } {
    const primary = this.leg(callId);
    this.requireControl(primary.line, control);
    const consultation = primary.consultation;
    if (consultation === undefined || !isActive(consultation)) throw new LineProviderError('invalid-state', `call ${callId} has no consultation (consult first)`);
    if (consultation.state !== 'connected') {
      throw new LineProviderError('invalid-state', `the consultation ${consultation.callId} is ${consultation.state}; it must be answered first (or cancel it)`);
    }
    if (primary.state !== 'onhold') throw new LineProviderError('invalid-state', `call ${callId} is ${primary.state}, not on hold`);
    return { primary, consultation };
  }

  private joinSessions(a: Session, b: Session): void {
    a.joined = b;
    b.joined = a;
  }

  /** The agent's leg of a two-party call in talk (connected or held), on a line that offers `control`. */
  private agentLeg(callId: string, control: CallControl): Leg {
    const leg = this.leg(callId);
    this.requireControl(leg.line, control);
    const session = leg.session;
    if ((leg !== session.answeredLeg && leg !== session.callerLeg) || (leg.state !== 'connected' && leg.state !== 'onhold')) {
      throw new LineProviderError('invalid-state', `call ${callId} is ${leg.state}; only a connected or held call can be passed on`);
    }
    return leg;
  }

  /** The other line's leg of the agent's session, if the far party is a line of this PBX. */
  private farLeg(leg: Leg): Leg | undefined {
    const session = leg.session;
    const other = leg === session.answeredLeg ? session.callerLeg : session.answeredLeg;
    return other !== undefined && isActive(other) ? other : undefined;
  }

  private externalOf(leg: Leg): { number: string } {
    return { number: leg.session.external?.number ?? '' };
  }

  private requireControl(line: string, control: CallControl): void {
    if (this.lineMap.get(line)?.info.controls?.includes(control) !== true) {
      throw new LineProviderError('not-supported', `line ${line} does not offer ${control} on this PBX`);
    }
  }
}
