// The solution's own scripts, as Dynamics runs them: the command bar's enable
// rule decides by role ids (our admin role, System Administrator's template
// via the Web API), never by names; the form OnLoad hands Xrm and the form
// context to the client inside the web resource.
import { describe, expect, it } from 'vitest';
import { solutionAsset } from '../../../src/dataverse/solution/content.ts';
import { ROLE_IDS, SYSTEM_ADMINISTRATOR_TEMPLATE_ID } from '../../../src/dataverse/solution/model.ts';

function load<T>(source: string, global: string, xrm: unknown): T {
  return new Function('Xrm', `${source}\nreturn ${global};`)(xrm) as T;
}

interface Ribbon { isAdmin(): Promise<boolean>; diagnose(): unknown }

function xrmWith(roleIds: string[], roleRows: Record<string, unknown>[] = []): { xrm: unknown; queries: string[]; opened: unknown[] } {
  const queries: string[] = [];
  const opened: unknown[] = [];
  const xrm = {
    Utility: { getGlobalContext: () => ({ userSettings: { roles: { get: () => roleIds.map((id) => ({ id: `{${id.toUpperCase()}}`, name: 'whatever' })) } } }) },
    WebApi: { retrieveMultipleRecords: (entity: string, query: string) => { queries.push(`${entity}${query}`); return Promise.resolve({ entities: roleRows }); } },
    Navigation: { navigateTo: (page: unknown) => { opened.push(page); return Promise.resolve(); } },
  };
  return { xrm, queries, opened };
}

describe('solution scripts', () => {
  it('ribbon.js enables the admin buttons by role ids only', async () => {
    const source = await solutionAsset('ribbon.js', 'ctapi');
    const admin = xrmWith([ROLE_IDS.admin]);
    expect(await load<Ribbon>(source, 'CrmTapiRibbon', admin.xrm).isAdmin()).toBe(true);
    expect(admin.queries).toEqual([]);
    const sysadmin = xrmWith(['742bff67-af89-520d-ac62-7bd859df9118'], [{ _roletemplateid_value: SYSTEM_ADMINISTRATOR_TEMPLATE_ID, _parentrootroleid_value: null }]);
    expect(await load<Ribbon>(source, 'CrmTapiRibbon', sysadmin.xrm).isAdmin()).toBe(true);
    expect(sysadmin.queries[0]).toContain('roleid eq 742bff67-af89-520d-ac62-7bd859df9118');
    const agent = xrmWith([ROLE_IDS.user], [{ _roletemplateid_value: null, _parentrootroleid_value: ROLE_IDS.user }]);
    expect(await load<Ribbon>(source, 'CrmTapiRibbon', agent.xrm).isAdmin()).toBe(false);
    load<Ribbon>(source, 'CrmTapiRibbon', agent.xrm).diagnose();
    expect(agent.opened).toEqual([{ pageType: 'webresource', webresourceName: 'ctapi_/crmtapi/diagnose.html', data: 'diagnose' }]);
  });

  it('formonload.js hands Xrm and the form context to the web resource\'s client', async () => {
    const source = await solutionAsset('formonload.js', 'ctapi');
    const handed: unknown[] = [];
    const formContext = { getControl: (name: string) => (name === 'WebResource_crmtapi' ? { getContentWindow: () => Promise.resolve({ setClientApiContext: (...a: unknown[]) => handed.push(a) }) } : null) };
    const xrm = { marker: true };
    load<{ onLoad(ctx: unknown): void }>(source, 'CrmTapiForm', xrm).onLoad({ getFormContext: () => formContext });
    await new Promise((r) => setTimeout(r, 0));
    expect(handed).toEqual([[xrm, formContext]]);
  });
});
