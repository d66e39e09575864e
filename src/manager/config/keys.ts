// The manager's configuration keys. The manual's names (spec/vendor-manual.md §5, the
// registry of the original manager) are kept so operators recognise them;
// the others are ours. Keys are matched without regard to case, as registry
// names were. docs/manager.md has the table with every key.
import { connectionConfigSchema } from '../../dataverse/connection-config.ts';
import { HEALTH_KEYS } from '../../config/health-keys.ts';

/** Re-read while running (the manual: log settings and timer intervals need no restart). */
export const LIVE_KEYS = [
  'LogArt',
  'LogFile',
  'LogLevel',
  'ListenerTestIntervall',
  'ListenerTestLog',
  'RefreshTelephoneNumberIntervall',
  'RefreshTelephoneNumberTime',
  'ConnectorKeys',
  'ConnectionKeepAliveIntervall',
] as const;
export type LiveKey = (typeof LIVE_KEYS)[number];

/** The manager's own keys read once at start; a change is logged as "restart needed". */
export const MANAGER_RESTART_KEYS = [
  'CertificateThumbprint',
  'CrmTapiPort',
  'CrmTapiWebSocketPort',
  'ServiceAccount',
  'ServicePassword',
  'BindAddress',
  'TlsCertFile',
  'TlsKeyFile',
  'TlsPfxFile',
  'TlsPfxPassword',
  'ConnectorTls',
  'AllowedOrigins',
  'DataDir',
  'DiagnoseKey',
  'TimeZone',
  'MaxConnectorConnections',
  'MaxUnregisteredConnections',
  'MaxUnregisteredPerPeer',
  'MaxPendingUpgrades',
  'MaxPendingUpgradesPerPeer',
  'UpgradeTimeout',
  'DialBurst',
  'DialsPerMinute',
  'RegistrationTimeout',
  'FrameTimeout',
  'MaxBadFrames',
  'MaxConnectorSendBuffer',
  'CommandTimeout',
  'CrmRetryMaxDelay',
  'OutboxMaxRetryDelay',
  'CrmMaxRetryWait',
  'CallSilenceTimeout',
  'CallSweepInterval',
  'EventLoopCpu',
  ...HEALTH_KEYS,
] as const;

/** The CRM connection keys (src/dataverse/connection-config.ts): read at start. */
export const CRM_KEYS: readonly string[] = Object.keys(connectionConfigSchema.shape);

export const RESTART_KEYS: readonly string[] = [...MANAGER_RESTART_KEYS, ...CRM_KEYS];
export const ALL_KEYS: readonly string[] = [...LIVE_KEYS, ...RESTART_KEYS];

/** Keys whose values are secrets: scrubbed from every log line, never echoed in errors. */
export const SECRET_KEYS = ['CrmPassword', 'CrmClientSecret', 'ServicePassword', 'TlsPfxPassword', 'ConnectorKeys', 'DiagnoseKey', 'HealthToken'] as const;

/** The manual allows the TAPI port in this range only. */
export const TAPI_PORT_MIN = 4502;
export const TAPI_PORT_MAX = 4534;

export const DEFAULTS = {
  CrmTapiPort: 4505,
  CrmTapiWebSocketPort: 8080,
  ListenerTestIntervall: 120,
  ListenerTestLog: false,
  LogArt: 'Event',
  LogLevel: 0,
  RefreshTelephoneNumberIntervall: 1800,
  RefreshTelephoneNumberTime: '4:00',
  ConnectionKeepAliveIntervall: 20,
  /** Loopback: nothing is reachable from the network until the operator says so. */
  BindAddress: '127.0.0.1',
  DataDir: 'data',
  MaxConnectorConnections: 256,
  MaxUnregisteredConnections: 32,
  MaxUnregisteredPerPeer: 8,
  /** WebSocket port: TCP connections that have not completed the upgrade. */
  MaxPendingUpgrades: 256,
  MaxPendingUpgradesPerPeer: 32,
  /** Seconds from accept to a completed WebSocket upgrade. */
  UpgradeTimeout: 10,
  /** Click-to-dial per user: a burst of this many dials, then DialsPerMinute. */
  DialBurst: 5,
  DialsPerMinute: 12,
  RegistrationTimeout: 10,
  FrameTimeout: 10,
  MaxBadFrames: 3,
  MaxConnectorSendBuffer: 4 * 1024 * 1024,
  CommandTimeout: 15,
  CrmRetryMaxDelay: 60,
  /** 5 min: the longest wait of a record write, also the clamp for absurd Retry-After values. */
  OutboxMaxRetryDelay: 300,
  /** 30 s: the longest wait between two attempts of one Web API request (the clamp for its Retry-After). */
  CrmMaxRetryWait: 30,
  /** 12 h: a call without any event this long is recorded as ended (its connector never said). */
  CallSilenceTimeout: 43_200,
  CallSweepInterval: 60,
} as const;

/** Shortest accepted connector or diagnose key: short keys are guessable and cannot be scrubbed from logs. */
export const KEY_MIN_LENGTH = 16;
/** `register/connectorKey` carries at most this many characters on the wire. */
export const KEY_MAX_LENGTH = 256;
