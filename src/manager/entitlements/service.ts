// Keeps the entitlement table in step with the CRM: a full read of the line
// records, their shares and the members of the teams they are shared with,
// periodically and soon after a connector reports a line change (a new line
// gets its record created by the connector side, so it must be read back).
// Refreshes never overlap; a failed refresh keeps the last good table.
import type { Logger } from 'pino';
import type { Repositories } from '../../dataverse/repositories/index.ts';
import { EMPTY_TABLE, EntitlementTable, type EntitlementInput } from './table.ts';

export interface EntitlementServiceOptions {
  repositories: Repositories;
  logger: Logger;
  /** Periodic re-read (ms); 0 = only on demand. */
  refreshIntervalMs: number;
  /** Delay that gathers a burst of line events into one re-read (ms). */
  debounceMs: number;
}

export async function loadEntitlementInput(repositories: Repositories): Promise<EntitlementInput> {
  const [records, shares] = await Promise.all([repositories.lineConfigs.listAll(), repositories.shares.all()]);
  const teams = [...new Set(shares.filter((s) => s.principalType === 'team').map((s) => s.principalId))];
  const teamMembers = new Map<string, string[]>();
  for (const team of teams) teamMembers.set(team, await repositories.users.membersOf(team));
  return { records, shares, teamMembers };
}

export class EntitlementService {
  private current: EntitlementTable = EMPTY_TABLE;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private interval: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(table: EntitlementTable, previous: EntitlementTable) => void>();
  private stopped = false;

  constructor(private readonly options: EntitlementServiceOptions) {}

  get table(): EntitlementTable {
    return this.current;
  }

  /** Reads everything now; resolves when a read begun after this call has finished (rejects if it failed). */
  refresh(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.readOnce().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // One read follows the running one, however many callers ask meanwhile.
    this.queued ??= this.running.catch(() => undefined).then(() => {
      this.queued = undefined;
      return this.refresh();
    });
    return this.queued;
  }

  private async readOnce(): Promise<void> {
    const input = await loadEntitlementInput(this.options.repositories);
    const previous = this.current;
    this.current = await EntitlementTable.build(input);
    this.options.logger.debug({ records: input.records.length, shares: input.shares.length, users: this.current.users().length }, 'line entitlements read');
    for (const listener of this.listeners) {
      try {
        listener(this.current, previous);
      } catch (err) {
        this.options.logger.error({ err }, 'entitlement listener failed');
      }
    }
  }

  /** A line was added, changed or removed: read again shortly (bursts collapse into one read). */
  soon(): void {
    if (this.stopped || this.debounce !== undefined) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.refresh().catch((err: unknown) => this.options.logger.warn({ err }, 'line entitlements could not be read; keeping the last ones'));
    }, this.options.debounceMs);
    this.debounce.unref();
  }

  onChange(listener: (table: EntitlementTable, previous: EntitlementTable) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.options.refreshIntervalMs <= 0 || this.interval !== undefined) return;
    this.interval = setInterval(() => this.soon(), this.options.refreshIntervalMs);
    this.interval.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.interval);
    clearTimeout(this.debounce);
  }
}
