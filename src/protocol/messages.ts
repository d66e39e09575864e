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
export const PROTOCOL_VERSION = '1.2';

/** A peer accepts any minor version of its own major version and refuses every other major (spec/protocol.md §6). */
export function isSameMajorVersion(version: string): boolean {
  return version.split('.')[0] === PROTOCOL_VERSION.split('.')[0];
}

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
  /** 1.1: a consultation call ended by joining its primary call in a three-party conference. */
  'conferenced',
  'other',
] as const;
export type CallEndReason = (typeof CALL_END_REASONS)[number];

export const MEDIA_MODES = ['audio', 'video'] as const;
export type MediaMode = (typeof MEDIA_MODES)[number];

/** The manual's `registration` values of `intincall`/`connect` (evidence: both traces). */
export const REGISTRATIONS = ['auto', 'manuell'] as const;
export type Registration = (typeof REGISTRATIONS)[number];

/**
 * What a client may ask of a call. 1.0: answer, drop, reject; 1.1 adds the
 * agent's call control (spec/protocol.md §7.7): hold/unhold, a blind
 * `transfer` and a `consult` (both with a `target`), and on a consultation's
 * primary call `completeTransfer`, `cancelConsult` and `conference`.
 */
export const CALL_CONTROL_ACTIONS = [
  'answer',
  'drop',
  'reject',
  'hold',
  'unhold',
  'transfer',
  'consult',
  'completeTransfer',
  'cancelConsult',
  'conference',
] as const;
export type CallControlAction = (typeof CALL_CONTROL_ACTIONS)[number];
/** Connector commands on one call (`callId`): the same words as the client's actions (1.1 adds those after `reject`). */
export const CALL_COMMANDS = CALL_CONTROL_ACTIONS;
export type CallCommandName = CallControlAction;
/** The actions that need a `target` (a number to call). */
export const TARGETED_ACTIONS: readonly CallControlAction[] = ['transfer', 'consult'];

/**
 * Call-control capabilities a line reports (1.1, `controls`): `hold` covers
 * hold and unhold, `transfer` a blind transfer, `consult` a consultation with
 * complete and cancel, `conference` joining a consultation into a three-party
 * call. Drop is never optional. Unknown words from newer peers are ignored.
 */
export const CALL_CONTROLS = ['hold', 'transfer', 'consult', 'conference'] as const;
export type CallControl = (typeof CALL_CONTROLS)[number];

/** The capability a call-control action needs; undefined for actions every line offers. */
export function controlNeeded(action: CallControlAction): CallControl | undefined {
  switch (action) {
    case 'hold':
    case 'unhold':
      return 'hold';
    case 'transfer':
      return 'transfer';
    case 'consult':
    case 'completeTransfer':
    case 'cancelConsult':
      return 'consult';
    case 'conference':
      return 'conference';
    default:
      return undefined;
  }
}

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
  { command: 'registered' | 'ack' | 'keepalive' | 'makeCall' | CallCommandName | 'reinitialize' | 'error' }
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
