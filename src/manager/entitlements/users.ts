// What the user side needs to know about a CRM user: name (welcome,
// "answered by"), whether the account is disabled, the Entra object id
// (impersonation online) and admin rights (diagnose). Cached for a while so
// a reconnect storm does not become a CRM read storm; admin rights are read
// fresh at every identity proof of the diagnose channel.
import { elapsed, type MonoMs } from '../clock.ts';
import type { Repositories, UserRecord } from '../../dataverse/repositories/index.ts';

export interface KnownUser {
  id: string;
  name: string;
  disabled: boolean;
  entraObjectId?: string;
}

interface Entry {
  user: KnownUser | undefined;
  at: MonoMs;
}

export class UserCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly repositories: Repositories,
    private readonly now: () => MonoMs,
    private readonly ttlMs = 5 * 60_000,
    private readonly maxEntries = 50_000,
  ) {}

  /** The user, read from the CRM when not cached or stale; undefined when the CRM has no such user. */
  async get(id: string): Promise<KnownUser | undefined> {
    const hit = this.entries.get(id);
    if (hit !== undefined && elapsed(this.now(), hit.at) < this.ttlMs) return hit.user;
    const record = await this.repositories.users.byId(id);
    const user = record === undefined ? undefined : toKnown(record);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(id, { user, at: this.now() });
    return user;
  }

  /** The cached name, without waiting for the CRM (routing must not wait). */
  nameOf(id: string): string | undefined {
    return this.entries.get(id)?.user?.name;
  }

  isAdmin(id: string): Promise<boolean> {
    return this.repositories.users.isAdmin(id);
  }
}

function toKnown(r: UserRecord): KnownUser {
  return { id: r.id, name: r.fullName || r.domainName || r.id, disabled: r.isDisabled, ...(r.entraObjectId === undefined ? {} : { entraObjectId: r.entraObjectId }) };
}
