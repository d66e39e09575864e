// What changed between two valid configurations, split the way the manual
// splits it: settings read on every use (applied at once) and settings read
// at start (logged as "restart needed for <key>").
import { isDeepStrictEqual } from 'node:util';
import { LIVE_KEYS, RESTART_KEYS, type LiveKey, type RestartKey } from './keys.ts';
import type { ConnectorConfig } from './load.ts';

export interface ConfigChanges {
  live: LiveKey[];
  restart: RestartKey[];
}

export function diffConfig(before: ConnectorConfig, after: ConnectorConfig): ConfigChanges {
  return {
    live: LIVE_KEYS.filter((key) => !isDeepStrictEqual(before[key], after[key])),
    restart: RESTART_KEYS.filter((key) => !isDeepStrictEqual(before[key], after[key])),
  };
}
