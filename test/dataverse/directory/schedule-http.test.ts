// The daily full rebuild across the Europe/Berlin daylight-saving changes,
// driven on a virtual clock while every refresh goes over real HTTP to the
// simulated Dataverse: exactly once a day, never overlapping the interval
// refresh, lookups answered throughout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import type { Connection } from '../../../src/dataverse/connection.ts';
import { DataverseDirectorySource } from '../../../src/dataverse/directory/dataverse-source.ts';
import { dialingKeys } from '../../../src/dataverse/directory/dialing-keys.ts';
import { PhoneDirectory, type RefreshKind } from '../../../src/dataverse/directory/directory.ts';
import { DEFAULT_PHONE_FIELDS } from '../../../src/dataverse/directory/phone-fields.ts';
import { RefreshScheduler } from '../../../src/dataverse/directory/scheduler.ts';
import type { DirectorySource } from '../../../src/dataverse/directory/source.ts';
import { effectiveSettings } from '../../../src/dialing/index.ts';
import { onPremise, startSim } from './sim-fixture.ts';
import { VirtualClock } from './virtual-clock.ts';

const settings = effectiveSettings({ countryCode: '49', areaCode: '341', internationalPrefix: '00', nationalPrefix: '0', outsideLinePrefix: '0', maxInternalLength: 3 });
if (!settings.ok) throw settings.error;
const keys = dialingKeys(settings.settings);

let dv: SimulatedDataverse;
let conn: Connection;
beforeAll(async () => {
  dv = await startSim();
  conn = await onPremise(dv);
});
afterAll(async () => {
  await conn.client.close();
  await dv.close();
});

const berlin = (ms: number): string => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin', dateStyle: 'short', timeStyle: 'short' }).format(ms);

describe('daily rebuild over HTTP on a virtual clock', () => {
  for (const [label, from, to, dues] of [
    ['spring: Sunday 30 March 2025', '2025-03-28T12:00:00Z', '2025-04-01T12:00:00Z', ['2025-03-29T01:30:00Z', '2025-03-30T01:30:00Z', '2025-03-31T00:30:00Z', '2025-04-01T00:30:00Z']],
    ['autumn: Sunday 26 October 2025', '2025-10-24T12:00:00Z', '2025-10-28T12:00:00Z', ['2025-10-25T00:30:00Z', '2025-10-26T00:30:00Z', '2025-10-27T01:30:00Z', '2025-10-28T01:30:00Z']],
  ] as const) {
    it(`${label}: 2:30 rebuilds exactly once a day`, async () => {
      const clock = new VirtualClock(Date.parse(from));
      const inner = new DataverseDirectorySource(conn.client, { pageSize: 25 });
      const runs: { kind: RefreshKind; at: number }[] = [];
      const answered: number[] = [];
      let active = 0;
      let maxActive = 0;
      const probe = keys.crmKey('+49 (0) 69 2 77 88 90')!; // a seeded contact's number
      const source: DirectorySource = {
        readAll: async (spec, onPage) => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          try {
            return await inner.readAll(spec, (records) => {
              onPage(records);
              answered.push(directory.lookupKey(probe).length);
            });
          } finally {
            active -= 1;
          }
        },
        readChanges: async (spec, cursor, onPage) => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          try {
            return await inner.readChanges(spec, cursor, onPage);
          } finally {
            active -= 1;
          }
        },
      };
      const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys, source, now: () => clock.now() });
      const scheduler = new RefreshScheduler({
        clock,
        refresh: async (kind) => {
          runs.push({ kind, at: clock.now() });
          await directory.refresh(kind);
        },
        settings: () => ({ intervalSeconds: 2 * 3600, dailyTime: '2:30', timeZone: 'Europe/Berlin' }),
      });
      scheduler.start('full');
      await scheduler.idle();
      answered.length = 0; // the very first build starts empty; from now on the probe must always answer
      const end = Date.parse(to);
      while ((clock.nextDue() ?? Infinity) <= end) await clock.advanceTo(clock.nextDue()!, () => scheduler.idle());
      await scheduler.stop();

      const fulls = runs.filter((r) => r.kind === 'full').slice(1);
      expect(fulls.map((r) => new Date(r.at).toISOString().replace('.000', '')), fulls.map((r) => berlin(r.at)).join(', ')).toEqual(dues);
      expect(runs.filter((r) => r.kind === 'incremental').length).toBeGreaterThanOrEqual(40);
      expect(maxActive).toBe(1);
      expect(answered.length).toBeGreaterThan(10);
      expect(answered.every((n) => n >= 1)).toBe(true);
    });
  }
});
