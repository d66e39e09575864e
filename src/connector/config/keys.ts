// The connector's configuration keys. Names follow the vendor manual (chapter
// 4.5.2, the registry of the original connector) so operators recognise them;
// the ones it does not have are ours. Registry names are case-insensitive on
// Windows, so the file's keys are matched without regard to case.
import { HEALTH_KEYS } from '../../config/health-keys.ts';

/** Re-read while running (the manual: "Änderungen werden sofort … angewendet"). */
export const LIVE_KEYS = ['LogArt', 'LogFile', 'LogLevel', 'ConnectionKeepAliveIntervall', 'RejectViaDisconnect'] as const;
export type LiveKey = (typeof LIVE_KEYS)[number];

/** Read once at start; a change is logged as "restart needed for <key>". */
export const RESTART_KEYS = [
  'CRMTapiManagerServer',
  'CRMTapiManagerPort',
  'IncludeMediaTypeVideo',
  'NewInitTime',
  'ConnectorKey',
  'ConnectorHost',
  'ManagerTls',
  'ManagerCaFile',
  'ManagerServerName',
  'EventBufferSize',
  'BufferFile',
  'Provider',
  ...HEALTH_KEYS,
] as const;
export type RestartKey = (typeof RESTART_KEYS)[number];

export const TOP_LEVEL_KEYS: readonly string[] = [...LIVE_KEYS, ...RESTART_KEYS];

export const PROVIDER_KINDS = ['simulator', 'replay', 'tapi', 'sip'] as const;
/** Kinds a future build may add: a clear refusal instead of "unknown value". */
export const FUTURE_PROVIDER_KINDS: readonly string[] = [];

export const SIMULATOR_KEYS: readonly string[] = ['Kind', 'Lines', 'ControlPort'];
export const REPLAY_KEYS: readonly string[] = ['Kind', 'File', 'Speed'];
export const TAPI_KEYS: readonly string[] = ['Kind', 'AppName', 'RequestTimeout'];
export const SIP_KEYS: readonly string[] = ['Kind', 'Phones', 'Baresip', 'ModulePath', 'SipAddress'];

export const DEFAULTS = {
  CRMTapiManagerPort: 4505,
  ConnectionKeepAliveIntervall: 20,
  LogArt: 'Event',
  LogLevel: 0,
  EventBufferSize: 10_000,
} as const;

/** The manual allows the TAPI port in this range only (chapter 4.5.2). */
export const MANAGER_PORT_MIN = 4502;
export const MANAGER_PORT_MAX = 4534;

/** Short keys are guessable and cannot be scrubbed from logs safely. */
export const CONNECTOR_KEY_MIN_LENGTH = 16;
/** The wire carries at most this many characters (spec: register/connectorKey). */
export const CONNECTOR_KEY_MAX_LENGTH = 256;
