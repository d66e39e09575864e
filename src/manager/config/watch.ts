// Live configuration: the file is re-read when it changes (polled, which
// works on every file system and through editors that replace the file) or
// on SIGHUP. A valid file's live keys apply at once; a changed restart key
// is logged as "restart needed" (by name only: values may be secrets); an
// invalid file is logged and ignored, the running configuration stays.
import { unwatchFile, watchFile } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { ConfigError } from '../../config/file.ts';
import { LIVE_KEYS, RESTART_KEYS } from './keys.ts';
import { loadManagerConfig, type ManagerConfig } from './load.ts';

export interface ConfigChange {
  config: ManagerConfig;
  live: string[];
  restartNeeded: string[];
}

/** Which keys differ between two configurations, split into live and restart keys. */
export function diffConfig(before: ManagerConfig, after: ManagerConfig): { live: string[]; restartNeeded: string[] } {
  const value = (c: ManagerConfig, key: string): unknown => (key in c.crm ? (c.crm as Record<string, unknown>)[key] : (c as unknown as Record<string, unknown>)[key]);
  const differs = (key: string): boolean => !isDeepStrictEqual(value(before, key), value(after, key));
  return { live: LIVE_KEYS.filter(differs), restartNeeded: RESTART_KEYS.filter(differs) };
}

/**
 * The running configuration: live keys of a changed file replace the old
 * ones; restart keys keep their start values until the next start.
 */
export function applyLive(running: ManagerConfig, next: ManagerConfig): ManagerConfig {
  const out = { ...running } as unknown as Record<string, unknown>;
  for (const key of LIVE_KEYS) out[key] = (next as unknown as Record<string, unknown>)[key];
  return out as unknown as ManagerConfig;
}

export class ConfigWatcher {
  #current: ManagerConfig;
  readonly #listeners = new Set<(change: ConfigChange) => void | Promise<void>>();
  #watching = false;
  #reloading: Promise<void> = Promise.resolve();
  readonly #onHup = (): void => void this.reload();

  constructor(
    initial: ManagerConfig,
    private readonly path: string | undefined,
    private readonly logger: Logger,
    private readonly pollMs = 2_000,
  ) {
    this.#current = initial;
  }

  get current(): ManagerConfig {
    return this.#current;
  }

  onChange(listener: (change: ConfigChange) => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    if (this.path === undefined || this.#watching) return;
    this.#watching = true;
    watchFile(this.path, { interval: this.pollMs, persistent: false }, (now, before) => {
      if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) void this.reload();
    });
    process.on('SIGHUP', this.#onHup);
  }

  stop(): void {
    if (!this.#watching || this.path === undefined) return;
    this.#watching = false;
    unwatchFile(this.path);
    process.off('SIGHUP', this.#onHup);
  }

  /** Re-reads the file now; resolves when the change (if any) was applied. Never rejects. */
  reload(): Promise<void> {
    this.#reloading = this.#reloading.then(() => this.#reload());
    return this.#reloading;
  }

  async #reload(): Promise<void> {
    if (this.path === undefined) return;
    let next: ManagerConfig;
    try {
      next = await loadManagerConfig(this.path);
    } catch (err) {
      const detail = err instanceof ConfigError && err.problems.length > 0 ? err.problems.join('; ') : (err as Error).message;
      this.logger.error({ code: (err as { code?: unknown }).code }, `configuration change not applied, the running settings stay: ${detail}`);
      return;
    }
    const { live, restartNeeded } = diffConfig(this.#current, next);
    for (const key of restartNeeded) this.logger.warn({ key }, `restart needed for ${key}: the running manager keeps its start value`);
    if (live.length === 0) return;
    this.#current = applyLive(this.#current, next);
    this.logger.info({ keys: live }, `configuration reloaded: ${live.join(', ')} applied`);
    for (const listener of [...this.#listeners]) {
      try {
        await listener({ config: this.#current, live, restartNeeded });
      } catch (err) {
        this.logger.error({ err }, 'applying a configuration change failed');
      }
    }
  }
}
