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
import type { ConnectorMessage } from './messages-connector.ts';
import type { IntincallMessage, OutcallMessage } from './messages-client.ts';
import type { DiagnoseMessage } from './messages-diagnose.ts';

export type * from './messages-connector.ts';
export type * from './messages-client.ts';
export type * from './messages-diagnose.ts';

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

/** `error` exists on every channel; `requestId` names the request it answers, if any. */
export interface ErrorMessage<C extends Channel = Channel> {
  channel: C;
  command: 'error';
  code: string;
  message: string;
  requestId?: string;
}

// ---------------------------------------------------------------- the union

export type TapiMessage = ConnectorMessage | IntincallMessage | OutcallMessage | DiagnoseMessage;

export type Command = TapiMessage['command'];

/** The message type of one channel and command, e.g. `MessageOf<'connector', 'callState'>`. */
export type MessageOf<Ch extends Channel, Cmd extends Command> = Extract<TapiMessage, { channel: Ch; command: Cmd }>;

/** Connector → manager. */
export type ConnectorUpMessage = Extract<
  ConnectorMessage,
  { command: 'register' | 'lines' | 'lineAdded' | 'lineRemoved' | 'lineState' | 'callState' | 'eventsLost' | 'synced' | 'keepalive' | 'result' | 'error' }
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
export type DiagnoseUpMessage = Extract<DiagnoseMessage, { command: 'diagnose' | 'prove' | 'refreshPhoneNumbers' | 'outboxRetry' | 'outboxDrop' | 'error' }>;
/** Manager → admin client. */
export type DiagnoseDownMessage = Extract<DiagnoseMessage, { command: 'challenge' | 'diagnoseReport' | 'refreshResult' | 'outboxResult' | 'error' }>;
