// fast-check arbitraries for every message of the catalogue, written by hand
// against the TypeScript types (not derived from the catalogue) so that a
// drift between messages.ts and catalogue.ts shows up as a failing round trip.
import fc from 'fast-check';
import { CALL_ORIGINS, CALL_STATES } from '../../src/protocol/call-state.ts';
import {
  CALL_CONTROL_ACTIONS,
  CALL_CONTROLS,
  type CallControl,
  CALL_END_REASONS,
  REGISTRATIONS,
  SOCKET_KINDS,
  type Channel,
  type CrmMatch,
  type LineDialingSettings,
  type LineInfo,
  type MessageOf,
  type PopupSettings,
  type TapiMessage,
  type WireError,
} from '../../src/protocol/messages.ts';

/** Values that generic parsers love to turn into numbers, dates or trimmed strings. */
export const TRICKY_VALUES = [
  '0049301234',
  '+49 30 1234-567',
  '0815',
  '1e5',
  '0x1F',
  '12345678901234567890',
  ' 0815 ',
  'true',
  'null',
  'Müller & Söhne <GmbH>',
  'Zoë "Ž" O\'Brien',
  '日本語 😀',
  ']]>',
  '&amp;',
] as const;

const unit = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }).filter((c) => c >= ' ' && c !== '\x7f') },
  { weight: 1, arbitrary: fc.constantFrom('ä', 'ß', 'é', 'Ž', '日', '😀', '&', '<', '>', '"', "'", ' ', '\u00a0') },
);

/** A string any text field can carry; at most `max` code units even with surrogate pairs. */
export function str(max: number, min = 0): fc.Arbitrary<string> {
  const tricky = TRICKY_VALUES.filter((v) => v.length <= max && v.length >= min);
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit, minLength: min, maxLength: Math.max(min, Math.floor(max / 2)) }) },
    { weight: 1, arbitrary: tricky.length > 0 ? fc.constantFrom(...tricky) : fc.string({ unit, minLength: min, maxLength: min }) },
  );
}

const id = str(128, 1);
const seq = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const number = str(64);
const name = str(256);
const version = str(32, 1);
export const guid = fc.uuid().map((u) => u.toLowerCase());
export const timestamp = fc
  .date({ min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const localLine = str(128, 1);
const fullLine = str(384, 1);

const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> => fc.record(model, { noNullPrototype: true });

const wireError: fc.Arbitrary<WireError> = fc.record({ code: str(64, 1), message: str(1024) }, { noNullPrototype: true });

function controls(): fc.Arbitrary<CallControl[]> {
  return fc.subarray([...CALL_CONTROLS]);
}

const lineInfo: fc.Arbitrary<LineInfo> = fc.record({
  name: localLine,
  address: str(128),
  permanentId: str(128),
  mediaModes: fc.constantFrom<LineInfo['mediaModes']>(['audio'], ['video'], ['audio', 'video'], ['video', 'audio']),
  inService: fc.boolean(),
  rejectAllowed: fc.boolean(),
  controls: controls(),
}, { noNullPrototype: true, requiredKeys: ['name', 'address', 'permanentId', 'mediaModes', 'inService'] });

const popup: fc.Arbitrary<PopupSettings> = rec({
  openOnlyWhenConnected: fc.boolean(),
  openRecord: fc.boolean(),
  position: fc.integer({ min: 0, max: 99 }),
  durationSeconds: fc.integer({ min: 0, max: 86_400 }),
  openPhoneCallOption: fc.integer({ min: 0, max: 2_147_483_647 }),
});

const digits = (max: number) => fc.stringMatching(new RegExp(`^[0-9]{0,${max}}$`));
const dialing: fc.Arbitrary<LineDialingSettings> = rec({
  internationalPrefix: digits(4),
  nationalPrefix: digits(2),
  countryCode: digits(3),
  areaCode: digits(6),
  baseNumber: digits(10),
  outsideLinePrefix: digits(2),
  incomingDirectionCode: digits(2),
  maxInternalLength: fc.integer({ min: 0, max: 20 }),
  dialLocalWithoutAreaCode: fc.boolean(),
});

const match: fc.Arbitrary<CrmMatch> = rec({ entity: str(128, 1), id: guid, name, field: str(128, 1) });

const outcome = <T extends object>(base: fc.Arbitrary<T>) =>
  fc.oneof(
    base.map((b) => ({ ...b, ok: true as const })),
    fc.tuple(base, wireError).map(([b, error]) => ({ ...b, ok: false as const, error })),
  );

/** Typed against the union: the fields must be exactly assignable to the message type. */
function msg<Ch extends Channel, Cmd extends Extract<TapiMessage, { channel: Ch }>['command']>(
  channel: Ch,
  command: Cmd,
  fields: fc.Arbitrary<Omit<MessageOf<Ch, Cmd>, 'channel' | 'command'>>,
): fc.Arbitrary<TapiMessage> {
  return fields.map((f) => ({ channel, command, ...f }) as unknown as TapiMessage);
}


const connectFields = fc.record(
  {
    registration: fc.constantFrom(...REGISTRATIONS),
    incallVersion: version,
    incallClient: str(64),
    userid: guid,
    organisation: name,
  }, { noNullPrototype: true, requiredKeys: ['registration', 'incallVersion'] },
);
const challengeFields = rec({ nonce: str(256, 1), expiresAt: timestamp });
const proveFields = rec({ nonce: str(256, 1), sessionRecordId: guid, clientInstanceId: id });
const errorFields = fc.record({ code: str(64, 1), message: str(1024), requestId: id }, { noNullPrototype: true, requiredKeys: ['code', 'message'] });
const callCommand = rec({ requestId: id, callId: id });

/** One arbitrary per channel and command. Keys are `channel/command`. */
export const MESSAGE_ARBITRARIES: Record<string, fc.Arbitrary<TapiMessage>> = {
  'connector/register': msg(
    'connector',
    'register',
    fc.record(
      { protocolVersion: version, connectorVersion: version, host: str(253, 1), connectorKey: str(256, 1), lastAckedSeq: seq }, { noNullPrototype: true, requiredKeys: ['protocolVersion', 'connectorVersion', 'host', 'connectorKey'] },
    ),
  ),
  'connector/registered': msg('connector', 'registered', rec({ protocolVersion: version, lastAckedSeq: seq, keepAliveInterval: fc.integer({ min: 1, max: 86_400 }) })),
  'connector/lines': msg('connector', 'lines', rec({ lines: fc.array(lineInfo, { maxLength: 5 }) })),
  'connector/lineAdded': msg('connector', 'lineAdded', rec({ seq, line: lineInfo })),
  'connector/lineRemoved': msg('connector', 'lineRemoved', rec({ seq, line: localLine })),
  'connector/lineState': msg('connector', 'lineState', rec({ seq, line: localLine, inService: fc.boolean() })),
  'connector/callState': msg(
    'connector',
    'callState',
    fc.record(
      {
        seq,
        timestamp,
        line: localLine,
        callId: id,
        relatedCallId: id,
        state: fc.constantFrom(...CALL_STATES),
        origin: fc.constantFrom(...CALL_ORIGINS),
        callerNumber: number,
        callerName: name,
        calledNumber: number,
        calledName: name,
        connectedNumber: number,
        connectedName: name,
        redirectingNumber: number,
        redirectingName: name,
        consultationOf: id,
        reason: fc.constantFrom(...CALL_END_REASONS),
        snapshot: fc.boolean(),
      }, { noNullPrototype: true, requiredKeys: ['seq', 'timestamp', 'line', 'callId', 'state', 'origin', 'snapshot'] },
    ),
  ),
  'connector/eventsLost': msg(
    'connector',
    'eventsLost',
    fc
      .tuple(seq, fc.integer({ min: 1 }), timestamp, timestamp)
      .map(([s, count, a, b]) => ({ seq: s, count, firstTimestamp: a < b ? a : b, lastTimestamp: a < b ? b : a })),
  ),
  'connector/synced': msg(
    'connector',
    'synced',
    fc.record({ snapshotSeq: seq, activeCalls: fc.nat({ max: Number.MAX_SAFE_INTEGER }) }, { noNullPrototype: true, requiredKeys: ['snapshotSeq'] }),
  ),
  'connector/ack': msg('connector', 'ack', rec({ seq })),
  'connector/keepalive': msg('connector', 'keepalive', rec({})),
  'connector/makeCall': msg('connector', 'makeCall', rec({ requestId: id, line: localLine, dialString: str(64, 1) })),
  'connector/answer': msg('connector', 'answer', callCommand),
  'connector/drop': msg('connector', 'drop', callCommand),
  'connector/reject': msg('connector', 'reject', callCommand),
  'connector/hold': msg('connector', 'hold', callCommand),
  'connector/unhold': msg('connector', 'unhold', callCommand),
  'connector/transfer': msg('connector', 'transfer', rec({ requestId: id, callId: id, dialString: str(64, 1) })),
  'connector/consult': msg('connector', 'consult', rec({ requestId: id, callId: id, dialString: str(64, 1) })),
  'connector/completeTransfer': msg('connector', 'completeTransfer', callCommand),
  'connector/cancelConsult': msg('connector', 'cancelConsult', callCommand),
  'connector/conference': msg('connector', 'conference', callCommand),
  'connector/reinitialize': msg('connector', 'reinitialize', rec({ requestId: id })),
  'connector/result': msg(
    'connector',
    'result',
    fc.oneof(
      fc.record({ requestId: id, callId: id }, { noNullPrototype: true, requiredKeys: ['requestId'] }).map((b) => ({ ...b, ok: true as const })),
      fc.tuple(rec({ requestId: id }), wireError).map(([b, error]) => ({ ...b, ok: false as const, error })),
    ),
  ),
  'connector/error': msg('connector', 'error', errorFields),

  'intincall/connect': msg('intincall', 'connect', connectFields),
  'intincall/challenge': msg('intincall', 'challenge', challengeFields),
  'intincall/prove': msg('intincall', 'prove', proveFields),
  'intincall/welcome': msg(
    'intincall',
    'welcome',
    rec({
      userId: guid,
      userName: name,
      admin: fc.boolean(),
      protocolVersion: version,
      heartbeatInterval: fc.integer({ min: 1, max: 86_400 }),
      lines: fc.array(fc.record({ line: fullLine, displayName: name, dialing, popup, rejectAllowed: fc.boolean(), controls: controls() }, { noNullPrototype: true, requiredKeys: ['line', 'displayName', 'dialing', 'popup'] }), { maxLength: 4 }),
    }),
  ),
  'intincall/heartbeat': msg('intincall', 'heartbeat', rec({})),
  'intincall/callNotification': msg(
    'intincall',
    'callNotification',
    fc
      .tuple(
        fc.record(
          {
            notificationId: id,
            callKey: str(384, 1),
            timestamp,
            line: fullLine,
            state: fc.constantFrom(...CALL_STATES),
            direction: fc.constantFrom(...CALL_ORIGINS),
            number,
            matches: fc.array(match, { maxLength: 4 }),
            popup,
            endedReason: fc.constantFrom(...CALL_END_REASONS),
            answeredBy: name,
            phoneCallId: guid,
            consultationOf: str(384, 1),
            replayed: fc.boolean(),
          }, { noNullPrototype: true, requiredKeys: ['notificationId', 'callKey', 'timestamp', 'line', 'state', 'direction', 'number', 'matches', 'popup', 'replayed'] },
        ),
        fc.oneof(
          fc.constant({}),
          fc.stringMatching(/^\+[1-9][0-9]{1,14}$/).map((e164) => ({ e164 })),
          fc.stringMatching(/^[0-9]{1,20}$/).map((extension) => ({ extension })),
        ),
      )
      .map(([a, b]) => ({ ...a, ...b })),
  ),
  'intincall/dial': msg(
    'intincall',
    'dial',
    fc.record({ requestId: id, line: fullLine, number: str(64, 1), regarding: rec({ entity: str(128, 1), id: guid }) }, { noNullPrototype: true, requiredKeys: ['requestId', 'line', 'number'] }),
  ),
  'intincall/dialResult': msg(
    'intincall',
    'dialResult',
    fc.oneof(
      rec({ requestId: id, dialString: str(64, 1) }).map((b) => ({ ...b, ok: true as const })),
      fc.tuple(rec({ requestId: id }), wireError).map(([b, error]) => ({ ...b, ok: false as const, error })),
    ),
  ),
  'intincall/callControl': msg(
    'intincall',
    'callControl',
    fc.record(
      { requestId: id, callKey: str(384, 1), action: fc.constantFrom(...CALL_CONTROL_ACTIONS), target: str(64, 1) },
      { noNullPrototype: true, requiredKeys: ['requestId', 'callKey', 'action'] },
    ),
  ),
  'intincall/callControlResult': msg('intincall', 'callControlResult', outcome(rec({ requestId: id }))),
  'intincall/error': msg('intincall', 'error', errorFields),

  'outcall/connect': msg('outcall', 'connect', connectFields),
  'outcall/error': msg('outcall', 'error', errorFields),

  'diagnose/diagnose': msg('diagnose', 'diagnose', fc.record({ requestId: id }, { noNullPrototype: true, requiredKeys: [] })),
  'diagnose/challenge': msg('diagnose', 'challenge', challengeFields),
  'diagnose/prove': msg('diagnose', 'prove', proveFields),
  'diagnose/diagnoseReport': msg(
    'diagnose',
    'diagnoseReport',
    fc.record(
      {
        requestId: id,
        version,
        edition: str(64, 1),
        connectors: fc.array(
          rec({
            host: str(253, 1),
            peer: str(300, 1),
            connectorVersion: version,
            lines: fc.array(rec({ line: fullLine, inService: fc.boolean(), users: fc.integer({ min: 0, max: 1_000_000 }) }), { maxLength: 3 }),
          }),
          { maxLength: 3 },
        ),
        entityLines: fc.array(rec({ line: fullLine, users: fc.array(name, { maxLength: 3 }) }), { maxLength: 3 }),
        sockets: fc.array(
          fc.record(
            { kind: fc.constantFrom(...SOCKET_KINDS), peer: str(300, 1), created: timestamp, lastReceive: timestamp, line: fullLine, user: name }, { noNullPrototype: true, requiredKeys: ['kind', 'peer', 'created', 'lastReceive'] },
          ),
          { maxLength: 3 },
        ),
        outbox: fc.record(
          {
            pending: fc.nat(),
            oldestWaiting: fc.record(
              { id: guid, kind: str(128, 1), enqueuedAt: timestamp, attempts: fc.nat(), lastErrorCode: str(64, 1), lastError: str(1024) },
              { noNullPrototype: true, requiredKeys: ['id', 'kind', 'enqueuedAt', 'attempts'] },
            ),
            deadLetters: fc.array(
              fc.record(
                { id: guid, kind: str(128, 1), entitySet: str(128, 1), attempts: fc.nat(), enqueuedAt: timestamp, failedAt: timestamp, errorCode: str(64, 1), errorMessage: str(1024), status: fc.integer({ min: 0, max: 999 }) },
                { noNullPrototype: true, requiredKeys: ['id', 'kind', 'entitySet', 'attempts', 'enqueuedAt', 'failedAt', 'errorCode', 'errorMessage'] },
              ),
              { maxLength: 3 },
            ),
            deadLetterCount: fc.nat(),
          },
          { noNullPrototype: true, requiredKeys: ['pending', 'deadLetters', 'deadLetterCount'] },
        ),
      }, { noNullPrototype: true, requiredKeys: ['version', 'edition', 'connectors', 'entityLines', 'sockets'] },
    ),
  ),
  'diagnose/refreshPhoneNumbers': msg('diagnose', 'refreshPhoneNumbers', fc.record({ requestId: id }, { noNullPrototype: true, requiredKeys: [] })),
  'diagnose/refreshResult': msg(
    'diagnose',
    'refreshResult',
    fc.oneof(
      fc.record({ requestId: id, numbers: fc.nat() }, { noNullPrototype: true, requiredKeys: [] }).map((b) => ({ ...b, ok: true as const })),
      fc.tuple(fc.record({ requestId: id }, { noNullPrototype: true, requiredKeys: [] }), wireError).map(([b, error]) => ({ ...b, ok: false as const, error })),
    ),
  ),
  'diagnose/outboxRetry': msg(
    'diagnose',
    'outboxRetry',
    fc.oneof(
      fc.record({ requestId: id, id: guid }, { noNullPrototype: true, requiredKeys: ['id'] }),
      fc.record({ requestId: id, all: fc.boolean() }, { noNullPrototype: true, requiredKeys: ['all'] }),
    ),
  ),
  'diagnose/outboxDrop': msg('diagnose', 'outboxDrop', fc.record({ requestId: id, id: guid }, { noNullPrototype: true, requiredKeys: ['id'] })),
  'diagnose/outboxResult': msg(
    'diagnose',
    'outboxResult',
    fc.oneof(
      fc.record({ requestId: id, count: fc.nat() }, { noNullPrototype: true, requiredKeys: [] }).map((b) => ({ ...b, ok: true as const })),
      fc.tuple(fc.record({ requestId: id }, { noNullPrototype: true, requiredKeys: [] }), wireError).map(([b, error]) => ({ ...b, ok: false as const, error })),
    ),
  ),
  'diagnose/error': msg('diagnose', 'error', errorFields),
};

export const anyMessage: fc.Arbitrary<TapiMessage> = fc.oneof(...Object.values(MESSAGE_ARBITRARIES));
