// The functions and actions a telephony bridge calls: WhoAmI, RetrieveVersion,
// RetrieveCurrentOrganization, RetrieveUserPrivileges (bound to systemuser), GrantAccess and
// RevokeAccess (sharing, recorded in principalobjectaccess).
import { DV, ODataError } from '../errors.ts';
import { aliasValue, type Aliases } from '../odata/filter.ts';
import { isGuid } from '../records.ts';
import { isoSeconds } from '../clock.ts';
import { nameGuid } from '../seed.ts';
import { isLookup } from '../store.ts';
import type { WebApiContext } from './context.ts';

export function whoAmI(ctx: WebApiContext): Response {
  const user = ctx.store.get('systemuser', ctx.actor.userId);
  const bu = user?.['businessunitid'];
  return ctx.json(200, {
    '@odata.context': `${ctx.baseUrl}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
    BusinessUnitId: isLookup(bu) ? bu.id : null,
    UserId: ctx.actor.userId,
    OrganizationId: ctx.directory.organization.organizationId,
  });
}

export function retrieveVersion(ctx: WebApiContext): Response {
  return ctx.json(200, {
    '@odata.context': `${ctx.baseUrl}$metadata#Microsoft.Dynamics.CRM.RetrieveVersionResponse`,
    Version: ctx.directory.organization.version,
  });
}

/**
 * The AccessType parameter of RetrieveCurrentOrganization, inline or as a parameter alias
 * (`(AccessType=@p1)?@p1=Microsoft.Dynamics.CRM.EndpointAccessType'Default'`, use-web-api-functions).
 */
function accessType(params: string | undefined, aliases: Aliases): string {
  const m = /^\s*AccessType\s*=\s*(.+?)\s*$/.exec(params ?? '');
  if (!m?.[1]) throw new ODataError(400, DV.badRequestSyntax, "The function 'RetrieveCurrentOrganization' requires the parameter 'AccessType'.");
  const raw = m[1].startsWith('@') ? aliasValue(aliases, m[1].slice(1)).trim() : m[1];
  const value = /^(?:Microsoft\.Dynamics\.CRM\.EndpointAccessType)?'([^']*)'$/.exec(raw)?.[1] ?? raw;
  if (!['Default', 'Internet', 'Intranet', '0', '1', '2'].includes(value)) {
    throw new ODataError(400, DV.badRequestSyntax, `The value '${raw}' is not a valid Microsoft.Dynamics.CRM.EndpointAccessType.`);
  }
  return value;
}

export function retrieveCurrentOrganization(ctx: WebApiContext, origin: string, orgPath: string, params: string | undefined, aliases: Aliases): Response {
  accessType(params, aliases);
  const o = ctx.directory.organization;
  const orgUrl = `${origin}${orgPath}`;
  const endpoints = [
    { key: 'WebApplication', value: `${orgUrl}/` },
    { key: 'OrganizationService', value: `${orgUrl}/XRMServices/2011/Organization.svc` },
    { key: 'OrganizationDataService', value: `${orgUrl}/XRMServices/2011/OrganizationData.svc` },
  ];
  return ctx.json(200, {
    '@odata.context': `${ctx.baseUrl}$metadata#Microsoft.Dynamics.CRM.RetrieveCurrentOrganizationResponse`,
    Detail: {
      OrganizationId: o.organizationId,
      FriendlyName: o.friendlyName,
      OrganizationVersion: o.version,
      EnvironmentId: o.environmentId ?? '',
      DatacenterId: '',
      Geo: 'EU',
      TenantId: ctx.directory.tenantId,
      UrlName: o.uniqueName,
      UniqueName: o.uniqueName,
      State: 'Enabled',
      OrganizationType: 'Customer',
      SchemaType: 'Standard',
      Endpoints: { Count: endpoints.length, IsReadOnly: false, Keys: endpoints.map((e) => e.key), Values: endpoints.map((e) => e.value) },
    },
  });
}

export function retrieveUserPrivileges(ctx: WebApiContext, userId: string): Response {
  const user = ctx.store.get('systemuser', userId);
  if (!user) throw new ODataError(404, DV.objectDoesNotExist, `systemuser With Id = ${userId} Does Not Exist`);
  if (ctx.actor.userId !== userId.toLowerCase()) {
    const entity = ctx.metadata.entity('systemuser');
    if (entity) ctx.writes.demand('Read', entity, ctx.actor);
  }
  const bu = user['businessunitid'];
  const names = ctx.privileges.privilegesOf(userId);
  const rolePrivileges = [...names].sort().map((name) => ({
    Depth: 'Global',
    PrivilegeId: nameGuid(`privilege:${name}`),
    BusinessUnitId: isLookup(bu) ? bu.id : null,
    PrivilegeName: name,
    RecordFilterId: '00000000-0000-0000-0000-000000000000',
    RecordFilterUniqueName: null,
  }));
  return ctx.json(200, {
    '@odata.context': `${ctx.baseUrl}$metadata#Microsoft.Dynamics.CRM.RetrieveUserPrivilegesResponse`,
    RolePrivileges: rolePrivileges,
  });
}

const ACCESS_RIGHTS: Record<string, number> = {
  None: 0, ReadAccess: 1, WriteAccess: 2, AppendAccess: 4, AppendToAccess: 16, CreateAccess: 32,
  DeleteAccess: 65536, ShareAccess: 262144, AssignAccess: 524288,
};

function entityRef(ctx: WebApiContext, value: unknown, what: string): { logicalName: string; id: string } {
  if (typeof value !== 'object' || value === null) throw new ODataError(400, DV.invalidArgument, `${what} must be an entity reference object.`);
  const obj = value as Record<string, unknown>;
  const type = obj['@odata.type'];
  if (typeof type !== 'string' || !type.startsWith('Microsoft.Dynamics.CRM.')) throw new ODataError(400, DV.invalidArgument, `${what} needs "@odata.type": "Microsoft.Dynamics.CRM.<entity>".`);
  const logicalName = type.slice('Microsoft.Dynamics.CRM.'.length);
  const entity = ctx.metadata.entity(logicalName);
  if (!entity) throw new ODataError(400, DV.invalidArgument, `${what}: unknown entity type '${type}'.`);
  const id = obj[entity.primaryIdAttribute];
  if (typeof id !== 'string' || !isGuid(id)) throw new ODataError(400, DV.invalidArgument, `${what} needs its primary key '${entity.primaryIdAttribute}'.`);
  if (!ctx.store.get(logicalName, id)) throw new ODataError(404, DV.objectDoesNotExist, `${logicalName} With Id = ${id.toLowerCase()} Does Not Exist`);
  return { logicalName, id: id.toLowerCase() };
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

function poaId(target: { id: string }, principal: { id: string }): string {
  return nameGuid(`poa:${target.id}:${principal.id}`);
}

export function grantAccess(ctx: WebApiContext, body: unknown): Response {
  const b = (body ?? {}) as Record<string, unknown>;
  const target = entityRef(ctx, b['Target'], 'Target');
  const pa = (b['PrincipalAccess'] ?? {}) as Record<string, unknown>;
  const principal = entityRef(ctx, pa['Principal'], 'PrincipalAccess.Principal');
  if (principal.logicalName !== 'systemuser' && principal.logicalName !== 'team') throw new ODataError(400, DV.invalidArgument, 'A principal must be a systemuser or a team.');
  const mask = parseMask(pa['AccessMask']);
  const targetEntity = ctx.metadata.entity(target.logicalName);
  if (targetEntity) ctx.writes.demand('Share', targetEntity, ctx.actor);
  const id = poaId(target, principal);
  const existing = ctx.store.get('principalobjectaccess', id);
  ctx.store.put('principalobjectaccess', id, {
    principalobjectaccessid: id,
    objectid: { id: target.id, logicalName: target.logicalName },
    objecttypecode: target.logicalName,
    principalid: { id: principal.id, logicalName: principal.logicalName },
    principaltypecode: principal.logicalName,
    accessrightsmask: (Number(existing?.['accessrightsmask'] ?? 0) | mask),
    inheritedaccessrightsmask: 0,
    changedon: isoSeconds(ctx.now),
  });
  return new Response(null, { status: 204, headers: { 'OData-Version': '4.0' } });
}

export function revokeAccess(ctx: WebApiContext, body: unknown): Response {
  const b = (body ?? {}) as Record<string, unknown>;
  const target = entityRef(ctx, b['Target'], 'Target');
  const principal = entityRef(ctx, b['Revokee'], 'Revokee');
  const targetEntity = ctx.metadata.entity(target.logicalName);
  if (targetEntity) ctx.writes.demand('Share', targetEntity, ctx.actor);
  ctx.store.remove('principalobjectaccess', poaId(target, principal), ctx.now);
  return new Response(null, { status: 204, headers: { 'OData-Version': '4.0' } });
}
