// Messages of the `connector` channel (connector ⇄ manager over TCP). Part of the message union of messages.ts (import from there or from index.ts).
import type { CallOrigin, CallState } from './call-state.ts';
import type { CallCommandName, CallControl, CallEndReason, ErrorMessage, MediaMode, WireError } from './messages.ts';

/** One TAPI line as the connector reports it. `name` is connector-local (e.g. `25`); the manager prefixes the host. */
export interface LineInfo {
  name: string;
  address: string;
  permanentId: string;
  mediaModes: MediaMode[];
  inService: boolean;
  /** Whether the connector can reject a ringing call on this line (the manual's `RejectViaDisconnect`); absent from older connectors: unknown. */
  rejectAllowed?: boolean;
  /** 1.1: the call controls the line offers beyond answer/drop/reject; absent from older connectors: none known. */
  controls?: CallControl[];
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
  /** 1.1: this call is a consultation set up from the call with this id (on the same line); it is not an alias of it. */
  consultationOf?: string;
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

/**
 * Sent once per registration, after `lines`, the snapshot and the replay of
 * the buffer: from here on the manager holds the connector's complete state,
 * so a call it still tracks for this host that was neither in the snapshot nor
 * in a live event has ended while nobody watched (spec/protocol.md §7.5).
 */
export interface SyncedMessage {
  channel: 'connector';
  command: 'synced';
  /**
   * The connector's last seq when it took the snapshot (the `seq` the snapshot
   * callStates carry): events up to it are history the snapshot already
   * reflects; events after it happened after the snapshot.
   */
  snapshotSeq: number;
  /** Snapshot callStates sent before it (the manager checks it heard them all). */
  activeCalls?: number;
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

export interface CallCommandMessage<C extends CallCommandName = CallCommandName> {
  channel: 'connector';
  command: C;
  requestId: string;
  callId: string;
  /** `transfer` and `consult` only (required there): the dial string to call. */
  dialString?: string;
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
  /**
   * 1.2: the call a successful `makeCall` or `consult` placed, so the manager
   * knows who dialled it (absent from older connectors and other commands).
   */
  callId?: string;
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
  | SyncedMessage
  | AckMessage
  | ConnectorKeepaliveMessage
  | MakeCallMessage
  | { [C in CallCommandName]: CallCommandMessage<C> }[CallCommandName]
  | ReinitializeMessage
  | ResultMessage
  | ErrorMessage<'connector'>;

