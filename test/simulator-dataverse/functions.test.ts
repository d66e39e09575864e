import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, appToken, managerApp, readonlyApp, startSim, user, userToken, type Api } from './support.ts';

let dv: Awaited<ReturnType<typeof startSim>>;
let call: Api;

beforeAll(async () => {
  dv = await startSim();
  call = api(dv, await appToken(dv));
});
afterAll(async () => { await dv.close(); });

describe('functions', () => {
  it('WhoAmI, RetrieveVersion and RetrieveCurrentOrganization describe the organisation', async () => {
    const who = await call('WhoAmI()');
    expect(who.body).toMatchObject({ UserId: managerApp(dv).systemuserid, OrganizationId: dv.directory.organization.organizationId });
    expect(who.body.BusinessUnitId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call('RetrieveVersion()')).body.Version).toBe('9.2.25063.177');
    const org = await call("RetrieveCurrentOrganization(AccessType=@p1)?@p1=Microsoft.Dynamics.CRM.EndpointAccessType'Default'");
    expect(org.body.Detail).toMatchObject({ FriendlyName: 'Contoso Telefonie GmbH', UniqueName: 'contoso', OrganizationVersion: '9.2.25063.177' });
    const orgs = await call('organizations?$select=name,languagecode');
    expect(orgs.body.value).toEqual([expect.objectContaining({ name: 'Contoso Telefonie GmbH', languagecode: 1031 })]);
  });

  it('RetrieveUserPrivileges lists the privileges of the user\'s roles and team roles', async () => {
    const mgr = await call(`systemusers(${managerApp(dv).systemuserid})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()`);
    const names = mgr.body.RolePrivileges.map((p: { PrivilegeName: string }) => p.PrivilegeName);
    expect(names).toEqual(expect.arrayContaining(['prvReadAccount', 'prvReadContact', 'prvReadLead', 'prvCreateActivity', 'prvActOnBehalfOfAnotherUser', 'prvReadUser']));
    expect(names).not.toContain('prvWriteAccount');
    expect(mgr.body.RolePrivileges[0]).toMatchObject({ Depth: 'Global', PrivilegeId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const emily = user(dv, 'ecarter');
    const hers = await call(`systemusers(${emily.systemuserid})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges`);
    expect(hers.body.RolePrivileges.map((p: { PrivilegeName: string }) => p.PrivilegeName)).toContain('prvCreateActivity');
    const none = api(dv, await appToken(dv, readonlyApp(dv)));
    const whoNone = (await none('WhoAmI')).body.UserId as string;
    expect((await none(`systemusers(${whoNone})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges`)).body.RolePrivileges).toEqual([]);
  });

  it('roles, user roles, teams and memberships are readable sets', async () => {
    const roles = await call("roles?$select=name&$filter=startswith(name,'Tapi')&$orderby=name");
    expect(roles.body.value.map((r: { name: string }) => r.name)).toEqual(['TapiInterface Admin', 'TapiInterface User', 'TapiManager Account']);
    const admin = roles.body.value[0].roleid as string;
    const holders = await call(`systemuserrolescollection?$filter=roleid eq ${admin}`);
    const ids = holders.body.value.map((r: { systemuserid: string }) => r.systemuserid).sort();
    expect(ids).toEqual([user(dv, 'phoffmann').systemuserid, user(dv, 'jwagner').systemuserid].sort());
    const team = (await call("teams?$select=name&$filter=name eq 'Kundenservice Berlin'")).body.value[0].teamid as string;
    const members = await call(`teammemberships?$filter=teamid eq ${team}`);
    expect(members.body.value.map((m: { systemuserid: string }) => m.systemuserid).sort()).toEqual([user(dv, 'smueller').systemuserid, user(dv, 'myilmaz').systemuserid].sort());
  });

  it('usersettings give the UI language; formatted values follow it', async () => {
    const anna = user(dv, 'aschmidt');
    const emily = user(dv, 'ecarter');
    expect((await call(`usersettingscollection(${anna.systemuserid})?$select=uilanguageid`)).body.uilanguageid).toBe(1031);
    expect((await call(`usersettingscollection(${emily.systemuserid})?$select=uilanguageid`)).body.uilanguageid).toBe(1033);
    const asAnna = api(dv, await userToken(dv, 'aschmidt'));
    const lead = await asAnna("leads?$select=statecode&$filter=lastname eq 'Kuhn'", { headers: { Prefer: 'odata.include-annotations="*"' } });
    expect(lead.body.value[0]['statecode@OData.Community.Display.V1.FormattedValue']).toBe('Disqualifiziert');
  });
});

describe('sharing', () => {
  it('GrantAccess records principalobjectaccess; RevokeAccess removes it', async () => {
    const lineRecord = (await call("phonecalls", { method: 'POST', body: { subject: 'geteilte Leitung' }, headers: { Prefer: 'return=representation' } })).body.activityid as string;
    const team = (await call("teams?$select=name&$filter=name eq 'International Sales'")).body.value[0].teamid as string;
    const grant = await call('GrantAccess', { method: 'POST', body: {
      Target: { activityid: lineRecord, '@odata.type': 'Microsoft.Dynamics.CRM.phonecall' },
      PrincipalAccess: { Principal: { teamid: team, '@odata.type': 'Microsoft.Dynamics.CRM.team' }, AccessMask: 'ReadAccess, WriteAccess' },
    } });
    expect(grant.status).toBe(204);
    const shared = await call(`principalobjectaccessset?$filter=_objectid_value eq ${lineRecord}`);
    expect(shared.body.value).toEqual([expect.objectContaining({ _principalid_value: team, principaltypecode: 'team', objecttypecode: 'phonecall', accessrightsmask: 3 })]);
    const byPrincipal = await call(`principalobjectaccessset?$filter=_principalid_value eq ${team} and objecttypecode eq 'phonecall'`);
    expect(byPrincipal.body.value).toHaveLength(1);
    const bad = await call('GrantAccess', { method: 'POST', body: { Target: { activityid: lineRecord, '@odata.type': 'Microsoft.Dynamics.CRM.phonecall' }, PrincipalAccess: { Principal: { teamid: team, '@odata.type': 'Microsoft.Dynamics.CRM.team' }, AccessMask: 'EverythingAccess' } } });
    expect(bad.status).toBe(400);
    const revoke = await call('RevokeAccess', { method: 'POST', body: { Target: { activityid: lineRecord, '@odata.type': 'Microsoft.Dynamics.CRM.phonecall' }, Revokee: { teamid: team, '@odata.type': 'Microsoft.Dynamics.CRM.team' } } });
    expect(revoke.status).toBe(204);
    expect((await call(`principalobjectaccessset?$filter=_objectid_value eq ${lineRecord}`)).body.value).toEqual([]);
  });
});
