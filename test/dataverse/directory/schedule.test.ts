import { describe, expect, it } from 'vitest';
import { RefreshScheduler } from '../../../src/dataverse/directory/scheduler.ts';
import { nextDailyRun, parseDailyTime, validateSchedule, type ScheduleSettings } from '../../../src/dataverse/directory/schedule.ts';
import type { RefreshKind } from '../../../src/dataverse/directory/directory.ts';
import { VirtualClock } from './virtual-clock.ts';

const berlinDate = (ms: number): string => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin', dateStyle: 'short', timeStyle: 'short' }).format(ms);

describe('RefreshTelephoneNumberTime and friends', () => {
  it('parses H:MM with minute precision', () => {
    expect(parseDailyTime('4:00')).toEqual({ hour: 4, minute: 0 });
    expect(parseDailyTime('23:22')).toEqual({ hour: 23, minute: 22 });
    expect(parseDailyTime(' 04:02 ')).toEqual({ hour: 4, minute: 2 });
    for (const bad of ['24:00', '4:60', '4', '4:0', 'vier', '', '-1:00', '4:00:00']) {
      expect(() => parseDailyTime(bad), bad).toThrow(/RefreshTelephoneNumberTime: ".*" is not a time of day as H:MM/);
    }
  });

  it('validates the interval and the zone with precise messages', () => {
    const ok: ScheduleSettings = { intervalSeconds: 1800, dailyTime: '4:00', timeZone: 'Europe/Berlin' };
    expect(validateSchedule(ok)).toBe(ok);
    expect(() => validateSchedule({ ...ok, intervalSeconds: 0 })).toThrow('RefreshTelephoneNumberIntervall: 0 is not a whole number of seconds between 1 and 604800');
    expect(() => validateSchedule({ ...ok, intervalSeconds: 1.5 })).toThrow(/1.5 is not a whole number/);
    expect(validateSchedule({ ...ok, intervalSeconds: 604_800 }).intervalSeconds).toBe(604_800); // a week at most
    expect(() => validateSchedule({ ...ok, intervalSeconds: 604_801 })).toThrow(/604801 is not a whole number of seconds between 1 and 604800/);
    expect(() => validateSchedule({ ...ok, timeZone: 'Mars/Olympus' })).toThrow('time zone "Mars/Olympus" is not an IANA time zone (e.g. Europe/Berlin)');
  });

  it('runs a daily time skipped by the spring change once, after the gap, and a repeated one once', () => {
    const spring = nextDailyRun(Date.parse('2025-03-29T12:00:00Z'), '2:30', 'Europe/Berlin');
    expect(new Date(spring).toISOString()).toBe('2025-03-30T01:30:00.000Z'); // 03:30 CEST
    const autumn = nextDailyRun(Date.parse('2025-10-25T12:00:00Z'), '2:30', 'Europe/Berlin');
    expect(new Date(autumn).toISOString()).toBe('2025-10-26T00:30:00.000Z'); // first 02:30 (CEST)
    expect(new Date(nextDailyRun(autumn, '2:30', 'Europe/Berlin')).toISOString()).toBe('2025-10-27T01:30:00.000Z');
    expect(new Date(nextDailyRun(Date.parse('2025-10-25T12:00:00Z'), '4:00', 'America/New_York')).toISOString()).toBe('2025-10-26T08:00:00.000Z');
  });
});

/** A refresh that takes `durationMs` of virtual time and records what ran when. */
function recorder(clock: VirtualClock, durationMs: number) {
  const runs: { kind: RefreshKind; start: number; end: number }[] = [];
  let active = 0;
  let maxActive = 0;
  const refresh = (kind: RefreshKind): Promise<void> => {
    active += 1;
    maxActive = Math.max(maxActive, active);
    const start = clock.now();
    return new Promise((resolve) => {
      clock.setTimeout(() => {
        active -= 1;
        runs.push({ kind, start, end: clock.now() });
        resolve();
      }, durationMs);
    });
  };
  return { runs, refresh, maxActive: () => maxActive };
}

async function drive(clock: VirtualClock, scheduler: RefreshScheduler, until: number): Promise<void> {
  // The refresh itself waits on the virtual clock, so step timer by timer and let promises settle.
  const settle = async () => {
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
  };
  while ((clock.nextDue() ?? Infinity) <= until) await clock.advanceTo(clock.nextDue()!, settle);
  await clock.advanceTo(until, settle);
  void scheduler;
}

/** stop() waits for the running refresh, which itself waits on the virtual clock. */
async function stopDriving(clock: VirtualClock, scheduler: RefreshScheduler): Promise<void> {
  const stopped = scheduler.stop();
  await drive(clock, scheduler, clock.now() + 3_600_000);
  await stopped;
}

describe('RefreshScheduler on a virtual clock', () => {
  // Due instants worked out by hand from the Berlin offsets (CET +1, CEST +2).
  const cases = [
    ['spring 2025 (30 March), 2:30 falls into the gap', '2025-03-27T12:00:00Z', '2025-04-02T12:00:00Z', '2:30',
      ['2025-03-28T01:30Z', '2025-03-29T01:30Z', '2025-03-30T01:30Z', '2025-03-31T00:30Z', '2025-04-01T00:30Z', '2025-04-02T00:30Z']],
    ['autumn 2025 (26 October), 2:30 happens twice', '2025-10-23T12:00:00Z', '2025-10-29T12:00:00Z', '2:30',
      ['2025-10-24T00:30Z', '2025-10-25T00:30Z', '2025-10-26T00:30Z', '2025-10-27T01:30Z', '2025-10-28T01:30Z', '2025-10-29T01:30Z']],
    ['spring 2026 (29 March) at the default 4:00', '2026-03-26T12:00:00Z', '2026-04-01T12:00:00Z', '4:00',
      ['2026-03-27T03:00Z', '2026-03-28T03:00Z', '2026-03-29T02:00Z', '2026-03-30T02:00Z', '2026-03-31T02:00Z', '2026-04-01T02:00Z']],
    ['autumn 2026 (25 October) at 3:00', '2026-10-22T12:00:00Z', '2026-10-28T12:00:00Z', '3:00',
      ['2026-10-23T01:00Z', '2026-10-24T01:00Z', '2026-10-25T02:00Z', '2026-10-26T02:00Z', '2026-10-27T02:00Z', '2026-10-28T02:00Z']],
  ] as const;
  for (const [label, from, to, dailyTime, dues] of cases) {
    it(`rebuilds exactly once per day across ${label}, never overlapping the interval refresh`, async () => {
      const clock = new VirtualClock(Date.parse(from));
      // A refresh lasting 25 virtual minutes against a 30-minute interval: runs collide unless serialised.
      const { runs, refresh, maxActive } = recorder(clock, 25 * 60_000);
      const scheduler = new RefreshScheduler({ clock, refresh, settings: () => ({ intervalSeconds: 1800, dailyTime, timeZone: 'Europe/Berlin' }) });
      scheduler.start('full');
      await drive(clock, scheduler, Date.parse(to));
      await stopDriving(clock, scheduler);

      expect(maxActive()).toBe(1);
      for (let i = 1; i < runs.length; i += 1) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
      const fulls = runs.filter((r) => r.kind === 'full').slice(1); // the first one is the start-up build
      expect(fulls).toHaveLength(dues.length);
      fulls.forEach((run, i) => {
        const due = Date.parse(dues[i]!.replace('Z', ':00Z'));
        // Starts when due, or when the interval refresh running at that moment ends.
        expect(run.start - due, berlinDate(run.start)).toBeGreaterThanOrEqual(0);
        expect(run.start - due, berlinDate(run.start)).toBeLessThanOrEqual(25 * 60_000);
      });
      expect(runs.filter((r) => r.kind === 'incremental').length).toBeGreaterThan(100);
    });
  }

  it('coalesces refreshes that fall due while one runs, and a waiting full absorbs waiting incrementals', async () => {
    const clock = new VirtualClock(Date.parse('2025-06-01T12:00:00Z'));
    const { runs, refresh } = recorder(clock, 10 * 60_000);
    const scheduler = new RefreshScheduler({ clock, refresh, settings: () => ({ intervalSeconds: 60, dailyTime: '4:00', timeZone: 'Europe/Berlin' }) });
    scheduler.start();
    await drive(clock, scheduler, clock.now() + 60_000); // the first interval refresh starts
    const a = scheduler.requestNow('incremental');
    const b = scheduler.requestNow('incremental');
    const c = scheduler.requestNow('full');
    await drive(clock, scheduler, clock.now() + 25 * 60_000);
    await Promise.all([a, b, c]);
    await stopDriving(clock, scheduler);
    expect(runs.map((r) => r.kind).slice(0, 2)).toEqual(['incremental', 'full']);
    expect(runs[1]!.start).toBe(runs[0]!.end);
  });

  it('reads the interval again after every run and reports failures of scheduled runs', async () => {
    const clock = new VirtualClock(Date.parse('2025-06-01T12:00:00Z'));
    let interval = 600;
    const starts: number[] = [];
    const errors: unknown[] = [];
    const scheduler = new RefreshScheduler({
      clock,
      refresh: async () => {
        starts.push(clock.now());
        if (starts.length === 2) throw new Error('crm down');
      },
      settings: () => ({ intervalSeconds: interval, dailyTime: '4:00', timeZone: 'Europe/Berlin' }),
      onError: (_kind, err) => errors.push(err),
    });
    const t0 = clock.now();
    scheduler.start();
    await drive(clock, scheduler, t0 + 600_000);
    interval = 60;
    await drive(clock, scheduler, t0 + 600_000 + 600_000 + 60_000);
    await scheduler.stop();
    expect(starts.map((s) => (s - t0) / 1000)).toEqual([600, 1200, 1260]);
    expect(errors).toHaveLength(1);
  });

  it('stopping rejects the requests still waiting with DirectoryError stopped and lets the running one finish', async () => {
    const clock = new VirtualClock(0);
    const { runs, refresh } = recorder(clock, 60_000);
    const scheduler = new RefreshScheduler({ clock, refresh, settings: () => ({ intervalSeconds: 600, dailyTime: '4:00', timeZone: 'UTC' }) });
    scheduler.start();
    const running = scheduler.requestNow('full');
    const waiting = scheduler.requestNow('incremental');
    const stopped = scheduler.stop();
    await expect(waiting).rejects.toMatchObject({ code: 'stopped' });
    await drive(clock, scheduler, 120_000);
    await stopped;
    await running;
    expect(runs.map((r) => r.kind)).toEqual(['full']);
  });

  it('a requested refresh rejects with the refresh error; bad settings are refused at construction', async () => {
    const clock = new VirtualClock(0);
    const scheduler = new RefreshScheduler({
      clock,
      refresh: () => Promise.reject(new Error('boom')),
      settings: () => ({ intervalSeconds: 60, dailyTime: '4:00', timeZone: 'UTC' }),
    });
    scheduler.start();
    await expect(scheduler.requestNow()).rejects.toThrow('boom');
    await scheduler.stop();
    expect(() => new RefreshScheduler({ clock, refresh: async () => undefined, settings: () => ({ intervalSeconds: 60, dailyTime: '25:00', timeZone: 'UTC' }) })).toThrow(/RefreshTelephoneNumberTime/);
  });
});
