// The seam between the two halves of the manager:
// - the connector side (connector gateway, connector registry, command
//   dispatch, line records, listener self-test), which knows connectors and
//   lines but nothing of users;
// - the user side (client gateway, identity proof, entitlements, call
//   routing, notifications, click-to-dial, call records), which knows users
//   and CRM data but reaches phones only through `ConnectorSide`.
// The composition root (manager.ts) builds both and passes the connector side
// to the user side. Keep this file small: it is a contract, not an implementation.
import type { CallStateMessage, DiagnoseConnector, DiagnoseSocket, WireError } from '../protocol/index.ts';

/** Full line name as the CRM knows it: `<connector host>:<line name>` (EVIDENCE.md §2). */
export type LineName = string;

/** One call-state event, accepted exactly once (duplicates by `seq` already dropped). */
export interface RoutedCallEvent {
  /** `<connector host>/<callId>`: unique across connectors; what clients send back in `callControl`. */
  callKey: string;
  line: LineName;
  connectorHost: string;
  event: CallStateMessage;
  /** Manager's monotonic clock (ms) when the event arrived; for latency and ordering. */
  receivedAt: number;
}

export interface ReportedLine {
  line: LineName;
  connectorHost: string;
  /** Line name local to the connector (what goes into `makeCall`). */
  localName: string;
  address: string;
  inService: boolean;
  /** False while its connector is away: the line is unavailable, not gone. */
  connectorOnline: boolean;
}

export type LineEvent =
  | { kind: 'added' | 'changed'; line: ReportedLine }
  | { kind: 'removed'; line: LineName }
  | { kind: 'eventsLost'; connectorHost: string; count: number; firstTimestamp: string; lastTimestamp: string };

export type ConnectorCommand =
  | { kind: 'makeCall'; line: LineName; dialString: string }
  | { kind: 'answer' | 'drop' | 'reject'; callKey: string };

/** Codes the connector side answers a command with (besides the connector's own result codes). */
export type CommandFailureCode = 'unknown-line' | 'unknown-call' | 'connector-offline' | 'command-timeout' | 'shutting-down';

export type CommandOutcome = { ok: true; callId?: string } | { ok: false; error: WireError };

export type Unsubscribe = () => void;

export interface ConnectorSide {
  onCallEvent(listener: (event: RoutedCallEvent) => void): Unsubscribe;
  onLineEvent(listener: (event: LineEvent) => void): Unsubscribe;
  /** Every line any connector reported since start (online or not). */
  lines(): ReportedLine[];
  /** Sends a command to the connector that owns the line or call; never throws. */
  command(command: ConnectorCommand): Promise<CommandOutcome>;
  /** Connectors with their lines, and the connector sockets, for the diagnose report. */
  diagnose(): { connectors: DiagnoseConnector[]; sockets: DiagnoseSocket[] };
}

export interface UserSide {
  /** The WebSocket sockets (incall, outcall, diagnose) for the diagnose report. */
  sockets(): DiagnoseSocket[];
}
