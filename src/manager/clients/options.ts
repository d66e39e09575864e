// Tunables of the user side that are not (yet) configuration keys; each
// default is what docs/manager-clients.md documents. Tests and the benchmark
// override them through the factory's second argument.
import { systemClock, type ManagerClock } from '../clock.ts';
import { DIAL_RATE_DEFAULTS, type RateLimit } from '../dial/rate-limit.ts';
import { MISSED_DEFAULTS, type MissedLimits } from '../routing/missed.ts';

export interface UserSideOptions {
  /** Overrides CrmTapiWebSocketPort (tests: 0 = any free port). */
  port?: number;
  /** The manager's clock: wall time for the proof's record age and records, monotonic for every duration. */
  clock?: ManagerClock;
  /** Seconds between pings, and the heartbeat interval announced in `welcome`. */
  heartbeatSeconds?: number;
  /** From the upgrade until the identity proof must be complete (also the nonce's lifetime). */
  handshakeTimeoutMs?: number;
  /** Unsent bytes to one client above which it is dropped. */
  sendBufferCap?: number;
  maxClients?: number;
  /** Connections that have not yet proven who they are. */
  maxUnproven?: number;
  /** Default: the configuration's DialBurst and DialsPerMinute. */
  dialRate?: RateLimit;
  missed?: MissedLimits;
  entitlementRefreshMs?: number;
  entitlementDebounceMs?: number;
  /** How old a session record may be when the manager reads it. */
  sessionMaxAgeMs?: number;
  elsewhereWaitMs?: number;
  /** A call without any event for this long is recorded as ended (default: the CallSilenceTimeout key). */
  maxCallSilenceMs?: number;
  /** How often the silence sweep runs (default: the CallSweepInterval key). */
  callSweepIntervalMs?: number;
}

export const USER_SIDE_DEFAULTS = {
  heartbeatSeconds: 30,
  handshakeTimeoutMs: 60_000,
  sendBufferCap: 1024 * 1024,
  maxClients: 20_000,
  maxUnproven: 2_000,
  dialRate: DIAL_RATE_DEFAULTS,
  missed: MISSED_DEFAULTS,
  entitlementRefreshMs: 60_000,
  entitlementDebounceMs: 500,
  sessionMaxAgeMs: 120_000,
  elsewhereWaitMs: 1_500,
} as const;

export type ResolvedOptions = Required<Omit<UserSideOptions, 'port' | 'maxCallSilenceMs' | 'callSweepIntervalMs'>> & Pick<UserSideOptions, 'port' | 'maxCallSilenceMs' | 'callSweepIntervalMs'>;

export function resolveOptions(o: UserSideOptions = {}): ResolvedOptions {
  const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...USER_SIDE_DEFAULTS, clock: systemClock, ...defined } as ResolvedOptions;
}
