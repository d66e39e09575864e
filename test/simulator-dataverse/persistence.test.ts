import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupServer } from 'msw/node';
import { createSimulatedDataverseHandlers } from '../../simulator/dataverse/index.ts';
import { api, appToken, SEED_DIR, startSim } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-simdv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite persistence', () => {
  it('a restarted simulator on the same file keeps records, row versions and deletions', async () => {
    const file = join(dir, 'dv.sqlite');
    const first = await startSim({ sqlitePath: file });
    const call = api(first, await appToken(first));
    const made = await call('phonecalls', { method: 'POST', body: { subject: 'überlebt den Neustart' }, headers: { Prefer: 'return=representation' } });
    const track = await call('contacts?$select=fullname', { headers: { Prefer: 'odata.track-changes' } });
    const deltaLink = track.body['@odata.deltaLink'] as string;
    const contact = track.body.value[0].contactid as string;
    first.store.remove('contact', contact, first.clock.now());
    const counts = { phonecall: first.store.count('phonecall'), contact: first.store.count('contact') };
    await first.close();

    const second = await startSim({ sqlitePath: file, port: 0 });
    expect(second.store.count('phonecall')).toBe(counts.phonecall);
    expect(second.store.count('contact')).toBe(counts.contact);
    const call2 = api(second, await appToken(second));
    const again = await call2(`phonecalls(${made.body.activityid})?$select=subject,versionnumber`);
    expect(again.body.subject).toBe('überlebt den Neustart');
    expect(again.body.versionnumber).toBe(made.body.versionnumber);
    const delta = await call2(deltaLink.replace(/^http:\/\/127\.0\.0\.1:\d+/, second.url));
    expect(delta.body.value).toEqual([expect.objectContaining({ id: contact, reason: 'deleted' })]);
    await second.close();
  });

  it('a bad SQLite path is a SimulatorError', async () => {
    await expect(startSim({ sqlitePath: join(dir, 'no', 'such', 'dir', 'x.sqlite') })).rejects.toMatchObject({ code: 'sim-persistence-failed' });
  });
});

describe('in-process handlers (msw setupServer)', () => {
  it('answers fetch without a port, with the same rules', async () => {
    const { state, handlers } = await createSimulatedDataverseHandlers({ seedDir: SEED_DIR });
    const server = setupServer(...handlers);
    server.listen({ onUnhandledRequest: 'error' });
    try {
      const origin = 'https://contoso.crm4.dynamics.com';
      const app = state.directory.applications[0];
      const tokenRes = await fetch(`${origin}/${state.directory.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app?.clientId ?? '', client_secret: app?.secrets[0] ?? '', scope: `${origin}/.default` }) });
      const { access_token: token } = (await tokenRes.json()) as { access_token: string };
      const who = await fetch(`${origin}/api/data/v9.2/WhoAmI`, { headers: { Authorization: `Bearer ${token}` } });
      expect(who.status).toBe(200);
      expect(((await who.json()) as { UserId: string }).UserId).toBe(app?.systemuserid);
      const otherOrg = await fetch('https://fabrikam.crm4.dynamics.com/api/data/v9.2/WhoAmI', { headers: { Authorization: `Bearer ${token}` } });
      expect(otherOrg.status).toBe(404);
      state.faults.loseResponse({ times: 1 });
      await expect(fetch(`${origin}/api/data/v9.2/phonecalls`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{"subject":"in-process lost"}' })).rejects.toThrow();
      expect([...state.store.all('phonecall')].some((p) => p['subject'] === 'in-process lost')).toBe(true);
    } finally {
      server.close();
      state.store.close();
    }
  });
});
