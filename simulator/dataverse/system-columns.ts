// Server-side rules about what a client may write at all: the tables Dataverse keeps for itself,
// and overriddencreatedon (valid on create only, behind its own privilege).
import { DV, ODataError } from './errors.ts';
import type { EntityDefinition } from './metadata.ts';

/**
 * Tables Dataverse maintains itself: readable through the Web API ("Operations supported: GET"
 * in their table references), written only by their messages (associate, AddMembersTeam,
 * AddPrivilegesRole, GrantAccess, …). Without this, anyone could give themselves a role.
 */
const SYSTEM_TABLES = new Set(['systemuserroles', 'teamroles', 'teammembership', 'roleprivileges', 'privilege', 'principalobjectaccess']);

export function refuseSystemTable(entity: EntityDefinition, method: 'Create' | 'Update' | 'Delete'): void {
  if (SYSTEM_TABLES.has(entity.logicalName)) {
    throw new ODataError(405, DV.badRequestSyntax, `The '${method}' method does not support entities of type '${entity.logicalName}'.`);
  }
}

export const OVERRIDDEN_CREATED_ON = 'overriddencreatedon';
/** The miscellaneous privilege "Override Created on or Created by for Records during Data Import". */
export const OVERRIDE_PRIVILEGE = 'prvOverrideCreatedOnCreatedBy';
