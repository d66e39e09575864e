import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SimulatedDataverse } from '../../simulator/dataverse/index.ts';
import { api, appToken, startSim, userToken, type Api } from './support.ts';

let dv: SimulatedDataverse;
let call: Api;

beforeAll(async () => {
  dv = await startSim();
  call = api(dv, await appToken(dv));
});
afterAll(async () => { await dv.close(); });

async function allPages(first: string, pageSize: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let url: string | undefined = first;
  let pages = 0;
  while (url) {
    const res = await call(url, { headers: { Prefer: `odata.maxpagesize=${pageSize}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe(`odata.maxpagesize=${pageSize}`);
    expect(res.body.value.length).toBeLessThanOrEqual(pageSize);
    ids.push(...res.body.value.map((r: { contactid: string }) => r.contactid));
    url = res.body['@odata.nextLink'];
    pages += 1;
    if (url) expect(url).toMatch(/\$skiptoken=/);
  }
  return { ids, pages };
}

describe('paging', () => {
  it('follows @odata.nextLink across pages and returns every record once', async () => {
    const total = dv.store.count('contact');
    const { ids, pages } = await allPages('contacts?$select=fullname', 7);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    expect(pages).toBe(Math.ceil(total / 7));
  });

  it('any page size yields the same records in the same order (property)', async () => {
    const { ids: reference } = await allPages('contacts?$select=fullname&$orderby=lastname asc,firstname desc', 1000);
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 70 }), async (size) => {
      const { ids } = await allPages('contacts?$select=fullname&$orderby=lastname asc,firstname desc', size);
      expect(ids).toEqual(reference);
    }), { numRuns: 12 });
  });

  it('a record created between pages neither repeats nor shifts the rest (keyset paging)', async () => {
    const first = await call('accounts?$select=name', { headers: { Prefer: 'odata.maxpagesize=10' } });
    const seen = first.body.value.map((r: { accountid: string }) => r.accountid);
    const admin = api(dv, await userToken(dv, 'phoffmann'));
    expect((await admin('accounts', { method: 'POST', body: { accountid: '00000000-0000-0000-0000-000000000001', name: 'Aaa Inserted' } })).status).toBe(204);
    let url: string | undefined = first.body['@odata.nextLink'];
    while (url) {
      const res = await call(url, { headers: { Prefer: 'odata.maxpagesize=10' } });
      seen.push(...res.body.value.map((r: { accountid: string }) => r.accountid));
      url = res.body['@odata.nextLink'];
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect((await admin('accounts(00000000-0000-0000-0000-000000000001)', { method: 'DELETE' })).status).toBe(204);
  });

  it('$top limits the result and produces no nextLink; $count counts all matches', async () => {
    const res = await call('accounts?$select=name&$top=5&$count=true');
    expect(res.body.value).toHaveLength(5);
    expect(res.body['@odata.nextLink']).toBeUndefined();
    expect(res.body['@odata.count']).toBe(dv.store.count('account'));
  });

  it('rejects a forged skiptoken with an OData error', async () => {
    const res = await call(`contacts?$skiptoken=${encodeURIComponent('<cookie pagenumber="2" pagingcookie="!!" istracking="False" />')}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toMatch(/^0x[0-9a-f]{8}$/);
  });
});

describe('$filter', () => {
  const names = async (q: string): Promise<string[]> => {
    const res = await call(`accounts?$select=name&$orderby=name&$filter=${encodeURIComponent(q)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.value.map((r: { name: string }) => r.name);
  };

  it('eq ignores case like Dataverse', async () => {
    expect(await names("name eq 'stadtwerke grimma gmbh'")).toEqual(['Stadtwerke Grimma GmbH']);
  });

  it('finds duplicates of a number typed the same way', async () => {
    expect(await names("telephone1 eq '0341 / 123 45 67'")).toEqual(['Leipziger Maschinenbau AG', 'Lindenhof Seniorenresidenz']);
  });

  it('contains / startswith / endswith, and / or / not, parentheses', async () => {
    expect(await names("startswith(name,'Leip') or endswith(name,'Rügen')")).toEqual(['Leipziger Maschinenbau AG', 'Ostsee Ferienwohnungen Rügen']);
    expect(await names("contains(name,'gmbh') and (address1_city eq 'Grimma' or address1_city eq 'Wien') and not contains(name,'Stadtwerke')")).toEqual(['Alpenblick Handels GmbH', 'Autohaus Mulde GmbH', 'Vienna Software Solutions GmbH']);
  });

  it('null comparisons and numeric comparisons', async () => {
    const noPhone = await names('telephone1 eq null');
    expect(noPhone).toEqual(['Kiezladen Kreuzberg']);
    const inactive = await names('statecode ne 0');
    expect(inactive).toEqual(['Sachsen Solar GmbH']);
    const withIndustry = await names('industrycode ge 25 and industrycode lt 30');
    expect(withIndustry.length).toBeGreaterThan(3);
  });

  it('lookup _x_value with a GUID literal, Microsoft.Dynamics.CRM.In, date-times', async () => {
    const acct = (await call("accounts?$select=name&$filter=name eq 'Hudson Logistics Inc.'")).body.value[0].accountid as string;
    const contacts = await call(`contacts?$select=fullname,_parentcustomerid_value&$filter=_parentcustomerid_value eq ${acct}`);
    const expected = [...dv.store.all('contact')].filter((c) => (c['parentcustomerid'] as { id?: string } | null)?.id === acct).length;
    expect(contacts.body.value.length).toBe(expected);
    expect(contacts.body.value.map((c: { fullname: string }) => c.fullname)).toEqual(expect.arrayContaining(['Emma Davis', 'Michael Johnson']));
    for (const c of contacts.body.value) expect(c._parentcustomerid_value).toBe(acct);
    expect(await names("Microsoft.Dynamics.CRM.In(PropertyName='address1_city',PropertyValues=['Zürich','Boston'])")).toEqual(['Adventure Works Cycles (Schweiz) AG', 'Boston Medical Devices LLC', 'Helvetia Datentechnik AG']);
    const early = await names('createdon lt 2024-02-15T00:00:00Z');
    expect(early.length).toBeGreaterThan(0);
    expect(early.length).toBeLessThan(dv.store.count('account'));
  });

  it('an unknown property is a 400 with the Dataverse message', async () => {
    const res = await call("accounts?$filter=nosuch eq 'x'");
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("Could not find a property named 'nosuch' on type 'Microsoft.Dynamics.CRM.account'.");
    const sel = await call('accounts?$select=primarycontactid');
    expect(sel.status).toBe(400);
  });

  it('a syntax error is a 400, never a crash', async () => {
    for (const bad of ["name eq 'x", 'name eq', '(name eq 1', 'name xx 1', "contains(name)", "unknownfn(name,'a')"]) {
      const res = await call(`accounts?$filter=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code, bad).toMatch(/^0x/);
    }
  });
});

describe('representation', () => {
  it('returns lookups as _x_value and formatted values only when asked, in the caller UI language', async () => {
    const plain = await call("contacts?$select=fullname,_parentcustomerid_value,preferredcontactmethodcode&$top=1&$filter=lastname eq 'Smith'");
    const c = plain.body.value[0];
    expect(c._parentcustomerid_value).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(c).some((k) => k.includes('FormattedValue'))).toBe(false);
    const annotated = await call("contacts?$select=fullname,_parentcustomerid_value,preferredcontactmethodcode&$top=1&$filter=lastname eq 'Smith'", { headers: { Prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue,Microsoft.Dynamics.CRM.lookuplogicalname"' } });
    const a = annotated.body.value[0];
    expect(a['_parentcustomerid_value@OData.Community.Display.V1.FormattedValue']).toBe('Thames Valley Consulting Ltd');
    expect(a['_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname']).toBe('account');
    expect(a['preferredcontactmethodcode@OData.Community.Display.V1.FormattedValue']).toBe('Any');
  });

  it('retrieves one record with its etag; unknown id → 404 0x80040217', async () => {
    const list = await call('accounts?$select=name&$top=1');
    const id = list.body.value[0].accountid;
    const one = await call(`accounts(${id})?$select=name,telephone1`);
    expect(one.status).toBe(200);
    expect(one.body['@odata.etag']).toMatch(/^W\/"\d+"$/);
    expect(one.headers.get('etag')).toBe(one.body['@odata.etag']);
    const missing = await call('accounts(11111111-2222-3333-4444-555555555555)');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({ code: '0x80040217', message: 'account With Id = 11111111-2222-3333-4444-555555555555 Does Not Exist' });
  });

  it('answers on the path-style organisation URL and v9.0/v9.1; an unknown organisation is a 404', async () => {
    expect((await call(`${dv.orgUrl}/api/data/v9.0/WhoAmI`)).status).toBe(200);
    expect((await call(`${dv.url}/api/data/v9.1/WhoAmI`)).status).toBe(200);
    const other = await call(`${dv.url}/fabrikam/api/data/v9.2/WhoAmI`);
    expect(other.status).toBe(404);
    expect(other.body.error.message).toContain("'fabrikam'");
    expect((await call('nosuchset')).status).toBe(404);
  });
});
