// The functions a telephony bridge calls: WhoAmI, RetrieveVersion, RetrieveCurrentOrganization,
// RetrieveUserPrivileges (bound to systemuser). Sharing actions are in sharing.ts.
import { DV, ODataError } from '../errors.ts';
import { aliasValue, type Aliases } from '../odata/filter.ts';
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
    Depth: ctx.privileges.deepest(userId, name) ?? 'Global',
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
