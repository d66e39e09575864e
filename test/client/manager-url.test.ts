import { describe, expect, it } from 'vitest';
import { readManagerUrl, resolveManagerUrl } from '../../src/client/crm/manager-url.ts';
import type { CrmHost } from '../../src/client/crm/host.ts';
import { clientSchemaNames, LINE_CONFIG_KIND } from '../../src/client/schema-names.ts';

const N = clientSchemaNames();
const f = N.lineConfig;
const ME = '88d46489-4802-518e-a6a0-6dd1115ade35';
const row = (id: string, kind: keyof typeof LINE_CONFIG_KIND, url: string | null, parent?: string, user?: string) => ({
  [f.id]: id, [f.kind]: LINE_CONFIG_KIND[kind], [f.webSocketUrl]: url, ...(parent ? { [f.parentValue]: parent } : {}), ...(user ? { [f.userValue]: user } : {}),
});

describe('manager URL from the line records', () => {
  const def = row('d', 'default', 'wss://default:8080');
  const site = row('s', 'site', null, 'd');
  it('own line, else its site, else the default', () => {
    expect(resolveManagerUrl([def, site, row('u', 'userLine', 'wss://own:8080', 's', ME)], ME, N)).toBe('wss://own:8080');
    expect(resolveManagerUrl([def, row('s', 'site', 'ws://site:8080', 'd'), row('u', 'userLine', '  ', 's', `{${ME.toUpperCase()}}`)], ME, N)).toBe('ws://site:8080');
    expect(resolveManagerUrl([def, site, row('u', 'userLine', null, 's', ME)], ME, N)).toBe('wss://default:8080');
  });
  it('without an own line: the sites, then the default; nothing set: undefined; parent loops end', () => {
    expect(resolveManagerUrl([def, site, row('u', 'userLine', 'wss://other', 's', 'ffffffff-ffff-4fff-8fff-ffffffffffff')], ME, N)).toBe('wss://default:8080');
    expect(resolveManagerUrl([row('a', 'site', null, 'b'), row('b', 'site', null, 'a')], ME, N)).toBeUndefined();
  });
  it('reads through the CRM host and says what is missing', async () => {
    const queries: string[] = [];
    const host = (rows: Record<string, unknown>[]): CrmHost => ({
      currentUser: async () => ({ id: ME, name: 'x' }), createRecord: async () => 'x', createRecordWithId: async () => 'created', openRecord: () => undefined, openNewForm: () => undefined,
      retrieveMultiple: async (entity, options) => {
        queries.push(`${entity}${options}`);
        return rows;
      },
    });
    expect(await readManagerUrl(host([def]), ME, N)).toBe('wss://default:8080');
    expect(queries[0]).toContain('ctapi_lineconfig?$select=');
    await expect(readManagerUrl(host([]), ME, N)).rejects.toMatchObject({ code: 'no-manager-url' });
  });
});
