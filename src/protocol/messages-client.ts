// Messages of the `intincall` and `outcall` channels (browser client ⇄ manager over WebSocket). Part of the message union of messages.ts (import from there or from index.ts).
import type { CallOrigin, CallState } from './call-state.ts';
import type { CallControl, CallControlAction, CallEndReason, ErrorMessage, Registration, WireError } from './messages.ts';

/** The manual's handshake (evidence: v5 and v8 traces). Only `registration` and `incallVersion` are in both. */
export interface ConnectMessage<C extends 'intincall' | 'outcall' = 'intincall'> {
  channel: C;
  command: 'connect';
  registration: Registration;
  incallVersion: string;
  incallClient?: string;
  /** Claimed CRM user id, normalised GUID. Claimed only: identity comes from `prove`. */
  userid?: string;
  organisation?: string;
}

export interface ChallengeMessage<C extends 'intincall' | 'diagnose' = 'intincall'> {
  channel: C;
  command: 'challenge';
  nonce: string;
  expiresAt: string;
}

export interface ProveMessage<C extends 'intincall' | 'diagnose' = 'intincall'> {
  channel: C;
  command: 'prove';
  nonce: string;
  /** GUID of the session record the client created in Dataverse as the signed-in user. */
  sessionRecordId: string;
  /** Per-tab id, so one user's several tabs are told apart. */
  clientInstanceId: string;
}

/** Effective dialing settings of one line (default → site → user line already resolved). */
export interface LineDialingSettings {
  internationalPrefix: string;
  nationalPrefix: string;
  countryCode: string;
  areaCode: string;
  baseNumber: string;
  outsideLinePrefix: string;
  incomingDirectionCode: string;
  maxInternalLength: number;
  dialLocalWithoutAreaCode: boolean;
}

/** Popup and phone-call options of a line (evidence: the OutCallLog trace). */
export interface PopupSettings {
  /** "Telefonanruf erst bei Verbindungsaufbau öffnen". */
  openOnlyWhenConnected: boolean;
  /** "Telefonanruf und Datensatz öffnen". */
  openRecord: boolean;
  position: number;
  durationSeconds: number;
  /** "Telefonanruf öffnen" option-set value, e.g. 946410001. */
  openPhoneCallOption: number;
}

export interface WelcomeLine {
  /** Full line name `<connector host>:<line name>`. */
  line: string;
  displayName: string;
  dialing: LineDialingSettings;
  popup: PopupSettings;
  /** Whether a ringing call on this line can be rejected (the connector's `RejectViaDisconnect`); absent: unknown (an older connector). */
  rejectAllowed?: boolean;
  /** 1.1: call controls the line offers (hold, transfer, consult, conference); absent: none (an older connector or manager). */
  controls?: CallControl[];
  /** 1.1: the line is in service at the PBX and its connector is connected; absent: unknown (the line is not reported by any connector, or an older manager). */
  inService?: boolean;
}

export interface WelcomeMessage {
  channel: 'intincall';
  command: 'welcome';
  userId: string;
  userName: string;
  admin: boolean;
  protocolVersion: string;
  heartbeatInterval: number;
  lines: WelcomeLine[];
}

export interface HeartbeatMessage {
  channel: 'intincall';
  command: 'heartbeat';
}

/** A CRM record whose phone field matched the caller. */
export interface CrmMatch {
  entity: string;
  id: string;
  name: string;
  field: string;
}

export interface CallNotificationMessage {
  channel: 'intincall';
  command: 'callNotification';
  notificationId: string;
  /** Opaque key of the call across the bridge (connector host and callId); used in `callControl`. */
  callKey: string;
  timestamp: string;
  line: string;
  state: CallState;
  direction: CallOrigin;
  /** The other party's number exactly as the PBX sent it. */
  number: string;
  e164?: string;
  extension?: string;
  /** Best first. */
  matches: CrmMatch[];
  popup: PopupSettings;
  endedReason?: CallEndReason;
  /** User name of the colleague who answered a shared call. */
  answeredBy?: string;
  /**
   * The phone call activity id the manager chose for this call and this user:
   * the client creates the record under it, the manager's record of the call
   * at its end writes the same one (one record, not two).
   */
  phoneCallId?: string;
  /** 1.1: this call is a consultation the agent set up from the call with this key (complete, cancel or conference it there). */
  consultationOf?: string;
  replayed: boolean;
}

export interface RegardingRef {
  entity: string;
  id: string;
}

export interface DialMessage {
  channel: 'intincall';
  command: 'dial';
  requestId: string;
  line: string;
  number: string;
  regarding?: RegardingRef;
}

export interface DialResultMessage {
  channel: 'intincall';
  command: 'dialResult';
  requestId: string;
  ok: boolean;
  dialString?: string;
  error?: WireError;
}

export interface CallControlMessage {
  channel: 'intincall';
  command: 'callControl';
  requestId: string;
  callKey: string;
  action: CallControlAction;
  /** 1.1: the number to call for `transfer` and `consult` (converted by the line's dialing rules, like `dial`). */
  target?: string;
}

export interface CallControlResultMessage {
  channel: 'intincall';
  command: 'callControlResult';
  requestId: string;
  ok: boolean;
  error?: WireError;
}

export type IntincallMessage =
  | ConnectMessage<'intincall'>
  | ChallengeMessage<'intincall'>
  | ProveMessage<'intincall'>
  | WelcomeMessage
  | HeartbeatMessage
  | CallNotificationMessage
  | DialMessage
  | DialResultMessage
  | CallControlMessage
  | CallControlResultMessage
  | ErrorMessage<'intincall'>;

/** The manual's click-to-dial socket kind: only its `connect` is understood (treated like intincall's). */
export type OutcallMessage = ConnectMessage<'outcall'> | ErrorMessage<'outcall'>;

