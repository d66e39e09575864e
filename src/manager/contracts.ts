// The seam between the two halves of the manager:
// - the connector side (connector gateway, connector registry, command
//   dispatch, line records, listener self-test), which knows connectors and
//   lines but nothing of users;
// - the user side (client gateway, identity proof, entitlements, call
//   routing, notifications, click-to-dial, call records), which knows users
//   and CRM data but reaches phones only through `ConnectorSide`.
// The composition root (manager.ts) builds both and passes the connector side
// to the user side. Keep this file small: it is a contract, not an implementation.
import type { CallCommandName, CallControl, CallStateMessage, DiagnoseConnector, DiagnoseSocket, WireError } from '../protocol/index.ts';
import type { Logger } from 'pino';
import type { PhoneDirectory } from '../dataverse/directory/directory.ts';
import type { Outbox } from '../dataverse/outbox/outbox.ts';
import type { LineConfigRecord, Repositories } from '../dataverse/repositories/index.ts';
import type { Schema } from '../dataverse/schema.ts';
import type { DataverseApi } from '../dataverse/web-api/types.ts';
import type { EffectiveDialingSettings } from '../dialing/index.ts';
import type { ManagerConfig } from './config/load.ts';
import type { ManagerClock, MonoMs } from './clock.ts';

/** Full line name as the CRM knows it: `<connector host>:<line name>` (spec/vendor-manual.md §2). */
export type LineName = string;

/** A call state as the user side receives it: the connector's `callState`, or one the manager made up (then without `seq`). */
export type CallEvent = Omit<CallStateMessage, 'seq'> & { seq?: number };

/** Why the manager made a call event up itself. */
export type SyntheticReason = 'connector-no-longer-reports';

/** What the logs say about a synthetic event. */
export const SYNTHETIC_REASON_TEXT: Record<SyntheticReason, string> = {
  'connector-no-longer-reports': 'ended by the manager: the connector no longer reports it',
};

/** One call-state event, accepted exactly once (duplicates by `seq` already dropped). */
export interface RoutedCallEvent {
  /** `<connector host>/<callId>`: unique across connectors; what clients send back in `callControl`. */
  callKey: string;
  line: LineName;
  connectorHost: string;
  event: CallEvent;
  /** Manager's monotonic clock when the event arrived; for latency, ordering and the silence sweep. */
  receivedAt: MonoMs;
  /**
   * Present on events no connector sent: after a reconnect the connector's
   * `synced` showed the call is gone, so the manager ends it with its own
   * `disconnected` and `idle` (spec/protocol.md §7.5).
   */
  synthetic?: SyntheticReason;
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
  /** The connector can reject a ringing call here (its RejectViaDisconnect); undefined: an older connector did not say. */
  rejectAllowed?: boolean;
  /** The call controls the connector reported for the line; undefined: an older connector did not say. */
  controls?: CallControl[];
}

export type LineEvent =
  | { kind: 'added' | 'changed'; line: ReportedLine }
  | { kind: 'removed'; line: LineName }
  /** `seq`: the connector's own `eventsLost` (journaled until its event log entry is queued); absent for a gap the manager saw. */
  | { kind: 'eventsLost'; connectorHost: string; count: number; firstTimestamp: string; lastTimestamp: string; seq?: number };

export type ConnectorCommand =
  | { kind: 'makeCall'; line: LineName; dialString: string }
  /** `dialString`: for `transfer` and `consult` (required there). */
  | { kind: CallCommandName; callKey: string; dialString?: string };

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

// ---------------------------------------------------------------- composition (added by the manager core)
// How the composition root (manager.ts) builds the user side: it calls a
// `UserSideFactory` with a `UserSideContext` once the CRM connection works,
// the line records exist and the directory is loaded, then calls `start()`
// (which opens the WebSocket port). The listener self-test calls
// `selfTest()` every ListenerTestIntervall seconds and `rebuildListener()`
// when it fails; `stop()` runs on SIGINT/SIGTERM.

/** TLS material read once from TlsCertFile/TlsKeyFile or TlsPfxFile/TlsPfxPassword; absent = no TLS. */
export interface TlsMaterial {
  cert?: Buffer;
  key?: Buffer;
  pfx?: Buffer;
  passphrase?: string;
}

export interface UserSideContext {
  connectorSide: ConnectorSide;
  /** The configuration in force; live keys change while running, so read it on every use. */
  config(): ManagerConfig;
  /** Called after a changed configuration file was validated and applied. */
  onConfigChange(listener: (config: ManagerConfig) => void): Unsubscribe;
  logger: Logger;
  crm: { api: DataverseApi; repositories: Repositories; schema: Schema; serviceUrl: string };
  /** The phone directory, loaded (snapshot or first build) before the ports open. */
  directory: PhoneDirectory<EffectiveDialingSettings>;
  /** "Refresh phone numbers now": resolves when a refresh begun after the call has finished. */
  refreshPhoneNumbers(): Promise<{ numbers: number }>;
  /** The durable outbox for call log entries, phone call activities and event log entries. */
  outbox: Outbox;
  /** The default and site records found or created at start (the dialing settings' top layers). */
  lineRecords: { default: LineConfigRecord; site: LineConfigRecord };
  /** Absent when no certificate is configured (then the WebSocket port speaks plain ws). */
  tls?: TlsMaterial;
  /** Our version (package.json), for the diagnose report. */
  version: string;
  /** The manager's one clock (monotonic for durations, wall for what people read); default the system's. */
  clock?: ManagerClock;
  /** The journal of acknowledged events (gateway/seq-store.ts): told when a call's records are durable in the outbox. */
  journal?: { forget(keys: readonly string[]): void };
}

export interface UserSideService extends UserSide {
  /** Opens the WebSocket port on BindAddress:CrmTapiWebSocketPort; resolves with the bound port. */
  start(): Promise<{ port: number }>;
  /** Connects to its own listener as a client would; true when the listener answered. */
  selfTest(): Promise<boolean>;
  /** Closes and reopens the listener on the same port (after a failed self-test). Never throws. */
  rebuildListener(): Promise<void>;
  /** Closes every socket and the listener. */
  stop(): Promise<void>;
}

export type UserSideFactory = (context: UserSideContext) => UserSideService | Promise<UserSideService>;

/**
 * Operator proof on the `diagnose` channel (crm-tapi diagnose on the
 * manager's host): instead of a Dataverse session record the client answers
 * the `challenge` with `prove` where `sessionRecordId` is this nil GUID and
 * `clientInstanceId` is `operatorProof(DiagnoseKey, nonce)` (operator-proof.ts:
 * `operator:` + base64url HMAC-SHA256). The key itself never travels.
 */
export const OPERATOR_SESSION_RECORD_ID = '00000000-0000-0000-0000-000000000000';
