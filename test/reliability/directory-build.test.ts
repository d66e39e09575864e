// Fault case 5: a full build of the phone directory while the CRM changes
// under it, over real HTTP to the simulated Dataverse with small pages (the
// production PhoneDirectory and DataverseDirectorySource; keyset paging as
// Dataverse pages). Between page 1 and page 2 of the contacts an admin changes
// the number of a contact already read, deletes another one already read and
// creates one whose id sorts before the page cursor (paging can no longer see
// it), and page 2 fails once with 503. While the build runs, lookups are
// answered from the previous directory, whole; the failing page is asked
// again; and after the build and the next incremental refresh the directory
// equals the CRM's final state: nothing stale, missing or duplicated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../simulator/dataverse/index.ts';
import type { Connection } from '../../src/dataverse/connection.ts';
import { DataverseDirectorySource } from '../../src/dataverse/directory/dataverse-source.ts';
import { dialingKeys } from '../../src/dataverse/directory/dialing-keys.ts';
import { PhoneDirectory } from '../../src/dataverse/directory/directory.ts';
import { DEFAULT_PHONE_FIELDS } from '../../src/dataverse/directory/phone-fields.ts';
import type { DirectorySource, SourceRecord } from '../../src/dataverse/directory/source.ts';
import { effectiveSettings } from '../../src/dialing/index.ts';
import { onPremise, startSim } from '../dataverse/directory/sim-fixture.ts';
import { WebApiUser } from '../e2e/support/webapi.ts';

const settings = effectiveSettings({ countryCode: '49', areaCode: '341', internationalPrefix: '00', nationalPrefix: '0', outsideLinePrefix: '0', maxInternalLength: 3 });
if (!settings.ok) throw settings.error;
const keys = dialingKeys(settings.settings);
const key = (number: string): string => keys.crmKey(number) as string;
/** An id that sorts before every seeded contact id: created after page 1, paging never reaches it. */
const EARLY_ID = '00000000-0000-4000-8000-00000000c0de';

let dv: SimulatedDataverse;
let conn: Connection;
let admin: WebApiUser;

beforeAll(async () => {
  dv = await startSim({ faultSeed: 5 });
  conn = await onPremise(dv);
  admin = await WebApiUser.signIn(dv, 'petra');
});
afterAll(async () => {
  await conn?.client.close();
  await dv?.close();
});

/** The production source with a hook after each page the directory took (the CRM changes "between pages"). */
function hooked(inner: DirectorySource, after: (entity: string, page: number, records: readonly SourceRecord[]) => Promise<void>): DirectorySource {
  return {
    readAll: (spec, onPage) => {
      let page = 0;
      return inner.readAll(spec, async (records) => {
        await onPage(records);
        page += 1;
        await after(spec.entity, page, records);
      });
    },
    readChanges: (spec, cursor, onPage) => inner.readChanges(spec, cursor, onPage),
    ...(inner.readSettled ? { readSettled: inner.readSettled.bind(inner) } : {}),
  };
}

const ids = (entries: readonly { id: string }[]): string[] => entries.map((e) => e.id).sort();

describe('full directory build while records change between pages (case 5)', () => {
  it('ends equal to the CRM after the next incremental refresh; the failing page is retried; no half-built directory is served', async () => {
    let edit: ((entity: string, page: number, records: readonly SourceRecord[]) => Promise<void>) | undefined;
    const source = hooked(new DataverseDirectorySource(conn.client, { pageSize: 5 }), async (entity, page, records) => edit?.(entity, page, records));
    const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys, source });
    await directory.refresh('full');
    const before = directory.status();
    expect(before.records).toBeGreaterThan(10);

    const seen: { changed?: SourceRecord; deleted?: SourceRecord; whileBuilding?: { changedOld: boolean; early: number; refreshing?: string } } = {};
    edit = async (entity, page, records) => {
      if (entity !== 'contact' || page !== 1) return;
      edit = undefined;
      const [changed, deleted] = records.filter((r) => typeof r.phones[0] === 'string' && r.phones[0] !== '');
      if (changed === undefined || deleted === undefined) throw new Error('page 1 has no two contacts with a business phone');
      seen.changed = changed;
      seen.deleted = deleted;
      await admin.update('contacts', changed.id, { telephone1: '+49 341 7770001' });
      await admin.call('DELETE', `contacts(${deleted.id})`);
      await admin.create('contacts', { contactid: EARLY_ID, firstname: 'Early', lastname: 'Bird', telephone1: '+49 341 7770002' });
      // The next page fails once (a gateway hiccup); the Web API client asks again.
      dv.faults.add({ kind: 'unavailable', times: 1, method: 'GET', path: '/contacts\\?.*skiptoken/' });
      // Meanwhile callers are identified from the previous directory, whole.
      const status = directory.status();
      seen.whileBuilding = { changedOld: directory.lookupKey(key(changed.phones[0] as string)).some((e) => e.id === changed.id), early: directory.lookupKey(key('+49 341 7770002')).length, ...(status.refreshing ? { refreshing: status.refreshing } : {}) };
    };
    await directory.refresh('full');
    expect(seen.whileBuilding).toEqual({ changedOld: true, early: 0, refreshing: 'full' });
    expect(dv.faults.fired.unavailable).toBe(1);
    const pages = dv.requestLog.filter((r) => r.method === 'GET' && /\/contacts\?.*skiptoken/.test(r.path));
    const failed = pages.findIndex((r) => r.status === 503);
    expect(failed).toBeGreaterThanOrEqual(0);
    expect(pages[failed + 1]).toMatchObject({ path: pages[failed]?.path, status: 200 }); // the same page, asked again

    await directory.refresh('incremental');

    // The CRM's final state, read by a directory built when nothing changed.
    const truth = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys, source: new DataverseDirectorySource(conn.client, { pageSize: 5 }) });
    await truth.refresh('full');
    const { changed, deleted } = seen as { changed: SourceRecord; deleted: SourceRecord };
    const probes = [
      key(changed.phones[0] as string), // the changed contact's old number: nobody now (unless another record has it)
      key('+49 341 7770001'), // its new number
      ...deleted.phones.filter((p): p is string => typeof p === 'string' && p !== '').map(key), // the deleted contact's numbers
      key('+49 341 7770002'), // the early contact
    ];
    for (const probe of probes) expect(ids(directory.lookupKey(probe)), probe).toEqual(ids(truth.lookupKey(probe)));
    expect(ids(directory.lookupKey(key('+49 341 7770001')))).toEqual([changed.id]);
    expect(ids(directory.lookupKey(key('+49 341 7770002')))).toEqual([EARLY_ID]);
    const { records, keys: keyCount, entries } = directory.status();
    expect({ records, keys: keyCount, entries }).toEqual({ records: truth.status().records, keys: truth.status().keys, entries: truth.status().entries });
    expect(records).toBe(before.records); // one created, one deleted
  }, 120_000);
});
