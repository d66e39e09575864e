// The message catalogue as data: for each channel and command, the child
// elements of `<tapiaction>` after `<command>`, in the order they are written.
// Element names equal the decoded property names. spec/protocol.md documents
// the same table in prose; test/protocol checks every entry round-trips.
import { CALL_ORIGINS, CALL_STATES } from './call-state.ts';
import { bool, guid, int, list, object, oneOf, opt, req, text, timestamp, tokens, type FieldSpec } from './fields.ts';
import {
  CALL_CONTROL_ACTIONS,
  CALL_CONTROLS,
  CALL_END_REASONS,
  MEDIA_MODES,
  REGISTRATIONS,
  SOCKET_KINDS,
  type Channel,
  type TapiMessage,
} from './messages.ts';

// Limits (characters, UTF-16 code units). A frame of 65,535 bytes bounds every message as a whole.
const ID = text(128, 1);
const VERSION = text(32, 1);
const HOST = text(253, 1);
const LOCAL_LINE = text(128, 1);
const FULL_LINE = text(384, 1);
const NUMBER = text(64);
const NAME = text(256);
const CODE = text(64, 1);
const MESSAGE = text(1024);
const ENTITY = text(128, 1);
const SETTING = text(32);
const SECONDS = int(1, 86_400);
const SEQ = int(0);
const CONTROLS = tokens(CALL_CONTROLS, { lenient: true });
const DIAL_STRING = text(64, 1);
/** Dead letters one report lists (each ≤ ~1.6 KB: together well inside the diagnose channel's 4 MiB). */
export const MAX_REPORTED_DEAD_LETTERS = 1_000;

const wireError = object(req('code', CODE), req('message', MESSAGE));

const lineInfo = object(
  req('name', LOCAL_LINE),
  req('address', text(128)),
  req('permanentId', text(128)),
  req('mediaModes', tokens(MEDIA_MODES)),
  req('inService', bool),
  opt('rejectAllowed', bool),
  opt('controls', CONTROLS),
);

const popup = object(
  req('openOnlyWhenConnected', bool),
  req('openRecord', bool),
  req('position', int(0, 99)),
  req('durationSeconds', int(0, 86_400)),
  req('openPhoneCallOption', int(0, 2_147_483_647)),
);

const dialing = object(
  req('internationalPrefix', SETTING),
  req('nationalPrefix', SETTING),
  req('countryCode', SETTING),
  req('areaCode', SETTING),
  req('baseNumber', SETTING),
  req('outsideLinePrefix', SETTING),
  req('incomingDirectionCode', SETTING),
  req('maxInternalLength', int(0, 20)),
  req('dialLocalWithoutAreaCode', bool),
);

const callCommand = [req('requestId', ID), req('callId', ID)];
const targetedCommand = [...callCommand, req('dialString', DIAL_STRING)];
const errorFields = [req('code', CODE), req('message', MESSAGE), opt('requestId', ID)];
const connect = [
  req('registration', oneOf(REGISTRATIONS, { caseInsensitive: true })),
  req('incallVersion', VERSION),
  opt('incallClient', text(64)),
  opt('userid', guid),
  opt('organisation', NAME),
];
const challenge = [req('nonce', text(256, 1)), req('expiresAt', timestamp)];
const prove = [req('nonce', text(256, 1)), req('sessionRecordId', guid), req('clientInstanceId', ID)];

const CATALOGUE = {
  connector: {
    register: [
      req('protocolVersion', VERSION),
      req('connectorVersion', VERSION),
      req('host', HOST),
      req('connectorKey', text(256, 1)),
      opt('lastAckedSeq', SEQ),
    ],
    registered: [req('protocolVersion', VERSION), req('lastAckedSeq', SEQ), req('keepAliveInterval', SECONDS)],
    lines: [req('lines', list('line', lineInfo, 4_096))],
    lineAdded: [req('seq', SEQ), req('line', lineInfo)],
    lineRemoved: [req('seq', SEQ), req('line', LOCAL_LINE)],
    lineState: [req('seq', SEQ), req('line', LOCAL_LINE), req('inService', bool)],
    callState: [
      req('seq', SEQ),
      req('timestamp', timestamp),
      req('line', LOCAL_LINE),
      req('callId', ID),
      opt('relatedCallId', ID),
      req('state', oneOf(CALL_STATES)),
      req('origin', oneOf(CALL_ORIGINS)),
      opt('callerNumber', NUMBER),
      opt('callerName', NAME),
      opt('calledNumber', NUMBER),
      opt('calledName', NAME),
      opt('connectedNumber', NUMBER),
      opt('connectedName', NAME),
      opt('redirectingNumber', NUMBER),
      opt('redirectingName', NAME),
      opt('consultationOf', ID),
      opt('reason', oneOf(CALL_END_REASONS, { fallback: 'other' })),
      req('snapshot', bool),
    ],
    eventsLost: [req('seq', SEQ), req('count', int(1)), req('firstTimestamp', timestamp), req('lastTimestamp', timestamp)],
    synced: [req('snapshotSeq', SEQ), opt('activeCalls', int(0))],
    ack: [req('seq', SEQ)],
    keepalive: [],
    makeCall: [req('requestId', ID), req('line', LOCAL_LINE), req('dialString', DIAL_STRING)],
    answer: callCommand,
    drop: callCommand,
    reject: callCommand,
    hold: callCommand,
    unhold: callCommand,
    transfer: targetedCommand,
    consult: targetedCommand,
    completeTransfer: callCommand,
    cancelConsult: callCommand,
    conference: callCommand,
    reinitialize: [req('requestId', ID)],
    result: [req('requestId', ID), req('ok', bool), opt('error', wireError), opt('callId', ID)],
    error: errorFields,
  },
  intincall: {
    connect,
    challenge,
    prove,
    welcome: [
      req('userId', guid),
      req('userName', NAME),
      req('admin', bool),
      req('protocolVersion', VERSION),
      req('heartbeatInterval', SECONDS),
      req(
        'lines',
        list('line', object(req('line', FULL_LINE), req('displayName', NAME), req('dialing', dialing), req('popup', popup), opt('rejectAllowed', bool), opt('controls', CONTROLS), opt('inService', bool)), 1_024),
      ),
    ],
    heartbeat: [],
    callNotification: [
      req('notificationId', ID),
      req('callKey', text(384, 1)),
      req('timestamp', timestamp),
      req('line', FULL_LINE),
      req('state', oneOf(CALL_STATES)),
      req('direction', oneOf(CALL_ORIGINS)),
      req('number', NUMBER),
      opt('e164', text(16, 2)),
      opt('extension', text(20, 1)),
      req('matches', list('match', object(req('entity', ENTITY), req('id', guid), req('name', NAME), req('field', ENTITY)), 100)),
      req('popup', popup),
      opt('endedReason', oneOf(CALL_END_REASONS, { fallback: 'other' })),
      opt('answeredBy', NAME),
      opt('phoneCallId', guid),
      opt('consultationOf', text(384, 1)),
      req('replayed', bool),
    ],
    dial: [
      req('requestId', ID),
      req('line', FULL_LINE),
      req('number', text(64, 1)),
      opt('regarding', object(req('entity', ENTITY), req('id', guid))),
    ],
    dialResult: [req('requestId', ID), req('ok', bool), opt('dialString', text(64, 1)), opt('error', wireError)],
    callControl: [req('requestId', ID), req('callKey', text(384, 1)), req('action', oneOf(CALL_CONTROL_ACTIONS)), opt('target', text(64, 1))],
    callControlResult: [req('requestId', ID), req('ok', bool), opt('error', wireError)],
    error: errorFields,
  },
  outcall: {
    connect,
    error: errorFields,
  },
  diagnose: {
    diagnose: [opt('requestId', ID)],
    challenge,
    prove,
    diagnoseReport: [
      opt('requestId', ID),
      req('version', VERSION),
      req('edition', text(64, 1)),
      req(
        'connectors',
        list(
          'connector',
          object(
            req('host', HOST),
            req('peer', text(300, 1)),
            req('connectorVersion', VERSION),
            req('lines', list('line', object(req('line', FULL_LINE), req('inService', bool), req('users', int(0, 1_000_000))), 4_096)),
          ),
          1_024,
        ),
      ),
      req('entityLines', list('entityLine', object(req('line', FULL_LINE), req('users', list('user', NAME, 1_024))), 4_096)),
      req(
        'sockets',
        list(
          'socket',
          object(
            req('kind', oneOf(SOCKET_KINDS)),
            req('peer', text(300, 1)),
            req('created', timestamp),
            req('lastReceive', timestamp),
            opt('line', FULL_LINE),
            opt('user', NAME),
          ),
          4_096,
        ),
      ),
      opt(
        'outbox',
        object(
          req('pending', int(0)),
          opt('oldestWaiting', object(req('id', guid), req('kind', ENTITY), req('enqueuedAt', timestamp), req('attempts', int(0)), opt('lastErrorCode', CODE), opt('lastError', MESSAGE))),
          req(
            'deadLetters',
            list(
              'deadLetter',
              object(
                req('id', guid),
                req('kind', ENTITY),
                req('entitySet', ENTITY),
                req('attempts', int(0)),
                req('enqueuedAt', timestamp),
                req('failedAt', timestamp),
                req('errorCode', CODE),
                req('errorMessage', MESSAGE),
                opt('status', int(0, 999)),
              ),
              MAX_REPORTED_DEAD_LETTERS,
            ),
          ),
          req('deadLetterCount', int(0)),
        ),
      ),
    ],
    refreshPhoneNumbers: [opt('requestId', ID)],
    refreshResult: [opt('requestId', ID), req('ok', bool), opt('numbers', int(0)), opt('error', wireError)],
    outboxRetry: [opt('requestId', ID), opt('id', guid), opt('all', bool)],
    outboxDrop: [opt('requestId', ID), req('id', guid)],
    outboxResult: [opt('requestId', ID), req('ok', bool), opt('count', int(0)), opt('error', wireError)],
    error: errorFields,
  },
} as const satisfies { [Ch in Channel]: { [Cmd in Extract<TapiMessage, { channel: Ch }>['command']]: readonly FieldSpec[] } };

/** Field specs of a channel's command, or undefined if the channel has no such command. */
export function fieldsOf(channel: Channel, command: string): readonly FieldSpec[] | undefined {
  const commands: Readonly<Record<string, readonly FieldSpec[]>> = CATALOGUE[channel];
  return Object.hasOwn(commands, command) ? commands[command] : undefined;
}

/** Commands of each channel, in catalogue order. */
export function commandsOf(channel: Channel): string[] {
  return Object.keys(CATALOGUE[channel]);
}
