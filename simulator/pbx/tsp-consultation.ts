// How a consultation and a conference look to a TAPI application, for the
// simulated PBX behind the fake TSP (tsp-feed.ts). The PBX consults in one step
// (hold and dial: PbxControl.consult) and conferences by ending the
// consultation (`conferenced`) while the held call is connected again. A TSP
// shows the same as: lineSetupTransfer puts the call ONHOLDPENDTRANSFER and
// hands out a consultation call, whose first state comes when lineDial dials
// on it (so the application sees what the simulator provider reports);
// lineCompleteTransfer in transfer mode takes both calls IDLE (MSDN:
// LINETRANSFERMODE_TRANSFER), in conference mode makes both CONFERENCED parties
// of a new conference call that carries on; a consultation that ends takes the
// held call from ONHOLDPENDTRANSFER to ONHOLD. This class keeps the keys the
// fake knows those calls by and turns the PBX's events into those states.
import { LineProviderError } from '../../src/connector/line-provider.ts';
import type { ProviderEvent } from '../../src/connector/line-provider.ts';
import { lineErrorOf } from '../../src/connector/providers/tapi/mapping.ts';
import { LINECALLSTATE, LINEERR } from '../../src/connector/providers/tapi/tapi-constants.ts';
import type { SimulatedPbx } from './pbx.ts';

export type CallEvent = Extract<ProviderEvent, { type: 'call' }>;

/** One call's state (LINE_CALLSTATE) for the fake, under its key there. */
export interface Forward {
  readonly key: string;
  readonly event: CallEvent;
  /** A LINECALLSTATE_* the protocol has no word for; default: the event's state. */
  readonly state?: number;
}

/** The LINEERR_* a request refused by the PBX answers with. */
export function errorOf(err: unknown): number {
  return err instanceof LineProviderError ? lineErrorOf(err.code) : LINEERR.LINEERR_OPERATIONFAILED;
}

/** A dial string the PBX cannot dial is an invalid address to TAPI (lineMakeCall, lineDial). */
export function dialError(err: unknown): number {
  return err instanceof LineProviderError && err.code === 'invalid-state' ? LINEERR.LINEERR_INVALADDRESS : errorOf(err);
}

const S = LINECALLSTATE;

interface Consultation {
  /** The fake's key of the held call. */
  readonly primary: string;
  /** The PBX's id of the consultation, once dialled. */
  pbxId?: string;
}

interface Conference {
  readonly conf: string;
  readonly parties: readonly string[];
  announced: boolean;
}

export class TspConsultations {
  /** Consultation calls by their key in the fake. */
  private readonly consults = new Map<string, Consultation>();
  /** The key in the fake of a consultation the PBX knows by another id. */
  private readonly aliases = new Map<string, string>();
  /** Held calls with a consultation set up: ONHOLDPENDTRANSFER, not ONHOLD. */
  private readonly pendingTransfer = new Set<string>();
  /** Conferences by the PBX id of the held call that carries them on the PBX. */
  private readonly conferences = new Map<string, Conference>();
  private readonly conferenceCalls = new Map<string, string>();
  /** Parties of a conference: CONFERENCED until the conference call goes. */
  private readonly conferenced = new Set<string>();
  /** Calls of a completed transfer: they go IDLE without DISCONNECTED. */
  private readonly idleOnly = new Set<string>();
  /** The last event forwarded per key, for the states the PBX does not report itself. */
  private readonly last = new Map<string, CallEvent>();
  private dialling: string | undefined;
  /** A reply that must reach the application before the first state of the call it creates. */
  private deferredReply: string[] | undefined;
  private counter = 0;

  constructor(
    private readonly pbx: SimulatedPbx,
    private readonly forward: (forward: Forward) => void,
    private readonly send: (fields: string[]) => void,
  ) {}

  /** The PBX's id of the call the fake knows as `key`; undefined for a consultation not dialled yet. */
  pbxIdOf(key: string): string | undefined {
    const consult = this.consults.get(key);
    if (consult !== undefined) return consult.pbxId;
    return this.conferenceCalls.get(key) ?? key;
  }

  onCall(event: CallEvent): void {
    this.flushReply();
    if (this.dialling !== undefined && event.consultationOf !== undefined && !this.aliases.has(event.callId)) {
      this.aliases.set(event.callId, this.dialling);
      const consult = this.consults.get(this.dialling);
      if (consult !== undefined) consult.pbxId = event.callId;
    }
    const conference = this.conferences.get(event.callId);
    if (conference !== undefined) return this.onConferenceCall(event, conference);
    const key = this.aliases.get(event.callId) ?? event.callId;
    const consult = this.consults.get(key);
    if (this.conferenced.has(key)) {
      // A party joins the conference; it goes IDLE with the conference call (onConferenceCall).
      if (event.state === 'disconnected' && event.reason === 'conferenced') this.put(key, event, S.LINECALLSTATE_CONFERENCED);
      return;
    }
    if (this.idleOnly.has(key)) {
      if (event.state !== 'idle') return;
      this.idleOnly.delete(key);
      this.put(key, event);
      if (consult !== undefined) this.forget(key, consult);
      return;
    }
    const pending = event.state === 'onhold' && this.pendingTransfer.has(key);
    this.put(key, event, pending ? S.LINECALLSTATE_ONHOLDPENDTRANSFER : undefined);
    if (consult !== undefined && event.state === 'idle') this.consultationEnded(key, consult);
  }

  /** lineSetupTransfer: the PBX holds the call; the consultation call exists, in no state reported yet. */
  setupTransfer(id: string, key: string): void {
    const primary = this.last.get(key);
    const pbxId = this.pbxIdOf(key);
    if (primary === undefined || pbxId === undefined) return this.send(['reply', id, String(LINEERR.LINEERR_INVALCALLHANDLE)]);
    this.pendingTransfer.add(key);
    try {
      this.pbx.hold(pbxId);
    } catch (err) {
      this.pendingTransfer.delete(key);
      return this.send(['reply', id, String(errorOf(err))]);
    }
    const consultKey = `${key}~consult${++this.counter}`;
    this.consults.set(consultKey, { primary: key });
    this.send(['reply', id, '0', encodeURIComponent(consultKey)]);
  }

  /** lineDial on the consultation call: the PBX's consultation from the held call. */
  dial(id: string, key: string, dest: string): void {
    const consult = this.consults.get(key);
    const primary = consult === undefined ? undefined : this.pbxIdOf(consult.primary);
    if (consult === undefined || consult.pbxId !== undefined || primary === undefined) return this.send(['reply', id, String(LINEERR.LINEERR_INVALCALLSTATE)]);
    this.dialling = key;
    try {
      this.pbx.consult(primary, dest);
      this.send(['reply', id, '0']);
    } catch (err) {
      this.send(['reply', id, String(dialError(err))]);
    } finally {
      this.dialling = undefined;
    }
  }

  /** lineDrop of a consultation call nothing was dialled on: only the TSP knew it, and it goes IDLE. */
  dropUndialled(id: string, key: string): void {
    const consult = this.consults.get(key);
    const primary = consult === undefined ? undefined : this.last.get(consult.primary);
    if (consult === undefined || primary === undefined) return this.send(['reply', id, String(LINEERR.LINEERR_INVALCALLHANDLE)]);
    this.put(key, { type: 'call', at: primary.at, callId: key, line: primary.line, state: 'idle', origin: 'outbound' });
    this.consultationEnded(key, consult);
    this.send(['reply', id, '0']);
  }

  /** lineCompleteTransfer of the held call `key` and its consultation, in transfer or conference mode. */
  complete(id: string, key: string, consultKey: string, conference: boolean): void {
    const primary = this.pbxIdOf(key);
    if (primary === undefined || !this.consults.has(consultKey)) return this.send(['reply', id, String(LINEERR.LINEERR_INVALCALLHANDLE)]);
    this.pendingTransfer.delete(key);
    if (!conference) {
      this.idleOnly.add(key).add(consultKey);
      try {
        this.pbx.completeTransfer(primary);
        this.send(['reply', id, '0']);
      } catch (err) {
        this.idleOnly.delete(key);
        this.idleOnly.delete(consultKey);
        this.pendingTransfer.add(key);
        this.send(['reply', id, String(errorOf(err))]);
      }
      return;
    }
    const conf = `${key}~conference`;
    this.conferences.set(primary, { conf, parties: [key, consultKey], announced: false });
    this.conferenceCalls.set(conf, primary);
    this.conferenced.add(key).add(consultKey);
    // The conference call's handle goes with the reply, before the first state of the conference.
    this.deferredReply = ['reply', id, '0', encodeURIComponent(conf)];
    try {
      this.pbx.conference(primary);
      this.flushReply();
    } catch (err) {
      if (this.deferredReply === undefined) throw err;
      this.deferredReply = undefined;
      this.conferences.delete(primary);
      this.conferenceCalls.delete(conf);
      this.conferenced.delete(key);
      this.conferenced.delete(consultKey);
      this.pendingTransfer.add(key);
      this.send(['reply', id, String(errorOf(err))]);
    }
  }

  /** The held call's PBX events after a conference are the conference call's; its parties go IDLE with it. */
  private onConferenceCall(event: CallEvent, conference: Conference): void {
    const [primaryKey] = conference.parties;
    if (!conference.announced && primaryKey !== undefined) {
      conference.announced = true;
      this.put(primaryKey, event, S.LINECALLSTATE_CONFERENCED);
    }
    // A conference call can be consulted from too (held pending transfer like any call).
    const pending = event.state === 'onhold' && this.pendingTransfer.has(conference.conf);
    this.put(conference.conf, event, pending ? S.LINECALLSTATE_ONHOLDPENDTRANSFER : undefined);
    if (event.state !== 'idle') return;
    for (const party of conference.parties) {
      const last = this.last.get(party);
      this.conferenced.delete(party);
      if (last !== undefined) this.put(party, { ...last, state: 'idle' });
      const consult = this.consults.get(party);
      if (consult !== undefined) this.forget(party, consult);
    }
    this.conferences.delete(event.callId);
    this.conferenceCalls.delete(conference.conf);
  }

  /** A consultation went: its held call drops from ONHOLDPENDTRANSFER to ONHOLD. */
  private consultationEnded(key: string, consult: Consultation): void {
    this.forget(key, consult);
    if (!this.pendingTransfer.delete(consult.primary)) return;
    const primary = this.last.get(consult.primary);
    if (primary !== undefined) this.put(consult.primary, primary, S.LINECALLSTATE_ONHOLD);
  }

  private forget(key: string, consult: Consultation): void {
    this.consults.delete(key);
    if (consult.pbxId !== undefined) this.aliases.delete(consult.pbxId);
  }

  private put(key: string, event: CallEvent, state?: number): void {
    this.forward({ key, event, ...(state === undefined ? {} : { state }) });
    if (event.state === 'idle' && state === undefined) {
      this.last.delete(key);
      this.pendingTransfer.delete(key);
    } else {
      this.last.set(key, event);
    }
  }

  private flushReply(): void {
    const reply = this.deferredReply;
    this.deferredReply = undefined;
    if (reply !== undefined) this.send(reply);
  }
}
