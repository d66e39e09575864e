// The decoded form of every `<tapiaction>` message: one discriminated union,
// keyed on `channel` (the `name` attribute) and `command` (the `<command>`
// element). spec/protocol.md is the normative description of each message
// (direction, XML element names, limits, examples, evidence vs designed).
//
// Conventions every layer relies on:
// - phone numbers, ids, names and versions are strings exactly as sent
//   (`0049301234` stays `0049301234`, `1e5` stays `1e5`);
// - GUIDs are normalised to the lower-case bare form (`{85938DAD-…}` →
//   `85938dad-…`), whatever case or braces the peer used;
// - integers (`seq`, counts, intervals in seconds) are numbers, booleans are
//   booleans, timestamps are ISO-8601 UTC strings with milliseconds
//   (`2024-05-01T12:00:00.000Z`: the pure layer holds no Date);
// - an optional field is absent (not `undefined`-valued) when not sent.
import type { CallOrigin, CallState } from './call-state.ts';

/** Channels, the `name` attribute of `<tapiaction>`. `intincall` and `outcall` are the manual's socket kinds. */
export const CHANNELS = ['connector', 'intincall', 'outcall', 'diagnose'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Version of this protocol spoken by our manager and connector (spec/protocol.md "Versioning"). */
export const PROTOCOL_VERSION = '1.0';

/** Why a call ended or was not answered. Unknown values decode as `other` (newer peers may add reasons). */
export const CALL_END_REASONS = [
  'pickedUpElsewhere',
  'rejected',
  'busy',
  'noAnswer',
  'callerHungUp',
  'calleeHungUp',
  'transferred',
  'unreachable',
  'other',
] as const;
export type CallEndReason = (typeof CALL_END_REASONS)[number];

export const MEDIA_MODES = ['audio', 'video'] as const;
export type MediaMode = (typeof MEDIA_MODES)[number];

/** The manual's `registration` values of `intincall`/`connect` (evidence: both traces). */
export const REGISTRATIONS = ['auto', 'manuell'] as const;
export type Registration = (typeof REGISTRATIONS)[number];

export const CALL_CONTROL_ACTIONS = ['answer', 'drop', 'reject'] as const;
export type CallControlAction = (typeof CALL_CONTROL_ACTIONS)[number];

/** Socket kinds ("SocketArt") the manager reports in a diagnose report (evidence: manual chapter 5). */
export const SOCKET_KINDS = ['connector', 'incall', 'incalltest', 'outcall', 'diagnose'] as const;
export type SocketKind = (typeof SOCKET_KINDS)[number];

/** A failure carried on the wire: a stable code and a human sentence (never a secret). */
export interface WireError {
  code: string;
  message: string;
}

// ---------------------------------------------------------------- connector

/** One TAPI line as the connector reports it. `name` is connector-local (e.g. `25`); the manager prefixes the host. */
export interface LineInfo {
  name: string;
  address: string;
  permanentId: string;
  mediaModes: MediaMode[];
  inService: boolean;
}

export interface RegisterMessage {
  channel: 'connector';
  command: 'register';
  protocolVersion: string;
  connectorVersion: string;
  host: string;
  /** Shared secret proving the connector may register. Never log it: see `redactMessage`. */
  connectorKey: string;
  /** Highest seq the connector saw acknowledged before it lost the connection. */
  lastAckedSeq?: number;
}

export interface RegisteredMessage {
  channel: 'connector';
  command: 'registered';
  protocolVersion: string;
  /** The connector resends every buffered event with seq greater than this. */
  lastAckedSeq: number;
  /** Seconds between keepalives the manager expects (ConnectionKeepAliveIntervall). */
  keepAliveInterval: number;
}

export interface LinesMessage {
  channel: 'connector';
  command: 'lines';
  lines: LineInfo[];
}

export interface LineAddedMessage {
  channel: 'connector';
  command: 'lineAdded';
  seq: number;
  line: LineInfo;
}

export interface LineRemovedMessage {
  channel: 'connector';
  command: 'lineRemoved';
  seq: number;
  line: string;
}

export interface LineStateMessage {
  channel: 'connector';
  command: 'lineState';
  seq: number;
  line: string;
  inService: boolean;
}

export interface CallStateMessage {
  channel: 'connector';
  command: 'callState';
  seq: number;
  timestamp: string;
  line: string;
  callId: string;
  relatedCallId?: string;
  state: CallState;
  origin: CallOrigin;
  callerNumber?: string;
  callerName?: string;
  calledNumber?: string;
  calledName?: string;
  connectedNumber?: string;
  connectedName?: string;
  redirectingNumber?: string;
  redirectingName?: string;
  reason?: CallEndReason;
  /** True when the event re-sends the state of a call still active after a reconnect. */
  snapshot: boolean;
}

export interface EventsLostMessage {
  channel: 'connector';
  command: 'eventsLost';
  seq: number;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
}

export interface AckMessage {
  channel: 'connector';
  command: 'ack';
  /** Cumulative: every event with seq ≤ this is safe at the manager. */
  seq: number;
}

export interface ConnectorKeepaliveMessage {
  channel: 'connector';
  command: 'keepalive';
}

export interface MakeCallMessage {
  channel: 'connector';
  command: 'makeCall';
  requestId: string;
  line: string;
  dialString: string;
}

export interface CallCommandMessage<C extends 'answer' | 'drop' | 'reject'> {
  channel: 'connector';
  command: C;
  requestId: string;
  callId: string;
}
export type AnswerMessage = CallCommandMessage<'answer'>;
export type DropMessage = CallCommandMessage<'drop'>;
export type RejectMessage = CallCommandMessage<'reject'>;

export interface ReinitializeMessage {
  channel: 'connector';
  command: 'reinitialize';
  requestId: string;
}

export interface ResultMessage {
  channel: 'connector';
  command: 'result';
  requestId: string;
  ok: boolean;
  /** Present exactly when `ok` is false. */
  error?: WireError;
}

/** `error` exists on every channel; `requestId` names the request it answers, if any. */
export interface ErrorMessage<C extends Channel = Channel> {
  channel: C;
  command: 'error';
  code: string;
  message: string;
  requestId?: string;
}

export type ConnectorMessage =
  | RegisterMessage
  | RegisteredMessage
  | LinesMessage
  | LineAddedMessage
  | LineRemovedMessage
  | LineStateMessage
  | CallStateMessage
  | EventsLostMessage
  | AckMessage
  | ConnectorKeepaliveMessage
  | MakeCallMessage
  | AnswerMessage
  | DropMessage
  | RejectMessage
  | ReinitializeMessage
  | ResultMessage
  | ErrorMessage<'connector'>;

// ---------------------------------------------------------------- intincall / outcall

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

// ---------------------------------------------------------------- diagnose

export interface DiagnoseRequestMessage {
  channel: 'diagnose';
  command: 'diagnose';
  requestId?: string;
}

export interface DiagnoseConnectorLine {
  /** Full line name `<connector host>:<line name>`. */
  line: string;
  inService: boolean;
  /** Users the line is configured for in the CRM. */
  users: number;
}

export interface DiagnoseConnector {
  host: string;
  peer: string;
  connectorVersion: string;
  lines: DiagnoseConnectorLine[];
}

export interface DiagnoseEntityLine {
  line: string;
  users: string[];
}

export interface DiagnoseSocket {
  kind: SocketKind;
  peer: string;
  created: string;
  lastReceive: string;
  line?: string;
  user?: string;
}

export interface DiagnoseReportMessage {
  channel: 'diagnose';
  command: 'diagnoseReport';
  requestId?: string;
  version: string;
  edition: string;
  connectors: DiagnoseConnector[];
  entityLines: DiagnoseEntityLine[];
  sockets: DiagnoseSocket[];
}

export interface RefreshPhoneNumbersMessage {
  channel: 'diagnose';
  command: 'refreshPhoneNumbers';
  requestId?: string;
}

export interface RefreshResultMessage {
  channel: 'diagnose';
  command: 'refreshResult';
  requestId?: string;
  ok: boolean;
  /** Phone numbers in the directory after the refresh. */
  numbers?: number;
  error?: WireError;
}

export type DiagnoseMessage =
  | DiagnoseRequestMessage
  | ChallengeMessage<'diagnose'>
  | ProveMessage<'diagnose'>
  | DiagnoseReportMessage
  | RefreshPhoneNumbersMessage
  | RefreshResultMessage
  | ErrorMessage<'diagnose'>;

// ---------------------------------------------------------------- the union

export type TapiMessage = ConnectorMessage | IntincallMessage | OutcallMessage | DiagnoseMessage;

export type Command = TapiMessage['command'];

/** The message type of one channel and command, e.g. `MessageOf<'connector', 'callState'>`. */
export type MessageOf<Ch extends Channel, Cmd extends Command> = Extract<TapiMessage, { channel: Ch; command: Cmd }>;

/** Connector → manager. */
export type ConnectorUpMessage = Extract<
  ConnectorMessage,
  { command: 'register' | 'lines' | 'lineAdded' | 'lineRemoved' | 'lineState' | 'callState' | 'eventsLost' | 'keepalive' | 'result' | 'error' }
>;
/** Manager → connector. */
export type ConnectorDownMessage = Extract<
  ConnectorMessage,
  { command: 'registered' | 'ack' | 'keepalive' | 'makeCall' | 'answer' | 'drop' | 'reject' | 'reinitialize' | 'error' }
>;
/** Browser client → manager (intincall and outcall). */
export type ClientUpMessage =
  | Extract<IntincallMessage, { command: 'connect' | 'prove' | 'heartbeat' | 'dial' | 'callControl' | 'error' }>
  | OutcallMessage;
/** Manager → browser client. */
export type ClientDownMessage = Extract<
  IntincallMessage,
  { command: 'challenge' | 'welcome' | 'heartbeat' | 'callNotification' | 'dialResult' | 'callControlResult' | 'error' }
>;
/** Admin client → manager. */
export type DiagnoseUpMessage = Extract<DiagnoseMessage, { command: 'diagnose' | 'prove' | 'refreshPhoneNumbers' | 'error' }>;
/** Manager → admin client. */
export type DiagnoseDownMessage = Extract<DiagnoseMessage, { command: 'challenge' | 'diagnoseReport' | 'refreshResult' | 'error' }>;
