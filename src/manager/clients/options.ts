// Tunables of the user side that are not (yet) configuration keys; each
// default is what docs/manager-clients.md documents. Tests and the benchmark
// override them through the factory's second argument.
import { DIAL_RATE_DEFAULTS, type RateLimit } from '../dial/rate-limit.ts';
import { MISSED_DEFAULTS, type MissedLimits } from '../routing/missed.ts';

export interface UserSideOptions {
  /** Overrides CrmTapiWebSocketPort (tests: 0 = any free port). */
  port?: number;
  /** Epoch ms; the proof's record age, rate limits and kept notifications read it. */
  now?: () => number;
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
  /** A call without any event for this long is recorded as ended. */
  maxCallSilenceMs?: number;
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
  maxCallSilenceMs: 12 * 3600_000,
} as const;

export type ResolvedOptions = Required<Omit<UserSideOptions, 'port'>> & { port?: number };

export function resolveOptions(o: UserSideOptions = {}): ResolvedOptions {
  const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...USER_SIDE_DEFAULTS, now: Date.now, ...defined } as ResolvedOptions;
}
