// Security roles as Dataverse evaluates them: a user's privileges are those of their own roles
// plus the roles of their teams, each at a depth (Basic = user, Local = business unit, Deep =
// parent: child business units, Global = organisation). This file answers the privilege check
// ("does the principal hold prvReadAccount at all?", else 0x80040220); access.ts answers the
// access check on one record (does the depth, or a share, cover it?). Impersonation demands
// both the caller's and the impersonated user's privileges.
import { DV, ODataError } from './errors.ts';
import type { EntityDefinition, Metadata } from './metadata.ts';
import type { RecordStore } from './store.ts';

export type Operation = 'Create' | 'Read' | 'Write' | 'Delete' | 'Append' | 'AppendTo' | 'Assign' | 'Share';
export const OPERATIONS: readonly Operation[] = ['Create', 'Read', 'Write', 'Delete', 'Append', 'AppendTo', 'Assign', 'Share'];

/** Privileges with no entity (miscellaneous privileges of a security role). */
export const MISC_PRIVILEGES = ['prvActOnBehalfOfAnotherUser', 'prvBulkDelete', 'prvImportCustomizations', 'prvPublishCustomizations', 'prvOverrideCreatedOnCreatedBy'] as const;

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

export type Depth = 'Basic' | 'Local' | 'Deep' | 'Global';
/** `roleprivileges.privilegedepthmask` values, as Dataverse stores them. */
export const DEPTH_MASK: Readonly<Record<Depth, number>> = { Basic: 1, Local: 2, Deep: 4, Global: 8 };

export function depthOfMask(mask: number): Depth {
  return mask >= 8 ? 'Global' : mask >= 4 ? 'Deep' : mask >= 2 ? 'Local' : 'Basic';
}

/**
 * One privilege held at one depth, relative to an anchor principal: the user for the user's own
 * roles, the team for a team's roles. Dataverse's default team inheritance ("Direct User (Basic)
 * access level and Team privileges") also gives each member the team's privileges at Basic
 * depth as their own, which appears as a second grant anchored on the user.
 */
export interface Grant {
  depth: Depth;
  anchor: { kind: 'systemuser' | 'team'; id: string };
}

export class PrivilegeResolver {
  private cache = new Map<string, Map<string, Grant[]>>();
  private cachedAt = -1;

  constructor(private readonly store: RecordStore) {}

  /** Privilege names the user holds through their roles and their teams' roles. */
  privilegesOf(userId: string): Set<string> {
    return new Set(this.grantsOf(userId).keys());
  }

  /** Privilege name → the grants (depth and anchor) through which the user holds it. */
  grantsOf(userId: string): Map<string, Grant[]> {
    if (this.cachedAt !== this.store.currentVersion()) {
      this.cache = new Map();
      this.cachedAt = this.store.currentVersion();
    }
    const key = userId.toLowerCase();
    const hit = this.cache.get(key);
    if (hit) return hit;
    const grants = new Map<string, Grant[]>();
    const add = (roleId: string, anchors: Grant['anchor'][], basicOnly: boolean[]): void => {
      for (const rp of this.store.all('roleprivileges')) {
        if (rp['roleid'] !== roleId) continue;
        const name = this.store.get('privilege', String(rp['privilegeid']))?.['name'];
        if (typeof name !== 'string') continue;
        const depth = depthOfMask(Number(rp['privilegedepthmask'] ?? DEPTH_MASK.Global));
        const list = grants.get(name) ?? [];
        anchors.forEach((anchor, i) => list.push({ depth: basicOnly[i] ? 'Basic' : depth, anchor }));
        grants.set(name, list);
      }
    };
    const me = { kind: 'systemuser' as const, id: key };
    for (const r of this.store.all('systemuserroles')) if (r['systemuserid'] === key) add(String(r['roleid']), [me], [false]);
    for (const teamId of this.teamsOf(key)) {
      for (const r of this.store.all('teamroles')) {
        if (r['teamid'] === teamId) add(String(r['roleid']), [{ kind: 'team', id: teamId }, me], [false, true]);
      }
    }
    this.cache.set(key, grants);
    return grants;
  }

  /** Teams the user is a member of. */
  teamsOf(userId: string): Set<string> {
    const teams = new Set<string>();
    for (const m of this.store.all('teammembership')) if (m['systemuserid'] === userId.toLowerCase()) teams.add(String(m['teamid']));
    return teams;
  }

  /** The deepest depth at which the user holds `name` (for RetrieveUserPrivileges). */
  deepest(userId: string, name: string): Depth | undefined {
    let best = 0;
    for (const g of this.grantsOf(userId).get(name) ?? []) best = Math.max(best, DEPTH_MASK[g.depth]);
    return best === 0 ? undefined : depthOfMask(best);
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
