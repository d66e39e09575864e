// Missed calls of users whose clients were all offline while the call rang
// (issue 7 item 6): kept per user, at most `maxPerUser` (the oldest goes
// first) and for at most `maxAgeMs`, then delivered once on the user's next
// welcome with `replayed` set. Memory only: bounded by users × maxPerUser.
import type { CallNotificationMessage } from '../../protocol/index.ts';
import { elapsed, type MonoMs } from '../clock.ts';

export interface MissedLimits {
  maxPerUser: number;
  maxAgeMs: number;
  /** Users with kept notifications at most (the user with the oldest entry is dropped). */
  maxUsers: number;
}

export const MISSED_DEFAULTS: MissedLimits = { maxPerUser: 50, maxAgeMs: 24 * 3600_000, maxUsers: 100_000 };

interface Kept {
  at: MonoMs;
  message: CallNotificationMessage;
}

export class MissedStore {
  private readonly byUser = new Map<string, Kept[]>();

  constructor(private readonly limits: MissedLimits = MISSED_DEFAULTS) {}

  keep(userId: string, message: CallNotificationMessage, now: MonoMs): void {
    let list = this.byUser.get(userId);
    if (list === undefined) {
      if (this.byUser.size >= this.limits.maxUsers) this.byUser.delete(this.byUser.keys().next().value as string);
      this.byUser.set(userId, (list = []));
    }
    list.push({ at: now, message: { ...message, replayed: true } });
    while (list.length > this.limits.maxPerUser) list.shift();
  }

  /** Takes the user's kept notifications that are still young enough, oldest first. */
  take(userId: string, now: MonoMs): CallNotificationMessage[] {
    const list = this.byUser.get(userId);
    if (list === undefined) return [];
    this.byUser.delete(userId);
    return list.filter((k) => elapsed(now, k.at) <= this.limits.maxAgeMs).map((k) => k.message);
  }

  count(userId: string): number {
    return this.byUser.get(userId)?.length ?? 0;
  }
}
