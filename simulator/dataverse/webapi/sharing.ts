// Sharing a record: GrantAccess, ModifyAccess and RevokeAccess, recorded in
// principalobjectaccess and honoured by the access check (access.ts).
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/grantaccess
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/modifyaccess
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/revokeaccess
// The caller needs Share on the record, and may pass on only the rights it holds on it itself
// (https://learn.microsoft.com/power-platform/admin/security-roles-privileges: "share … with the
// access rights the user has").
import { ACCESS_RIGHTS } from '../access.ts';
import { isoSeconds } from '../clock.ts';
import { DV, ODataError } from '../errors.ts';
import type { EntityDefinition } from '../metadata.ts';
import type { Operation } from '../privileges.ts';
import { isGuid } from '../records.ts';
import { nameGuid } from '../seed.ts';
import type { StoredRecord } from '../store.ts';
import type { WebApiContext } from './context.ts';

interface Target { entity: EntityDefinition; record: StoredRecord; id: string }

function entityRef(ctx: WebApiContext, value: unknown, what: string): Target {
  if (typeof value !== 'object' || value === null) throw new ODataError(400, DV.invalidArgument, `${what} must be an entity reference object.`);
  const obj = value as Record<string, unknown>;
  const type = obj['@odata.type'];
  if (typeof type !== 'string' || !type.startsWith('Microsoft.Dynamics.CRM.')) throw new ODataError(400, DV.invalidArgument, `${what} needs "@odata.type": "Microsoft.Dynamics.CRM.<entity>".`);
  const logicalName = type.slice('Microsoft.Dynamics.CRM.'.length);
  const entity = ctx.metadata.entity(logicalName);
  if (!entity) throw new ODataError(400, DV.invalidArgument, `${what}: unknown entity type '${type}'.`);
  const id = obj[entity.primaryIdAttribute];
  if (typeof id !== 'string' || !isGuid(id)) throw new ODataError(400, DV.invalidArgument, `${what} needs its primary key '${entity.primaryIdAttribute}'.`);
  const record = ctx.store.get(logicalName, id);
  if (!record) throw new ODataError(404, DV.objectDoesNotExist, `${logicalName} With Id = ${id.toLowerCase()} Does Not Exist`);
  return { entity, record, id: id.toLowerCase() };
}

function parseMask(value: unknown): number {
  if (typeof value !== 'string') throw new ODataError(400, DV.invalidArgument, 'AccessMask must be a string such as "ReadAccess, WriteAccess".');
  let mask = 0;
  for (const part of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const bit = ACCESS_RIGHTS[part];
    if (bit === undefined) throw new ODataError(400, DV.badRequestSyntax, `The value '${part}' is not a valid member of Microsoft.Dynamics.CRM.AccessRights.`);
    mask |= bit;
  }
  return mask;
}

function principalOf(ctx: WebApiContext, value: unknown, what: string): Target {
  const principal = entityRef(ctx, value, what);
  if (principal.entity.logicalName !== 'systemuser' && principal.entity.logicalName !== 'team') throw new ODataError(400, DV.invalidArgument, 'A principal must be a systemuser or a team.');
  return principal;
}

/** Share on the target, and every right being passed on. */
function demandSharing(ctx: WebApiContext, target: Target, mask: number): void {
  ctx.writes.demand('Share', target.entity, ctx.actor);
  ctx.writes.demandRecord('Share', target.entity, target.record, ctx.actor);
  for (const [right, bit] of Object.entries(ACCESS_RIGHTS)) {
    if (bit === 0 || (mask & bit) === 0) continue;
    const op = right.slice(0, -'Access'.length) as Operation;
    if (op === 'Create') continue; // CreateAccess has no meaning on an existing record
    ctx.writes.demand(op, target.entity, ctx.actor);
    ctx.writes.demandRecord(op, target.entity, target.record, ctx.actor);
  }
}

function poaId(target: { id: string }, principal: { id: string }): string {
  return nameGuid(`poa:${target.id}:${principal.id}`);
}

function share(ctx: WebApiContext, body: unknown, replace: boolean): Response {
  const b = (body ?? {}) as Record<string, unknown>;
  const target = entityRef(ctx, b['Target'], 'Target');
  const pa = (b['PrincipalAccess'] ?? {}) as Record<string, unknown>;
  const principal = principalOf(ctx, pa['Principal'], 'PrincipalAccess.Principal');
  const mask = parseMask(pa['AccessMask']);
  demandSharing(ctx, target, mask);
  const id = poaId(target, principal);
  const existing = ctx.store.get('principalobjectaccess', id);
  ctx.store.put('principalobjectaccess', id, {
    principalobjectaccessid: id,
    objectid: { id: target.id, logicalName: target.entity.logicalName },
    objecttypecode: target.entity.logicalName,
    principalid: { id: principal.id, logicalName: principal.entity.logicalName },
    principaltypecode: principal.entity.logicalName,
    accessrightsmask: replace ? mask : (Number(existing?.['accessrightsmask'] ?? 0) | mask),
    inheritedaccessrightsmask: 0,
    changedon: isoSeconds(ctx.now),
  });
  return new Response(null, { status: 204, headers: { 'OData-Version': '4.0' } });
}

/** GrantAccess adds rights to what the principal already has on the record. */
export function grantAccess(ctx: WebApiContext, body: unknown): Response {
  return share(ctx, body, false);
}

/** ModifyAccess replaces the principal's rights on the record. */
export function modifyAccess(ctx: WebApiContext, body: unknown): Response {
  return share(ctx, body, true);
}

export function revokeAccess(ctx: WebApiContext, body: unknown): Response {
  const b = (body ?? {}) as Record<string, unknown>;
  const target = entityRef(ctx, b['Target'], 'Target');
  const principal = principalOf(ctx, b['Revokee'], 'Revokee');
  demandSharing(ctx, target, 0);
  ctx.store.remove('principalobjectaccess', poaId(target, principal), ctx.now);
  return new Response(null, { status: 204, headers: { 'OData-Version': '4.0' } });
}
