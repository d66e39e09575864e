// Fault case 6: the daily full refresh of the phone directory across both
// daylight-saving changes of Europe/Berlin, through the running manager —
// `startManager` as `crm-tapi manager` composes it, with the real simulated
// Dataverse over HTTP — on a virtual clock given to the manager as its one
// clock (src/manager/clock.ts: mono, wall and the wall-time timers all move
// together). `RefreshTelephoneNumberTime = 2:30` is the hard case: on the
// spring Sunday 2:30 does not exist, on the autumn Sunday it happens twice.
// Exactly one full refresh per local day, none skipped or doubled, the
// incremental refresh every 6 h beside it; a clock jumping months ahead
// catches up once, not once per missed day.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../simulator/dataverse/index.ts';
import type { EpochMs, ManagerClock, MonoMs } from '../../src/manager/clock.ts';
import { validateManagerConfig } from '../../src/manager/config/load.ts';
import { startManager, type RunningManager } from '../../src/manager/manager.ts';
import { VirtualClock } from '../dataverse/directory/virtual-clock.ts';
import { sleep } from './support/load.ts';

const SERVICE = { sam: 'CONTOSO\\svc-crmtapi', password: 'Test-only-svc-crmtapi-1!' };
const START = Date.parse('2026-03-26T12:00:00Z');
const berlin = (ms: number): string => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(ms);

let dv: SimulatedDataverse;
let manager: RunningManager;
let dir: string;
const virtual = new VirtualClock(START);
/** The manager's one clock, virtual: the monotonic clock counts from the start. */
const clock: ManagerClock = { mono: () => (virtual.now() - START) as MonoMs, wall: () => virtual.now() as EpochMs, wallTimers: virtual };

/** What the manager's directory reports as run, by kind (virtual start instants). */
const runs = { full: [] as number[], incremental: [] as number[] };
const noted = { full: -1, incremental: -1 };

/** After a timer fired: waits until its refresh is over, then notes what ran (on the real clock: the refresh is real HTTP). */
async function settle(): Promise<void> {
  for (let quiet = 0; quiet < 3; ) {
    await sleep(15);
    quiet = manager.directory.status().refreshing === undefined ? quiet + 1 : 0;
  }
  const { last } = manager.directory.status();
  for (const kind of ['full', 'incremental'] as const) {
    const at = last[kind]?.startedAt;
    if (at !== undefined && at !== noted[kind]) {
      noted[kind] = at;
      runs[kind].push(at);
    }
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crm-tapi-dst-'));
  dv = await startSimulatedDataverse({ port: 0 });
  const config = validateManagerConfig({
    CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password,
    ConnectorKeys: ['dst-connector-key-4f1e9a2b7c'], DataDir: join(dir, 'manager'), LogLevel: 3, CrmRetryMaxDelay: 1, BindAddress: '127.0.0.1',
    TimeZone: 'Europe/Berlin', RefreshTelephoneNumberTime: '2:30', RefreshTelephoneNumberIntervall: 6 * 3600,
  }, 'dst', { baseDir: dir });
  manager = await startManager({ ...config, CrmTapiPort: 0, CrmTapiWebSocketPort: 0 }, {
    logger: pino({ level: 'warn' }), version: '0.1.0-dst', crmFirstDelayMs: 50, clock,
  });
  await settle(); // the first build at the start (no snapshot yet)
}, 180_000);

afterAll(async () => {
  await manager?.stop();
  await dv?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the daily refresh across both DST changes on a virtual clock (case 6)', () => {
  it('spring forward (Sunday 29 March 2026): one full refresh per local day, 2:30 skipped runs once at 3:30', async () => {
    expect(runs.full).toEqual([START]); // the build at the start
    await virtual.advanceTo(Date.parse('2026-04-01T12:00:00Z'), settle);
    expect(runs.full.slice(1).map((at) => new Date(at).toISOString())).toEqual([
      '2026-03-27T01:30:00.000Z', // Fri 02:30 CET
      '2026-03-28T01:30:00.000Z', // Sat 02:30 CET
      '2026-03-29T01:30:00.000Z', // Sun: 02:30 does not exist; once, at 03:30 CEST
      '2026-03-30T00:30:00.000Z', // Mon 02:30 CEST
      '2026-03-31T00:30:00.000Z',
      '2026-04-01T00:30:00.000Z',
    ]);
    console.info(`dst spring: full refreshes at ${runs.full.map(berlin).join(', ')}; ${runs.incremental.length} incremental`);
    // The incremental refresh went on beside it: every 6 h from the end of the previous run, full ones included (18 in this window).
    expect(runs.incremental.length).toBeGreaterThanOrEqual(14);
    expect(runs.incremental.length).toBeLessThanOrEqual(26);
  }, 180_000);

  it('a clock jumping months ahead catches up once, not once per missed day', async () => {
    const before = runs.full.length;
    const jump = Date.parse('2026-10-22T12:00:00Z');
    await virtual.jumpTo(jump, settle);
    expect(runs.full.slice(before)).toEqual([jump]);
  }, 60_000);

  it('fall back (Sunday 25 October 2026): one full refresh per local day, the repeated 2:30 runs once', async () => {
    const before = runs.full.length;
    await virtual.advanceTo(Date.parse('2026-10-29T12:00:00Z'), settle);
    expect(runs.full.slice(before).map((at) => new Date(at).toISOString())).toEqual([
      '2026-10-23T00:30:00.000Z', // Fri 02:30 CEST
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // Sun: the first 02:30 (CEST); not again at 02:30 CET
      '2026-10-26T01:30:00.000Z', // Mon 02:30 CET
      '2026-10-27T01:30:00.000Z',
      '2026-10-28T01:30:00.000Z',
      '2026-10-29T01:30:00.000Z',
    ]);
    console.info(`dst fall: full refreshes at ${runs.full.slice(before).map(berlin).join(', ')}`);
    // The local days of all full refreshes are distinct: never two on one day.
    const days = runs.full.slice(1).map((at) => berlin(at).slice(0, 10));
    expect(new Set(days).size).toBe(days.length);
  }, 180_000);
});
