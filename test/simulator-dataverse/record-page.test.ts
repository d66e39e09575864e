// The record page main.aspx over HTTP, without a browser: what the server
// puts in the page (metadata only, never the record's data — the page reads
// that through the Web API with the user's token), the new-record form, the
// sign-in return, and the refusals. The browser side is in
// test/browser/panel.browser.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../simulator/dataverse/index.ts';
import { WEB_CLIENT_ID } from '../../simulator/dataverse/record-page.ts';
import { startSim } from './support.ts';

describe('simulated Dataverse record page (main.aspx)', () => {
  let dv: SimulatedDataverse;
  beforeAll(async () => {
    dv = await startSim();
  });
  afterAll(async () => {
    await dv.close();
  });

  const get = async (q: string, prefix = '') => {
    const res = await fetch(`${dv.url}${prefix}/main.aspx?${q}`);
    return { status: res.status, html: await res.text() };
  };

  it('serves a record page that names the Web API set and columns but carries none of the record\'s data', async () => {
    const contact = [...dv.store.all('contact')].find((c) => typeof c.telephone1 === 'string' && c.telephone1 !== '')!;
    const r = await get(`etn=contact&id={${String(contact.contactid).toUpperCase()}}&pagetype=entityrecord`);
    expect(r.status).toBe(200);
    expect(r.html).toContain('"set":"contacts"');
    expect(r.html).toContain('"name":"fullname"');
    expect(r.html).toContain('"telephone1"');
    expect(r.html).toContain(`"id":"${String(contact.contactid)}"`);
    expect(r.html).toContain(WEB_CLIENT_ID);
    expect(r.html).not.toContain(String(contact.fullname));
    expect(r.html).not.toContain(String(contact.telephone1));
    // Under the organisation's path too, as OnPremise URLs have it.
    expect((await get(`etn=contact&id=${String(contact.contactid)}`, `/${dv.orgName}`)).status).toBe(200);
  });

  it('the new-record form lists its prefilled values, escaped', async () => {
    const extra = new URLSearchParams({ phonenumber: '+44 20 7946 0321', subject: '<b>call</b>' }).toString();
    const r = await get(`etn=phonecall&pagetype=entityrecord&extraqs=${encodeURIComponent(extra)}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain('data-field="phonenumber">+44 20 7946 0321<');
    expect(r.html).not.toContain('<b>call</b>');
  });

  it('refuses an unknown table and an id that is not one, with a 404 page', async () => {
    const a = await get('etn=nosuchtable&id=00000000-0000-4000-8000-000000000001');
    expect(a.status).toBe(404);
    expect(a.html).toContain('There is no table &#34;nosuchtable&#34;.');
    const b = await get('etn=contact&id=%3Cscript%3E');
    expect(b.status).toBe(404);
    expect(b.html).not.toContain('<script>');
  });

  it('the sign-in\'s return (?code=) is a page that redeems the code, and the web client\'s redirect URI is registered', async () => {
    const r = await get('code=abc&state=record');
    expect(r.status).toBe(200);
    expect(r.html).toContain('grant_type');
    const authorize = `${dv.url}/${dv.directory.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: WEB_CLIENT_ID, response_type: 'code', redirect_uri: `${dv.url}/main.aspx` })}`;
    const picker = await fetch(authorize);
    expect(picker.status).toBe(200);
    expect(await picker.text()).toContain('Pick an account');
  });
});
