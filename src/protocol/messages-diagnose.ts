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

