// The access check on one record, the second half of Dataverse's record-level security
// (https://learn.microsoft.com/power-platform/admin/wp-security-cds, "How access to a record is
// determined"; https://learn.microsoft.com/power-apps/developer/data-platform/security-access-checks).
// After the privilege check passed (privileges.ts), a user-owned record is accessible when one
// of the user's grants of that privilege covers its owner —
//   Basic  (user):               the owner is the grant's anchor (the user, or the team whose role it is)
//   Local  (business unit):      the record's owningbusinessunit is the anchor's business unit
//   Deep   (parent: child BUs):  … is the anchor's business unit or one below it
//   Global (organisation):       any record
// — or when the record is shared (principalobjectaccess) with the user or one of their teams
// with that access right. Records of organisation-owned, business-owned and ownerless tables
// need only the privilege. A failed access check is 403 0x80048306 (-2147187962), as documented
// in https://learn.microsoft.com/troubleshoot/power-platform/dataverse/user-permissions/client-errors.
import { ODataError } from './errors.ts';
import type { EntityDefinition } from './metadata.ts';
import { privilegeName, type Grant, type Operation, type PrivilegeResolver } from './privileges.ts';
import { isLookup, type RecordStore, type StoredRecord } from './store.ts';

/** `AccessRights` of the Web API (GrantAccess, ModifyAccess, principalobjectaccess.accessrightsmask). */
export const ACCESS_RIGHTS: Readonly<Record<string, number>> = {
  None: 0, ReadAccess: 1, WriteAccess: 2, AppendAccess: 4, AppendToAccess: 16, CreateAccess: 32,
  DeleteAccess: 65536, ShareAccess: 262144, AssignAccess: 524288,
};

/** The access right an operation needs on a record. */
export function rightOf(op: Operation): string {
  return `${op}Access`;
}

export const ACCESS_DENIED = '0x80048306';

export class RecordAccess {
  constructor(
    private readonly store: RecordStore,
    private readonly privileges: PrivilegeResolver,
    /** False switches every check off (the simulator's enforcePrivileges setting). */
    private readonly enabled: () => boolean,
  ) {}

  /**
   * A predicate "may every one of `userIds` do `op` on this record of `entity`?", prepared once
   * for many records (a query filters every row through it).
   */
  filter(op: Operation, entity: EntityDefinition, userIds: readonly string[]): (record: StoredRecord) => boolean {
    const name = privilegeName(op, entity);
    if (!this.enabled() || name === undefined || entity.ownership !== 'UserOwned') return () => true;
    const checks = userIds.map((u) => this.userFilter(op, name, entity, u));
    return (record) => checks.every((c) => c(record));
  }

  /** Throws Dataverse's access-check error when a user may not do `op` on the record. */
  demand(op: Operation, entity: EntityDefinition, record: StoredRecord, userIds: readonly string[]): void {
    for (const userId of userIds) {
      if (this.filter(op, entity, [userId])(record)) continue;
      const id = String(record[entity.primaryIdAttribute] ?? '');
      const owner = record['ownerid'];
      const bu = record['owningbusinessunit'];
      throw new ODataError(403, ACCESS_DENIED,
        `Principal user (Id=${userId}, type=8) does not have ${rightOf(op)} right(s) for record with Id = ${id} of entity ${entity.logicalName}. ` +
        `OwnerId: ${isLookup(owner) ? owner.id : ''}, OwnerIdType: ${isLookup(owner) && owner.logicalName === 'team' ? 9 : 8}, ObjectTypeCode: ${entity.objectTypeCode ?? 0}, objectBusinessUnitId: ${isLookup(bu) ? bu.id : ''}, AccessRights: ${rightOf(op)}`);
    }
  }

  private userFilter(op: Operation, name: string, entity: EntityDefinition, userId: string): (record: StoredRecord) => boolean {
    const user = userId.toLowerCase();
    const grants = this.privileges.grantsOf(user).get(name) ?? [];
    if (grants.some((g) => g.depth === 'Global')) return () => true;
    const coverage = grants.map((g) => this.coverage(g));
    const principals = new Set([user, ...this.privileges.teamsOf(user)]);
    const shared = grants.length === 0 ? new Set<string>() : this.sharedWith(principals, entity, ACCESS_RIGHTS[rightOf(op)] ?? 0);
    return (record) => {
      const id = String(record[entity.primaryIdAttribute] ?? '');
      if (shared.has(id)) return true;
      const owner = record['ownerid'];
      const bu = record['owningbusinessunit'];
      return coverage.some((c) => (isLookup(owner) && c.owner === owner.id) || (isLookup(bu) && c.units.has(bu.id)));
    };
  }

  /** Which owners and business units one grant covers. */
  private coverage(grant: Grant): { owner: string; units: Set<string> } {
    const units = new Set<string>();
    if (grant.depth === 'Basic') return { owner: grant.anchor.id, units };
    const bu = this.store.get(grant.anchor.kind, grant.anchor.id)?.['businessunitid'];
    if (!isLookup(bu)) return { owner: grant.anchor.id, units };
    units.add(bu.id);
    if (grant.depth === 'Deep') for (const child of this.descendants(bu.id)) units.add(child);
    return { owner: grant.anchor.id, units };
  }

  /** Business units below `root` (children, grandchildren, …). */
  descendants(root: string): Set<string> {
    const children = new Map<string, string[]>();
    for (const b of this.store.all('businessunit')) {
      const parent = b['parentbusinessunitid'];
      if (isLookup(parent)) children.set(parent.id, [...(children.get(parent.id) ?? []), String(b['businessunitid'])]);
    }
    const out = new Set<string>();
    const stack = [...(children.get(root) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (out.has(next) || next === root) continue;
      out.add(next);
      stack.push(...(children.get(next) ?? []));
    }
    return out;
  }

  /** Ids of records of `entity` shared with one of `principals` with `right`. */
  private sharedWith(principals: Set<string>, entity: EntityDefinition, right: number): Set<string> {
    const ids = new Set<string>();
    for (const poa of this.store.all('principalobjectaccess')) {
      const object = poa['objectid'];
      const principal = poa['principalid'];
      if (!isLookup(object) || object.logicalName !== entity.logicalName || !isLookup(principal) || !principals.has(principal.id)) continue;
      if ((Number(poa['accessrightsmask'] ?? 0) & right) !== 0) ids.add(object.id);
    }
    return ids;
  }
}
