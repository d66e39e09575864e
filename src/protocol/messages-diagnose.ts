// Messages of the `diagnose` channel (admin client ⇄ manager over WebSocket). Part of the message union of messages.ts (import from there or from index.ts).
import type { ChallengeMessage, ProveMessage } from './messages-client.ts';
import type { ErrorMessage, SocketKind, WireError } from './messages.ts';

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

/** The write that has waited longest in the outbox. */
export interface DiagnoseWaitingWrite {
  id: string;
  kind: string;
  enqueuedAt: string;
  attempts: number;
  lastErrorCode?: string;
  lastError?: string;
}

/** A write the outbox gave up on: what, why, when. */
export interface DiagnoseDeadLetter {
  id: string;
  kind: string;
  entitySet: string;
  attempts: number;
  enqueuedAt: string;
  failedAt: string;
  errorCode: string;
  errorMessage: string;
  status?: number;
}

/** The durable outbox of CRM writes (call log, phone calls, event log). */
export interface DiagnoseOutbox {
  /** Writes waiting to reach the CRM (dead letters not counted). */
  pending: number;
  oldestWaiting?: DiagnoseWaitingWrite;
  /** Every dead letter, oldest first (up to the catalogue's limit; `deadLetterCount` has them all). */
  deadLetters: DiagnoseDeadLetter[];
  deadLetterCount: number;
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
  /** Absent from managers before 0.2 (and where no outbox runs). */
  outbox?: DiagnoseOutbox;
}

/** Put dead letters back into the outbox: one (`id`) or all of them (`all`). */
export interface OutboxRetryMessage {
  channel: 'diagnose';
  command: 'outboxRetry';
  requestId?: string;
  id?: string;
  all?: boolean;
}

/** Forget a dead letter for good (it is audited in the CRM's event log). */
export interface OutboxDropMessage {
  channel: 'diagnose';
  command: 'outboxDrop';
  requestId?: string;
  id: string;
}

export interface OutboxResultMessage {
  channel: 'diagnose';
  command: 'outboxResult';
  requestId?: string;
  ok: boolean;
  /** Dead letters retried or dropped. */
  count?: number;
  error?: WireError;
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
  | OutboxRetryMessage
  | OutboxDropMessage
  | OutboxResultMessage
  | ErrorMessage<'diagnose'>;

