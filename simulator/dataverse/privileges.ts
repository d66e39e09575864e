// Security roles as Dataverse evaluates them, simplified to what a telephony bridge relies on:
// a user's privileges are those of their own roles plus the roles of their teams; a privilege
// grants the operation on every record of the entity (organisation depth). Impersonation uses
// the intersection of the caller's and the impersonated user's privileges, as Dataverse does.
import { DV, ODataError } from './errors.ts';
import type { EntityDefinition, Metadata } from './metadata.ts';
import type { RecordStore } from './store.ts';

export type Operation = 'Create' | 'Read' | 'Write' | 'Delete' | 'Append' | 'AppendTo' | 'Assign' | 'Share';
export const OPERATIONS: readonly Operation[] = ['Create', 'Read', 'Write', 'Delete', 'Append', 'AppendTo', 'Assign', 'Share'];

/** Privileges with no entity (miscellaneous privileges of a security role). */
export const MISC_PRIVILEGES = ['prvActOnBehalfOfAnotherUser', 'prvBulkDelete', 'prvImportCustomizations', 'prvPublishCustomizations'] as const;

/** Intersect and bookkeeping tables (no privilegeName, no ownership, no audit fields) are not checked. */
function unchecked(entity: EntityDefinition): boolean {
  return entity.privilegeName === undefined && entity.ownership === 'None' && !entity.auditFields;
}

export function privilegeName(op: Operation, entity: EntityDefinition): string | undefined {
  if (unchecked(entity)) return undefined;
  return `prv${op}${entity.privilegeName ?? entity.logicalName}`;
}

/** Every privilege name the metadata implies, in a stable order. */
export function allPrivilegeNames(metadata: Metadata): string[] {
  const names = new Set<string>();
  for (const e of metadata.entities()) {
    for (const op of OPERATIONS) {
      const name = privilegeName(op, e);
      if (name) names.add(name);
    }
  }
  for (const m of MISC_PRIVILEGES) names.add(m);
  return [...names].sort();
}

export class PrivilegeResolver {
  private cache = new Map<string, Set<string>>();
  private cachedAt = -1;

  constructor(private readonly store: RecordStore) {}

  /** Privilege names the user holds through their roles and their teams' roles. */
  privilegesOf(userId: string): Set<string> {
    if (this.cachedAt !== this.store.currentVersion()) {
      this.cache = new Map();
      this.cachedAt = this.store.currentVersion();
    }
    const key = userId.toLowerCase();
    const hit = this.cache.get(key);
    if (hit) return hit;
    const roleIds = new Set<string>();
    for (const r of this.store.all('systemuserroles')) if (r['systemuserid'] === key) roleIds.add(String(r['roleid']));
    const teams = new Set<string>();
    for (const m of this.store.all('teammembership')) if (m['systemuserid'] === key) teams.add(String(m['teamid']));
    for (const r of this.store.all('teamroles')) if (teams.has(String(r['teamid']))) roleIds.add(String(r['roleid']));
    const privilegeIds = new Set<string>();
    for (const rp of this.store.all('roleprivileges')) if (roleIds.has(String(rp['roleid']))) privilegeIds.add(String(rp['privilegeid']));
    const names = new Set<string>();
    for (const id of privilegeIds) {
      const p = this.store.get('privilege', id);
      if (typeof p?.['name'] === 'string') names.add(p['name']);
    }
    this.cache.set(key, names);
    return names;
  }

  roleCount(userId: string): number {
    let n = 0;
    for (const r of this.store.all('systemuserroles')) if (r['systemuserid'] === userId.toLowerCase()) n += 1;
    return n;
  }

  /** Throws Dataverse's 403 when `userId` (and the impersonating caller, if any) lacks `name`. */
  demand(name: string, userIds: readonly string[], entity: string, otc: number | undefined): void {
    for (const userId of userIds) {
      const held = this.privilegesOf(userId);
      if (held.has(name)) continue;
      const privilege = [...this.store.all('privilege')].find((p) => p['name'] === name);
      throw new ODataError(403, DV.privilegeDenied,
        `Principal user (Id=${userId}, type=8, roleCount=${this.roleCount(userId)}, privilegeCount=${held.size}, accessMode=0), is missing ${name} privilege (Id=${String(privilege?.['privilegeid'] ?? '00000000-0000-0000-0000-000000000000')}) on OTC=${otc ?? 0} for entity '${entity}'. Consider assigning a role with the required privilege to the user or team.`);
    }
  }
}
