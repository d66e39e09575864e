// What the agent sees of each call, decided from the manager's notifications
// alone (pure: no DOM, no clock): when the popup shows, changes and closes,
// when the phone call activity (and the record) opens, and which calls go to
// the missed-calls list. The manager sends each call to one tab per user;
// `TabCoordinator` keeps the other tabs from showing it twice.
import type { CallNotificationMessage, CallState, CrmMatch, PopupSettings, WelcomeLine } from '../protocol/index.ts';
import { OPEN_PHONE_CALL } from './schema-names.ts';

export interface CallView {
  callKey: string;
  line: string;
  direction: CallNotificationMessage['direction'];
  /** The other party's number as the PBX sent it, and its normalised forms. */
  number: string;
  e164?: string;
  extension?: string;
  matches: CrmMatch[];
  popup: PopupSettings;
  state: CallState;
  /** First notification's timestamp (ISO). */
  startedAt: string;
  connectedAt?: string;
  endedAt?: string;
  endedReason?: CallNotificationMessage['endedReason'];
  answeredBy?: string;
  /** The call reached this user ringing (incoming) rather than dialled by them. */
  incoming: boolean;
  /** The phone call activity id the manager chose for this call and user (absent from older managers). */
  phoneCallId?: string;
  /** The agent pressed "reject" here (the PBX may report the end as `rejected` or, via disconnect, as anything). */
  rejectedHere?: boolean;
  /** 1.1: the key of the held call this call is a consultation of. */
  consultationOf?: string;
}

export type CallEffect =
  | { kind: 'showPopup'; call: CallView }
  | { kind: 'updatePopup'; call: CallView }
  | { kind: 'closePopup'; call: CallView; why: ClosingReason }
  | { kind: 'openPhoneCall'; call: CallView; withRecord: CrmMatch | undefined }
  | { kind: 'missed'; call: CallView };

export type ClosingReason = 'answeredElsewhere' | 'rejected' | 'ended';

const RINGING: ReadonlySet<CallState> = new Set(['offering', 'accepted']);
const ENDED: ReadonlySet<CallState> = new Set(['disconnected', 'idle']);
const TALKING: ReadonlySet<CallState> = new Set(['connected', 'onhold']);
const DIALLING: ReadonlySet<CallState> = new Set(['dialtone', 'dialing', 'proceeding', 'ringback', 'busy']);

/** Calls kept after they ended, to ignore their late or replayed notifications. */
export const MAX_ENDED_CALLS = 200;

interface Tracked {
  view: CallView;
  popupShown: boolean;
  phoneCallOpened: boolean;
  ended: boolean;
  /** A colleague's answer was already shown. */
  elsewhereShown: boolean;
}

/**
 * Whether the popup offers "reject" on a line: not where the connector said it
 * cannot (RejectViaDisconnect = 0); where it did not say (an older connector)
 * the button stays and the manager's refusal explains itself in a toast.
 */
export function rejectAllowedOn(lines: readonly WelcomeLine[] | undefined, line: string): boolean {
  return lines?.find((l) => l.line === line)?.rejectAllowed !== false;
}

/** True when the line's "open phone call" option covers a call of this kind. */
export function opensPhoneCall(option: number, incoming: boolean): boolean {
  if (option === OPEN_PHONE_CALL.always) return true;
  if (option === OPEN_PHONE_CALL.incoming) return incoming;
  if (option === OPEN_PHONE_CALL.outgoing) return !incoming;
  return false;
}

export class CallBook {
  private readonly calls = new Map<string, Tracked>();
  private readonly endedOrder: string[] = [];

  get(callKey: string): CallView | undefined {
    return this.calls.get(callKey)?.view;
  }

  active(): CallView[] {
    return [...this.calls.values()].filter((t) => !t.ended).map((t) => t.view);
  }

  /**
   * The agent rejects (true) or the manager refused the reject (false): a
   * rejected call is a decision, not a missed call, whatever end reason the
   * PBX reports (RejectViaDisconnect makes it an ordinary hang-up).
   */
  markRejected(callKey: string, rejected: boolean): void {
    const t = this.calls.get(callKey);
    if (t !== undefined && !t.ended) t.view.rejectedHere = rejected;
  }

  apply(n: CallNotificationMessage): CallEffect[] {
    let t = this.calls.get(n.callKey);
    if (t?.ended) return [];
    const effects: CallEffect[] = [];
    if (t === undefined) {
      const view: CallView = {
        callKey: n.callKey, line: n.line, direction: n.direction, number: n.number, matches: n.matches, popup: n.popup, state: n.state,
        startedAt: n.timestamp, incoming: n.direction === 'inbound' || (n.direction === 'internal' && !DIALLING.has(n.state)),
        ...(n.e164 === undefined ? {} : { e164: n.e164 }), ...(n.extension === undefined ? {} : { extension: n.extension }),
      };
      t = { view, popupShown: false, phoneCallOpened: false, ended: false, elsewhereShown: false };
      this.calls.set(n.callKey, t);
    }
    const v = t.view;
    v.state = n.state;
    if (n.matches.length > 0) v.matches = n.matches;
    v.popup = n.popup;
    if (n.answeredBy !== undefined) v.answeredBy = n.answeredBy;
    if (n.phoneCallId !== undefined) v.phoneCallId = n.phoneCallId;
    if (n.consultationOf !== undefined) v.consultationOf = n.consultationOf;
    if (n.endedReason !== undefined) v.endedReason = n.endedReason;
    if (TALKING.has(n.state) && v.connectedAt === undefined) v.connectedAt = n.timestamp;

    if (ENDED.has(n.state)) {
      t.ended = true;
      v.endedAt = n.timestamp;
      this.remember(n.callKey);
      const elsewhere = v.answeredBy !== undefined || v.endedReason === 'pickedUpElsewhere';
      const rejected = v.rejectedHere === true || v.endedReason === 'rejected';
      if (t.popupShown) effects.push({ kind: 'closePopup', call: v, why: elsewhere ? 'answeredElsewhere' : rejected ? 'rejected' : 'ended' });
      else if (elsewhere && v.incoming && !n.replayed && !t.elsewhereShown) {
        // A colleague took it before our popup could show: say who, briefly.
        effects.push({ kind: 'showPopup', call: v }, { kind: 'closePopup', call: v, why: 'answeredElsewhere' });
      }
      if (v.incoming && v.connectedAt === undefined && !elsewhere && !rejected) effects.push({ kind: 'missed', call: v });
      return effects;
    }
    if (n.answeredBy !== undefined && TALKING.has(n.state)) {
      // A colleague took the call (the manager names the answerer only to the others).
      if (t.popupShown) effects.push({ kind: 'closePopup', call: v, why: 'answeredElsewhere' });
      t.popupShown = false;
      t.elsewhereShown = true;
      t.phoneCallOpened = true;
      return effects;
    }
    if (v.incoming && !t.popupShown && RINGING.has(n.state) && !n.replayed) {
      t.popupShown = true;
      effects.push({ kind: 'showPopup', call: v });
    } else if (t.popupShown) {
      effects.push({ kind: 'updatePopup', call: v });
    }
    if (!t.phoneCallOpened && !n.replayed && opensPhoneCall(v.popup.openPhoneCallOption, v.incoming)) {
      const now = v.popup.openOnlyWhenConnected ? TALKING.has(n.state) : true;
      if (now) {
        t.phoneCallOpened = true;
        effects.push({ kind: 'openPhoneCall', call: v, withRecord: v.popup.openRecord ? v.matches[0] : undefined });
      }
    }
    return effects;
  }

  private remember(callKey: string): void {
    this.endedOrder.push(callKey);
    while (this.endedOrder.length > MAX_ENDED_CALLS) {
      const old = this.endedOrder.shift();
      if (old !== undefined) this.calls.delete(old);
    }
  }
}
