// One realistic example per message of the catalogue. They become the
// canonical conformance vectors in spec/vectors/ (see vectors-generate.ts)
// and the examples of spec/protocol.md.
import type { PopupSettings, TapiMessage } from '../../src/protocol/messages.ts';

export interface Example {
  name: string;
  description: string;
  message: TapiMessage;
}

const popup: PopupSettings = { openOnlyWhenConnected: false, openRecord: false, position: 1, durationSeconds: 30, openPhoneCallOption: 946410001 };
const T = '2024-05-02T08:15:30.125Z';

export const EXAMPLES: Example[] = [
  {
    name: 'connector-register',
    description: 'A connector registers and asks to resume after the last acknowledged event (the key is a placeholder).',
    message: { channel: 'connector', command: 'register', protocolVersion: '1.0', connectorVersion: '0.1.0', host: 'tapiconnector.chd.de', connectorKey: 'example-key-not-a-secret', lastAckedSeq: 1041 },
  },
  {
    name: 'connector-registered',
    description: 'The manager accepts; the connector resends buffered events with seq > 1041.',
    message: { channel: 'connector', command: 'registered', protocolVersion: '1.0', lastAckedSeq: 1041, keepAliveInterval: 20 },
  },
  {
    name: 'connector-lines',
    description: 'The full line list after registration.',
    message: {
      channel: 'connector',
      command: 'lines',
      lines: [
        { name: '45', address: '45', permanentId: '0x00010045', mediaModes: ['audio'], inService: true, rejectAllowed: true },
        { name: '547', address: '547', permanentId: '0x00010547', mediaModes: ['audio', 'video'], inService: false },
      ],
    },
  },
  {
    name: 'connector-lineAdded',
    description: 'A line appeared after the list was sent.',
    message: { channel: 'connector', command: 'lineAdded', seq: 1042, line: { name: '540', address: '540', permanentId: '0x00010540', mediaModes: ['audio'], inService: true, rejectAllowed: false } },
  },
  { name: 'connector-lineRemoved', description: 'A line went away.', message: { channel: 'connector', command: 'lineRemoved', seq: 1043, line: '543' } },
  { name: 'connector-lineState', description: 'A line went out of service.', message: { channel: 'connector', command: 'lineState', seq: 1044, line: '45', inService: false } },
  {
    name: 'connector-callState',
    description: 'An incoming call rings on line 45; the caller number keeps its leading zeros.',
    message: {
      channel: 'connector',
      command: 'callState',
      seq: 1045,
      timestamp: T,
      line: '45',
      callId: '0x1F3A',
      state: 'offering',
      origin: 'inbound',
      callerNumber: '0049301234567',
      callerName: 'Müller & Söhne',
      calledNumber: '45',
      snapshot: false,
    },
  },
  {
    name: 'connector-callState-disconnected',
    description: 'The call ended because a colleague picked it up elsewhere.',
    message: {
      channel: 'connector',
      command: 'callState',
      seq: 1046,
      timestamp: '2024-05-02T08:15:41.002Z',
      line: '45',
      callId: '0x1F3A',
      relatedCallId: '0x1F39',
      state: 'disconnected',
      origin: 'inbound',
      callerNumber: '0049301234567',
      reason: 'pickedUpElsewhere',
      snapshot: false,
    },
  },
  {
    name: 'connector-eventsLost',
    description: 'The connector buffer overflowed while the manager was away.',
    message: { channel: 'connector', command: 'eventsLost', seq: 1047, count: 12, firstTimestamp: '2024-05-02T08:16:00.000Z', lastTimestamp: '2024-05-02T08:17:59.999Z' },
  },
  {
    name: 'connector-synced',
    description: 'After a reconnect the lines, two snapshot calls and the whole replay are out: the manager now holds the connector\'s complete state.',
    message: { channel: 'connector', command: 'synced', snapshotSeq: 1091, activeCalls: 2 },
  },
  { name: 'connector-ack', description: 'Cumulative acknowledgement.', message: { channel: 'connector', command: 'ack', seq: 1047 } },
  { name: 'connector-keepalive', description: 'Keep-alive, either direction.', message: { channel: 'connector', command: 'keepalive' } },
  {
    name: 'connector-makeCall',
    description: 'Click-to-dial reaches the connector with the converted dial string.',
    message: { channel: 'connector', command: 'makeCall', requestId: 'm-77', line: '45', dialString: '0034361826025' },
  },
  { name: 'connector-answer', description: 'Answer a ringing call.', message: { channel: 'connector', command: 'answer', requestId: 'm-78', callId: '0x1F3A' } },
  { name: 'connector-drop', description: 'Hang up a call.', message: { channel: 'connector', command: 'drop', requestId: 'm-79', callId: '0x1F3A' } },
  { name: 'connector-reject', description: 'Reject a ringing call.', message: { channel: 'connector', command: 'reject', requestId: 'm-80', callId: '0x1F3B' } },
  { name: 'connector-hold', description: 'Put a connected call on hold (1.1).', message: { channel: 'connector', command: 'hold', requestId: 'm-90', callId: '0x1F3A' } },
  { name: 'connector-unhold', description: 'Take a held call back (1.1).', message: { channel: 'connector', command: 'unhold', requestId: 'm-91', callId: '0x1F3A' } },
  {
    name: 'connector-transfer',
    description: 'Blind transfer of a call to a converted dial string (1.1).',
    message: { channel: 'connector', command: 'transfer', requestId: 'm-92', callId: '0x1F3A', dialString: '26' },
  },
  {
    name: 'connector-consult',
    description: 'Hold the call and dial a consultation from the same line (1.1).',
    message: { channel: 'connector', command: 'consult', requestId: 'm-93', callId: '0x1F3A', dialString: '0034361826026' },
  },
  {
    name: 'connector-completeTransfer',
    description: 'Join the held call and its consultation; the line leaves both (1.1).',
    message: { channel: 'connector', command: 'completeTransfer', requestId: 'm-94', callId: '0x1F3A' },
  },
  {
    name: 'connector-cancelConsult',
    description: 'Drop the consultation and take the held call back (1.1).',
    message: { channel: 'connector', command: 'cancelConsult', requestId: 'm-95', callId: '0x1F3A' },
  },
  {
    name: 'connector-conference',
    description: 'The consultation joins the held call: three parties (1.1).',
    message: { channel: 'connector', command: 'conference', requestId: 'm-96', callId: '0x1F3A' },
  },
  {
    name: 'connector-result-not-supported',
    description: 'The line cannot do that call control (1.1).',
    message: { channel: 'connector', command: 'result', requestId: 'm-90', ok: false, error: { code: 'not-supported', message: 'hold is not supported by the tapi provider' } },
  },
  {
    name: 'connector-lines-controls',
    description: 'Lines with their call controls (1.1): all four on one line, none on the other.',
    message: {
      channel: 'connector',
      command: 'lines',
      lines: [
        { name: '45', address: '45', permanentId: '0x00010045', mediaModes: ['audio'], inService: true, rejectAllowed: true, controls: ['hold', 'transfer', 'consult', 'conference'] },
        { name: '46', address: '46', permanentId: '0x00010046', mediaModes: ['audio'], inService: true, rejectAllowed: true, controls: [] },
      ],
    },
  },
  {
    name: 'connector-callState-consultation',
    description: 'The consultation call dialled from line 45 names the held call it was set up from (1.1).',
    message: {
      channel: 'connector', command: 'callState', seq: 1050, timestamp: T, line: '45', callId: '0x1F40', state: 'dialtone', origin: 'outbound',
      callerNumber: '45', calledNumber: '0034361826026', consultationOf: '0x1F3A', snapshot: false,
    },
  },
  {
    name: 'connector-callState-conferenced',
    description: 'The consultation ended by joining its held call in a conference (1.1).',
    message: {
      channel: 'connector', command: 'callState', seq: 1054, timestamp: T, line: '45', callId: '0x1F40', state: 'disconnected', origin: 'outbound',
      consultationOf: '0x1F3A', reason: 'conferenced', snapshot: false,
    },
  },
  { name: 'connector-reinitialize', description: 'Re-initialise all lines.', message: { channel: 'connector', command: 'reinitialize', requestId: 'm-81' } },
  { name: 'connector-result-ok', description: 'A command succeeded.', message: { channel: 'connector', command: 'result', requestId: 'm-77', ok: true } },
  {
    name: 'connector-result-callId',
    description: 'makeCall succeeded and names the call it placed (1.2).',
    message: { channel: 'connector', command: 'result', requestId: 'm-78', ok: true, callId: '0x1F3C' },
  },
  {
    name: 'connector-result-error',
    description: 'A command failed with the provider error code.',
    message: { channel: 'connector', command: 'result', requestId: 'm-80', ok: false, error: { code: 'no-such-call', message: 'call 0x1F3B is not active' } },
  },
  {
    name: 'connector-error',
    description: 'Error reply to a message that could not be handled.',
    message: { channel: 'connector', command: 'error', code: 'unknown-command', message: 'channel connector has no command "teleport"', requestId: 'm-82' },
  },
  {
    name: 'intincall-connect',
    description: 'The browser handshake in the v8 form (designed canonical output: bare lower-case GUID).',
    message: {
      channel: 'intincall',
      command: 'connect',
      registration: 'manuell',
      incallVersion: '8.1.1.0',
      incallClient: 'web',
      userid: '85938dad-ebd6-e511-80de-00155d001ba9',
      organisation: 'Tapi',
    },
  },
  {
    name: 'intincall-challenge',
    description: 'The manager asks the client to prove who it is.',
    message: { channel: 'intincall', command: 'challenge', nonce: 'q1o2LUJ6hT0mN5cZbYv7wA', expiresAt: '2024-05-02T08:16:30.000Z' },
  },
  {
    name: 'intincall-prove',
    description: 'The client names the session record it created in Dataverse as the signed-in user.',
    message: { channel: 'intincall', command: 'prove', nonce: 'q1o2LUJ6hT0mN5cZbYv7wA', sessionRecordId: '6f1c2a4e-7b9d-4e0f-8a1b-2c3d4e5f6a7b', clientInstanceId: 'tab-3f9a' },
  },
  {
    name: 'intincall-welcome',
    description: "The proven user, the user's lines and their effective settings.",
    message: {
      channel: 'intincall',
      command: 'welcome',
      userId: '85938dad-ebd6-e511-80de-00155d001ba9',
      userName: 'Jana Becker',
      admin: false,
      protocolVersion: '1.0',
      heartbeatInterval: 30,
      lines: [
        {
          line: 'tapiconnector.chd.de:45',
          displayName: 'TAPI-Line_HS_45',
          dialing: {
            internationalPrefix: '00',
            nationalPrefix: '0',
            countryCode: '49',
            areaCode: '34361',
            baseNumber: '826',
            outsideLinePrefix: '0',
            incomingDirectionCode: '0',
            maxInternalLength: 3,
            dialLocalWithoutAreaCode: true,
          },
          popup,
          rejectAllowed: true,
        },
      ],
    },
  },
  { name: 'intincall-heartbeat', description: 'Heartbeat, either direction.', message: { channel: 'intincall', command: 'heartbeat' } },
  {
    name: 'intincall-callNotification',
    description: 'An incoming call with its matched CRM records, best first, and the id of the phone call activity for this user.',
    message: {
      channel: 'intincall',
      command: 'callNotification',
      notificationId: 'n-5512',
      callKey: 'tapiconnector.chd.de#0x1F3A',
      timestamp: T,
      line: 'tapiconnector.chd.de:45',
      state: 'offering',
      direction: 'inbound',
      number: '0049301234567',
      e164: '+49301234567',
      matches: [
        { entity: 'contact', id: '0f8fad5b-d9cb-469f-a165-70867728950e', name: 'Anna Müller', field: 'telephone1' },
        { entity: 'account', id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', name: 'Müller & Söhne', field: 'telephone1' },
      ],
      popup,
      phoneCallId: '3b241101-e2bb-5255-8caf-4136c566a962',
      replayed: false,
    },
  },
  {
    name: 'intincall-callNotification-answered-elsewhere',
    description: 'A shared call ended because a colleague answered it; delivered after a reconnect.',
    message: {
      channel: 'intincall',
      command: 'callNotification',
      notificationId: 'n-5513',
      callKey: 'tapiconnector.chd.de#0x1F3A',
      timestamp: '2024-05-02T08:15:41.002Z',
      line: 'tapiconnector.chd.de:45',
      state: 'disconnected',
      direction: 'internal',
      number: '25',
      extension: '25',
      matches: [],
      popup,
      endedReason: 'pickedUpElsewhere',
      answeredBy: 'Tom Richter',
      replayed: true,
    },
  },
  {
    name: 'intincall-dial',
    description: 'Click-to-dial from a contact form.',
    message: {
      channel: 'intincall',
      command: 'dial',
      requestId: 'd-1',
      line: 'tapiconnector.chd.de:45',
      number: '+49 (34361) 826-25',
      regarding: { entity: 'contact', id: '0f8fad5b-d9cb-469f-a165-70867728950e' },
    },
  },
  { name: 'intincall-dialResult', description: 'The number was dialled as an internal number.', message: { channel: 'intincall', command: 'dialResult', requestId: 'd-1', ok: true, dialString: '25' } },
  {
    name: 'intincall-dialResult-error',
    description: 'The user may not dial on that line.',
    message: { channel: 'intincall', command: 'dialResult', requestId: 'd-2', ok: false, error: { code: 'line-not-entitled', message: 'you may not dial on tapiconnector.chd.de:547' } },
  },
  {
    name: 'intincall-callControl',
    description: 'Reject a ringing call from the popup.',
    message: { channel: 'intincall', command: 'callControl', requestId: 'c-1', callKey: 'tapiconnector.chd.de#0x1F3B', action: 'reject' },
  },
  { name: 'intincall-callControlResult', description: 'The reject was carried out.', message: { channel: 'intincall', command: 'callControlResult', requestId: 'c-1', ok: true } },
  {
    name: 'intincall-callControl-hold',
    description: 'Hold a connected call from the panel (1.1).',
    message: { channel: 'intincall', command: 'callControl', requestId: 'c-2', callKey: 'tapiconnector.chd.de/0x1F3A', action: 'hold' },
  },
  {
    name: 'intincall-callControl-transfer',
    description: 'Blind transfer to a number the line\'s dialing rules convert (1.1).',
    message: { channel: 'intincall', command: 'callControl', requestId: 'c-3', callKey: 'tapiconnector.chd.de/0x1F3A', action: 'transfer', target: '+49 34361 826-26' },
  },
  {
    name: 'intincall-callControl-consult',
    description: 'Consult a colleague before transferring (1.1).',
    message: { channel: 'intincall', command: 'callControl', requestId: 'c-4', callKey: 'tapiconnector.chd.de/0x1F3A', action: 'consult', target: '26' },
  },
  {
    name: 'intincall-callControl-completeTransfer',
    description: 'Complete the consultation transfer, named by the held call (1.1).',
    message: { channel: 'intincall', command: 'callControl', requestId: 'c-5', callKey: 'tapiconnector.chd.de/0x1F3A', action: 'completeTransfer' },
  },
  {
    name: 'intincall-callControl-conference',
    description: 'Join the consultation into a three-party conference (1.1).',
    message: { channel: 'intincall', command: 'callControl', requestId: 'c-6', callKey: 'tapiconnector.chd.de/0x1F3A', action: 'conference' },
  },
  {
    name: 'intincall-callControlResult-not-supported',
    description: 'The line cannot hold calls (1.1).',
    message: {
      channel: 'intincall', command: 'callControlResult', requestId: 'c-2', ok: false,
      error: { code: 'control-not-supported', message: 'line tapiconnector.chd.de:45 cannot hold calls: its phone system does not offer hold' },
    },
  },
  {
    name: 'intincall-callNotification-consultation',
    description: 'The consultation call the agent dialled, linked to the held call (1.1).',
    message: {
      channel: 'intincall', command: 'callNotification', notificationId: 'n-9', callKey: 'tapiconnector.chd.de/0x1F40', timestamp: T, line: 'tapiconnector.chd.de:45',
      state: 'ringback', direction: 'internal', number: '26', extension: '26', matches: [], popup, consultationOf: 'tapiconnector.chd.de/0x1F3A', replayed: false,
    },
  },
  {
    name: 'intincall-error',
    description: 'The proof failed.',
    message: { channel: 'intincall', command: 'error', code: 'proof-failed', message: 'the session record was not created by a known user' },
  },
  {
    name: 'outcall-connect',
    description: "The manual's click-to-dial socket kind: its connect is understood.",
    message: { channel: 'outcall', command: 'connect', registration: 'auto', incallVersion: '5.1.23.0' },
  },
  {
    name: 'outcall-error',
    description: 'Error reply on the outcall channel.',
    message: { channel: 'outcall', command: 'error', code: 'unknown-command', message: 'channel outcall has no command "dial"' },
  },
  { name: 'diagnose-diagnose', description: 'An admin asks for the diagnose report.', message: { channel: 'diagnose', command: 'diagnose', requestId: 'x-1' } },
  {
    name: 'diagnose-challenge',
    description: 'Admins prove their identity like browser users.',
    message: { channel: 'diagnose', command: 'challenge', nonce: 'Zk3xT0aP9vQ2', expiresAt: '2024-05-02T10:54:33.000Z' },
  },
  {
    name: 'diagnose-prove',
    description: 'The admin client names its session record.',
    message: { channel: 'diagnose', command: 'prove', nonce: 'Zk3xT0aP9vQ2', sessionRecordId: '0b8c1d2e-3f40-4152-8637-48596a7b8c9d', clientInstanceId: 'admin-tab-1' },
  },
  {
    name: 'diagnose-diagnoseReport',
    description: "The report, shaped like the manual's diagnose page.",
    message: {
      channel: 'diagnose',
      command: 'diagnoseReport',
      requestId: 'x-1',
      version: '0.1.0',
      edition: 'open',
      connectors: [
        {
          host: 'tapiconnector.chd.de',
          peer: '172.20.1.1:4509',
          connectorVersion: '0.1.0',
          lines: [
            { line: 'tapiconnector.chd.de:45', inService: true, users: 1 },
            { line: 'tapiconnector.chd.de:540', inService: true, users: 0 },
          ],
        },
      ],
      entityLines: [{ line: 'tapiconnector.chd.de:45', users: ['Jana Becker'] }],
      sockets: [
        { kind: 'connector', peer: '172.20.1.1:4509', created: '2024-05-02T08:18:59.000Z', lastReceive: '2024-05-02T08:53:59.000Z' },
        { kind: 'incall', peer: '10.0.0.7:51122', created: '2024-05-02T08:21:42.000Z', lastReceive: '2024-05-02T08:53:43.000Z', line: 'tapiconnector.chd.de:45', user: 'Jana Becker' },
      ],
    },
  },
  { name: 'diagnose-refreshPhoneNumbers', description: 'Refresh the phone directory now.', message: { channel: 'diagnose', command: 'refreshPhoneNumbers', requestId: 'x-2' } },
  { name: 'diagnose-refreshResult', description: 'The directory was rebuilt.', message: { channel: 'diagnose', command: 'refreshResult', requestId: 'x-2', ok: true, numbers: 48213 } },
  {
    name: 'diagnose-diagnoseReport-outbox',
    description: 'A report with a write waiting for the CRM and one dead letter.',
    message: {
      channel: 'diagnose',
      command: 'diagnoseReport',
      requestId: 'x-3',
      version: '0.2.0',
      edition: 'open edition',
      connectors: [],
      entityLines: [],
      sockets: [],
      outbox: {
        pending: 1,
        oldestWaiting: { id: '5f0c9a2e-1b7d-4c3e-9a8f-2d6e4b1c0a93', kind: 'callLog', enqueuedAt: '2024-05-02T08:41:07.000Z', attempts: 3, lastErrorCode: 'throttled', lastError: 'HTTP 429: Number of requests exceeded the limit' },
        deadLetters: [
          {
            id: '0d3b6f4a-8c2e-4f1a-b9d7-6e5c4a3b2f10', kind: 'phoneCall', entitySet: 'phonecalls', attempts: 1, enqueuedAt: '2024-05-02T08:12:55.000Z', failedAt: '2024-05-02T08:12:56.000Z',
            errorCode: 'bad-request', errorMessage: 'HTTP 400: the regarding record does not exist', status: 400,
          },
        ],
        deadLetterCount: 1,
      },
    },
  },
  { name: 'diagnose-outboxRetry', description: 'Send one dead letter again.', message: { channel: 'diagnose', command: 'outboxRetry', requestId: 'x-4', id: '0d3b6f4a-8c2e-4f1a-b9d7-6e5c4a3b2f10' } },
  { name: 'diagnose-outboxDrop', description: 'Forget one dead letter.', message: { channel: 'diagnose', command: 'outboxDrop', requestId: 'x-5', id: '0d3b6f4a-8c2e-4f1a-b9d7-6e5c4a3b2f10' } },
  { name: 'diagnose-outboxResult', description: 'One dead letter is back in the outbox.', message: { channel: 'diagnose', command: 'outboxResult', requestId: 'x-4', ok: true, count: 1 } },
  {
    name: 'diagnose-error',
    description: 'A non-admin asked for the report.',
    message: { channel: 'diagnose', command: 'error', code: 'not-admin', message: 'diagnose needs the TapiInterface Admin role', requestId: 'x-1' },
  },
];
