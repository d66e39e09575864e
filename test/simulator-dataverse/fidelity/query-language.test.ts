// Fidelity: the query language clients use — $expand, counting, parameter aliases,
// Preference-Applied on reads, formatted values in the user's time zone, change tracking's
// context URLs. Driven by dynamics-web-api and by plain requests.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, startFidelity, type Fidelity } from './client.ts';
import { api, appToken, user, userToken } from '../support.ts';

let f: Fidelity;
let accountId: string;
let contactId: string;
let callId: string;
const DOCS = 'https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/';

beforeAll(async () => {
  f = await startFidelity();
  contactId = await f.client.create({ collection: 'contacts', data: { firstname: 'Jana', lastname: 'Expand' } }) as string;
  accountId = await f.client.create({ collection: 'accounts', data: { name: 'Expand GmbH', 'primarycontactid@odata.bind': `/contacts(${contactId})` } }) as string;
  // A phone call with three activity parties (deep insert), for the collection-valued expansion.
  callId = randomUUID();
  const party = (mask: number, nav: string, ref: string): Record<string, unknown> => ({ participationtypemask: mask, [`${nav}@odata.bind`]: ref });
  await f.client.create({
    collection: 'phonecalls',
    data: {
      activityid: callId, subject: 'Expand call', 'regardingobjectid_account_phonecall@odata.bind': `/accounts(${accountId})`,
      phonecall_activity_parties: [party(1, 'partyid_contact', `/contacts(${contactId})`), party(2, 'partyid_account', `/accounts(${accountId})`), party(2, 'partyid_contact', `/contacts(${contactId})`)],
    },
  });
});
afterAll(async () => {
  await f.dv.close();
});

describe('$expand', () => {
  it(`single-valued navigation with nested $select (${DOCS}join-tables)`, async () => {
    const res = await f.client.retrieve<Record<string, unknown>>({ collection: 'accounts', key: accountId, select: ['name'], expand: [{ property: 'primarycontactid', select: ['fullname'] }] });
    expect(res['name']).toBe('Expand GmbH');
    expect(res['primarycontactid']).toMatchObject({ fullname: 'Jana Expand', contactid: contactId });
    expect(Object.keys(res['primarycontactid'] as object).sort()).toEqual(['@odata.etag', 'contactid', 'fullname']);
    expect(String(res['@odata.context'])).toMatch(/\$metadata#accounts\(name,primarycontactid\(fullname\)\)\/\$entity$/);
  });

  it(`a multi-target lookup expands only under the navigation property of the target it holds; nested $expand (${DOCS}join-tables)`, async () => {
    const res = await f.raw(`phonecalls(${callId})?$select=subject&$expand=regardingobjectid_account_phonecall($select=name;$expand=primarycontactid($select=fullname)),regardingobjectid_contact_phonecall($select=fullname)`);
    expect(res.status).toBe(200);
    expect(res.body.regardingobjectid_account_phonecall).toMatchObject({ name: 'Expand GmbH', primarycontactid: { fullname: 'Jana Expand' } });
    expect(res.body.regardingobjectid_contact_phonecall).toBeNull();
  });

  it(`collection-valued navigation with nested $select, $filter, $orderby and $top (${DOCS}join-tables)`, async () => {
    const rows = await f.client.retrieveMultiple<Record<string, unknown>>({
      collection: 'phonecalls', filter: `activityid eq ${callId}`, select: ['subject'],
      expand: [{ property: 'phonecall_activity_parties', select: ['participationtypemask', '_partyid_value'], filter: 'participationtypemask eq 2', orderBy: ['_partyid_value desc'], top: 1 }],
    });
    const parties = rows.value[0]?.['phonecall_activity_parties'] as Record<string, unknown>[];
    expect(parties).toHaveLength(1);
    expect(parties[0]?.['participationtypemask']).toBe(2);
    expect(parties[0]?.['_partyid_value']).toBe([accountId, contactId].sort().reverse()[0]);
  });

  it(`refuses what Dataverse refuses: $filter on a single-valued property, $top with a nested $expand, unknown navigation, more than 15 expansions (${DOCS}join-tables)`, async () => {
    const single = await f.raw(`accounts?$expand=primarycontactid($filter=firstname eq 'x')`);
    const nested = await f.raw(`phonecalls?$expand=phonecall_activity_parties($top=1;$expand=partyid_contact($select=fullname))`);
    const unknown = await f.raw('accounts?$expand=nosuchnavigation');
    const many = await f.raw(`accounts?$expand=${Array.from({ length: 16 }, () => 'primarycontactid').join(',')}`);
    const options = await Promise.all(['$skip=1', '$count=true', '$levels=2'].map((o) => f.raw(`phonecalls?$expand=phonecall_activity_parties(${o})`)));
    for (const r of [single, nested, unknown, many, ...options]) expect(r.status).toBe(400);
    expect(unknown.body.error.message).toContain("Could not find a property named 'nosuchnavigation'");
  });
});

describe('$expand and privileges', () => {
  it('the caller needs Read on every expanded table: an agent with only TapiInterface User expands the contact, not the business unit', async () => {
    // The seeded agents also hold a customer's Salesperson role (which reads business units):
    // take it away through the Web API, as an admin would, so only our role is left.
    const anna = user(f.dv, 'aschmidt');
    const salesperson = [...f.dv.store.all('role')].find((r) => r['name'] === 'Salesperson');
    const held = [...f.dv.store.all('systemuserroles')].some((r) => r['systemuserid'] === anna.systemuserid && r['roleid'] === salesperson?.['roleid']);
    expect(held).toBe(true);
    const removed = await f.raw(`systemusers(${anna.systemuserid})/systemuserroles_association(${String(salesperson?.['roleid'])})/$ref`, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    const agent = api(f.dv, await userToken(f.dv, 'aschmidt'));
    const contact = await agent(`accounts(${accountId})?$select=name&$expand=primarycontactid($select=fullname)`);
    expect(contact.status).toBe(200);
    expect(contact.body.primarycontactid.fullname).toBe('Jana Expand');
    const unit = await agent(`accounts(${accountId})?$select=name&$expand=owningbusinessunit($select=name)`);
    expect(unit.status).toBe(403);
    expect(unit.body.error.code).toBe('0x80040220');
    expect(unit.body.error.message).toContain('prvReadBusinessUnit');
    const back = await f.raw(`systemusers(${anna.systemuserid})/systemuserroles_association/$ref`, { method: 'POST', body: { '@odata.id': `${f.dv.webApiUrl}roles(${String(salesperson?.['roleid'])})` } });
    expect(back.status).toBe(204);
  });
});

describe('counting', () => {
  it(`/$count answers a plain-text number, with $filter (${DOCS}count-rows)`, async () => {
    const all = await f.client.count({ collection: 'accounts' });
    const filtered = await f.client.count({ collection: 'accounts', filter: "name eq 'Expand GmbH'" });
    expect(filtered).toBe(1);
    const res = await fetch(`${f.dv.webApiUrl}accounts/$count`, { headers: { Authorization: `Bearer ${await tokenOf()}` } });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe(String(all));
  });

  it(`$count=true and /$count stop at 5,000; the totalrecordcount annotations say whether there are more (${DOCS}count-rows)`, async () => {
    for (let i = 0; i < 5010; i += 1) {
      const id = randomUUID();
      f.dv.store.put('lead', id, { leadid: id, lastname: `Count ${i}`, subject: 'count test' });
    }
    const prefer = { Prefer: 'odata.include-annotations="Microsoft.Dynamics.CRM.totalrecordcount,Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded",odata.maxpagesize=3' };
    const counted = await f.raw("leads?$select=lastname&$count=true&$filter=subject eq 'count test'", { headers: prefer });
    expect(counted.body['@odata.count']).toBe(5000);
    expect(counted.body['@Microsoft.Dynamics.CRM.totalrecordcount']).toBe(5000);
    expect(counted.body['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded']).toBe(true);
    expect(counted.body.value).toHaveLength(3);
    const small = await f.raw("accounts?$select=name&$count=true&$filter=name eq 'Expand GmbH'", { headers: prefer });
    expect(small.body['@Microsoft.Dynamics.CRM.totalrecordcount']).toBe(1);
    expect(small.body['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded']).toBe(false);
    const uncounted = await f.raw('accounts?$select=name', { headers: prefer });
    expect(uncounted.body['@Microsoft.Dynamics.CRM.totalrecordcount']).toBe(-1);
    expect(await f.client.count({ collection: 'leads', filter: "subject eq 'count test'" })).toBe(5000);
  });
});

const tokenOf = (): Promise<string> => Promise.resolve(f.token);

describe('parameter aliases', () => {
  it(`stand for values and property names in $filter and $orderby (${DOCS}overview#parameter-aliases)`, async () => {
    const byValue = await f.raw("accounts?$select=name&$filter=name eq @p1&@p1='Expand GmbH'");
    expect(byValue.body.value.map((r: { name: string }) => r.name)).toEqual(['Expand GmbH']);
    const byProperty = await f.raw("accounts?$select=name&$filter=@p1 eq @p2&$orderby=@p1 desc&@p1=name&@p2='Expand GmbH'");
    expect(byProperty.body.value).toHaveLength(1);
    const inList = await f.raw(`contacts?$select=lastname&$filter=Microsoft.Dynamics.CRM.In(PropertyName=@p1,PropertyValues=@p2)&@p1='lastname'&@p2=["Expand","O'Nobody"]`);
    expect(inList.body.value.map((r: { lastname: string }) => r.lastname)).toEqual(['Expand']);
    const missing = await f.raw('accounts?$filter=name eq @p9');
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('@p9');
  });
});

describe('what the simulator refuses (listed as known differences in docs/simulated-dataverse.md)', () => {
  it('related-column filters, column comparison, lambda operators and other query functions are a 400, never a wrong answer', async () => {
    for (const filter of ["primarycontactid/fullname eq 'Jana Expand'", 'firstname eq lastname', "contact_customer_accounts/any(c:c/firstname eq 'x')", "Microsoft.Dynamics.CRM.Between(PropertyName='numberofemployees',PropertyValues=[\"5\",\"2000\"])"]) {
      const res = await f.raw(`accounts?$select=name&$filter=${encodeURIComponent(filter)}`);
      expect(res.status).toBe(400);
    }
  });
});

describe('annotations on a single-record read', () => {
  let appTokenValue = '';
  beforeAll(async () => {
    appTokenValue = await appToken(f.dv);
  });

  it('answer with Preference-Applied, and format date-times in the user\'s time zone and language (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/select-columns#formatted-values)', async () => {
    const agent = user(f.dv, 'aschmidt');
    // usersettings of the seeded agents: German (1031), W. Europe Standard Time (110).
    const asAgent = f.clientWith({ impersonate: agent.systemuserid, onTokenRefresh: () => Promise.resolve(appTokenValue) });
    const id = await asAgent.create({ collection: 'phonecalls', data: { subject: 'tz', scheduledstart: '2025-01-15T12:00:00Z', scheduledend: '2025-07-15T12:00:00Z' } }) as string;
    const read = await f.appRaw(`phonecalls(${id})?$select=scheduledstart,scheduledend`, { headers: { Prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"', MSCRMCallerID: agent.systemuserid } });
    expect(read.headers.get('preference-applied')).toBe('odata.include-annotations="OData.Community.Display.V1.FormattedValue"');
    expect(read.body['scheduledstart@OData.Community.Display.V1.FormattedValue']).toBe('15.01.2025 13:00');
    expect(read.body['scheduledend@OData.Community.Display.V1.FormattedValue']).toBe('15.07.2025 14:00');
    // The same instants for a user in Eastern Standard Time (35) with English (1033).
    const settings = f.dv.store.get('usersettings', agent.systemuserid);
    f.dv.store.put('usersettings', agent.systemuserid, { ...settings, uilanguageid: 1033, timezonecode: 35 });
    const english = await asAgent.retrieve<Record<string, unknown>>({ collection: 'phonecalls', key: id, select: ['scheduledstart', 'scheduledend'], includeAnnotations: 'OData.Community.Display.V1.FormattedValue' });
    expect(english['scheduledstart@OData.Community.Display.V1.FormattedValue']).toBe('1/15/2025 7:00 AM');
    expect(english['scheduledend@OData.Community.Display.V1.FormattedValue']).toBe('7/15/2025 8:00 AM');
    // The value itself stays UTC (dynamics-web-api turns it into a Date).
    expect(new Date(english['scheduledstart'] as string).toISOString()).toBe('2025-01-15T12:00:00.000Z');
    f.dv.store.put('usersettings', agent.systemuserid, settings ?? {});
  });
});

describe('change tracking', () => {
  const CT = 'https://learn.microsoft.com/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems';
  it(`the first answer has the set's context, the delta answer the /$delta context; /$count counts changes (${CT})`, async () => {
    const first = await f.client.retrieveMultiple<Record<string, unknown>>({ collection: 'contacts', select: ['lastname'], trackChanges: true });
    expect(String(first['@odata.context'])).toMatch(/\$metadata#contacts\(lastname\)$/);
    const deltaLink = String(first.oDataDeltaLink ?? first['@odata.deltaLink']);
    expect(deltaLink).toContain('$deltatoken=');
    await f.client.create({ collection: 'contacts', data: { lastname: 'Delta one' } });
    await f.client.create({ collection: 'contacts', data: { lastname: 'Delta two' } });
    const delta = await f.raw(deltaLink);
    expect(delta.body['@odata.context']).toMatch(/\$metadata#contacts\(lastname\)\/\$delta$/);
    expect(delta.body.value.map((r: { lastname: string }) => r.lastname)).toEqual(['Delta one', 'Delta two']);
    const token = new URL(deltaLink).searchParams.get('$deltatoken') ?? '';
    const count = await fetch(`${f.dv.webApiUrl}contacts/$count?$deltatoken=${encodeURIComponent(token)}`, { headers: { Authorization: `Bearer ${await tokenOf()}` } });
    expect(await count.text()).toBe('2');
  });

  it(`refuses $filter, $orderby, $expand and $top with the documented message (${CT})`, async () => {
    for (const [option, query] of [['filter', "$filter=lastname eq 'x'"], ['orderby', '$orderby=lastname'], ['expand', '$expand=parentcustomerid_account'], ['top', '$top=1']] as const) {
      const res = await f.raw(`contacts?$select=lastname&${query}`, { headers: { Prefer: 'odata.track-changes' } });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(`The "${option}" query parameter isn't supported when Change Tracking is enabled.`);
    }
    const viaClient = await failure(f.client.retrieveMultiple({ collection: 'contacts', select: ['lastname'], filter: "lastname eq 'x'", trackChanges: true }));
    expect(viaClient.status).toBe(400);
  });
});
