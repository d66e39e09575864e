// The phone directory against the simulated Dataverse over real HTTP: paging,
// change tracking with changes and deletions, modifiedon polling where change
// tracking is off, expired delta tokens, token expiry mid-refresh, restart
// from the snapshot.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllableClock, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import type { Connection } from '../../../src/dataverse/connection.ts';
import { DataverseDirectorySource } from '../../../src/dataverse/directory/dataverse-source.ts';
import { dialingKeys } from '../../../src/dataverse/directory/dialing-keys.ts';
import { PhoneDirectory } from '../../../src/dataverse/directory/directory.ts';
import { DEFAULT_PHONE_FIELDS } from '../../../src/dataverse/directory/phone-fields.ts';
import type { DirectorySource } from '../../../src/dataverse/directory/source.ts';
import { effectiveSettings, type EffectiveDialingSettings } from '../../../src/dialing/index.ts';
import { crmAdmin, internalIfd, onPremise, seedWithoutChangeTracking, startSim } from './sim-fixture.ts';

const settings = effectiveSettings({ countryCode: '49', areaCode: '341', baseNumber: '4711', internationalPrefix: '00', nationalPrefix: '0', outsideLinePrefix: '0', maxInternalLength: 3 });
if (!settings.ok) throw settings.error;
const DEFAULT: EffectiveDialingSettings = settings.settings;
const keys = dialingKeys(DEFAULT);

const tmp = mkdtempSync(join(tmpdir(), 'directory-http-'));
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  rmSync(tmp, { recursive: true, force: true });
});

async function sim(options: Parameters<typeof startSim>[0] = {}): Promise<SimulatedDataverse> {
  const dv = await startSim(options);
  closers.push(() => dv.close());
  return dv;
}
async function client(connection: Promise<Connection>): Promise<Connection> {
  const c = await connection;
  closers.push(() => c.client.close());
  return c;
}

/** Every (entity, id, key) the seed holds for the default phone fields, computed from the simulator's store. */
function expectedKeys(dv: SimulatedDataverse): { entity: string; id: string; key: string }[] {
  const out: { entity: string; id: string; key: string }[] = [];
  for (const { entity, fields } of DEFAULT_PHONE_FIELDS) {
    for (const record of dv.store.all(entity)) {
      for (const field of fields) {
        const typed = record[field];
        const key = typeof typed === 'string' ? keys.crmKey(typed) : undefined;
        if (key !== undefined) out.push({ entity, id: String(record[`${entity}id`]), key });
      }
    }
  }
  return out;
}

function webApiGets(dv: SimulatedDataverse, fragment: string): number {
  return dv.requestLog.filter((r) => r.method === 'GET' && decodeURIComponent(r.path).includes(fragment)).length;
}

describe('phone directory over HTTP', () => {
  let dv: SimulatedDataverse;
  let conn: Connection;
  let admin: Connection;
  beforeAll(async () => {
    dv = await sim();
    conn = await client(onPremise(dv));
    admin = await client(crmAdmin(dv));
  });

  it('builds from every page of every entity and finds each seeded number', async () => {
    const source = new DataverseDirectorySource(conn.client, { pageSize: 7 });
    const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys, source });
    const before = dv.requestLog.length;
    const report = await directory.refresh('full');
    const records = ['account', 'contact', 'lead'].reduce((n, e) => n + dv.store.count(e), 0);
    expect(report.upserts).toBe(records);
    // Seven per page: more requests than entities proves the nextLinks were followed.
    expect(dv.requestLog.length - before).toBeGreaterThanOrEqual(Math.ceil(records / 7));
    const expected = expectedKeys(dv);
    expect(expected.length).toBeGreaterThan(50);
    for (const { entity, id, key } of expected) {
      expect(directory.lookupKey(key).some((e) => e.entity === entity && e.id === id), `${entity} ${id} ${key}`).toBe(true);
    }
    expect(directory.status().cursors).toEqual({ account: 'delta', contact: 'delta', lead: 'delta' });
  });

  it('an incremental refresh sees a changed and a deleted number', async () => {
    const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys, source: new DataverseDirectorySource(conn.client, { pageSize: 50 }) });
    await directory.refresh('full');
    const [changed, deleted] = expectedKeys(dv).filter((k) => k.entity === 'contact' && directory.lookupKey(k.key).length === 1);
    if (!changed || !deleted || changed.id === deleted.id) throw new Error('seed has too few unique contact numbers');
    await admin.client.update('contacts', changed.id, { telephone1: '+49 341 999 000 1', mobilephone: null, telephone2: null, telephone3: null, business2: null, home2: null, assistantphone: null });
    await admin.client.delete('contacts', deleted.id);
    const deltas = webApiGets(dv, 'deltatoken');
    const report = await directory.refresh('incremental');
    expect(webApiGets(dv, 'deltatoken')).toBeGreaterThan(deltas);
    expect(report).toMatchObject({ upserts: 1, deletions: 1, resynced: [] });
    expect(directory.lookupKey(changed.key)).toEqual([]);
    expect(directory.lookupKey(deleted.key)).toEqual([]);
    expect(directory.lookup('0341 9990001', DEFAULT)).toMatchObject([{ entity: 'contact', id: changed.id, field: 'telephone1' }]);
  });

  it('a restarted directory answers from its snapshot before talking to the CRM, then continues with delta links', async () => {
    const path = join(tmp, 'restart.snapshot');
    const source = new DataverseDirectorySource(conn.client);
    await new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys, source, snapshotPath: path }).refresh('full');
    const restarted = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys, source, snapshotPath: path });
    const before = dv.requestLog.length;
    expect(await restarted.loadSnapshot()).toBe(true);
    expect(dv.requestLog.length).toBe(before);
    const sample = expectedKeys(dv)[0]!;
    expect(restarted.lookupKey(sample.key).some((e) => e.id === sample.id)).toBe(true);
    const report = await restarted.refresh('incremental');
    expect(report.resynced).toEqual([]);
  });
});

describe('phone directory over HTTP: change tracking off and expired tokens', () => {
  it('falls back to modifiedon polling where change tracking is off', async () => {
    const clock = new ControllableClock();
    const dv = await sim({ seedDir: seedWithoutChangeTracking(['lead']), clock });
    const conn = await client(onPremise(dv));
    const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys, source: new DataverseDirectorySource(conn.client, { pageSize: 20 }) });
    await directory.refresh('full');
    expect(directory.status().cursors).toEqual({ account: 'delta', contact: 'delta', lead: 'modifiedon' });
    const lead = [...dv.store.all('lead')][0]!;
    clock.advance(60_000); // modified after the newest modifiedon seen
    await (await client(crmAdmin(dv))).client.update('leads', String(lead.leadid), { telephone1: '0341 8887776' });
    await directory.refresh('incremental');
    expect(webApiGets(dv, 'modifiedon ge')).toBeGreaterThan(0);
    expect(directory.lookup('0341 8887776', DEFAULT)).toMatchObject([{ entity: 'lead', id: String(lead.leadid) }]);
  });

  it('reads an entity completely when its delta token expired, and drops what vanished meanwhile', async () => {
    const clock = new ControllableClock();
    const dv = await sim({ changeTrackingRetentionSeconds: 3600, clock });
    const conn = await client(onPremise(dv));
    const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys, source: new DataverseDirectorySource(conn.client) });
    await directory.refresh('full');
    const gone = expectedKeys(dv).find((k) => k.entity === 'account' && directory.lookupKey(k.key).length === 1)!;
    await (await client(crmAdmin(dv))).client.delete('accounts', gone.id);
    clock.advance(2 * 3600_000);
    const report = await directory.refresh('incremental');
    expect(report.resynced).toEqual(['account', 'contact', 'lead']);
    expect(report.deletions).toBe(1);
    expect(directory.lookupKey(gone.key)).toEqual([]);
    expect(directory.status().cursors).toEqual({ account: 'delta', contact: 'delta', lead: 'delta' });
  });

  it('survives a token expiry in the middle of a full build (one renewal, every page read)', async () => {
    const dv = await sim();
    const conn = await client(internalIfd(dv));
    const inner = new DataverseDirectorySource(conn.client, { pageSize: 5 });
    let pages = 0;
    // Expire every token after the second page: the next page gets a 401 and the client renews once.
    const source: DirectorySource = {
      readAll: (spec, onPage) => inner.readAll(spec, (records) => {
        pages += 1;
        if (pages === 2) dv.faults.expireTokensNow();
        onPage(records);
      }),
      readChanges: (spec, cursor, onPage) => inner.readChanges(spec, cursor, onPage),
    };
    const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys, source });
    const report = await directory.refresh('full');
    expect(report.upserts).toBe(['account', 'contact', 'lead'].reduce((n, e) => n + dv.store.count(e), 0));
    const after = dv.requestLog.filter((r) => r.path.includes('/api/data/'));
    expect(after.filter((r) => r.status === 401)).toHaveLength(1);
  });
});
