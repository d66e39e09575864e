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

describe('RefreshScheduler on a virtual clock', () => {
  for (const [label, from, to, dailyTime] of [
    ['spring (last Sunday of March)', '2025-03-27T12:00:00Z', '2025-04-02T12:00:00Z', '2:30'],
    ['autumn (last Sunday of October)', '2025-10-23T12:00:00Z', '2025-10-29T12:00:00Z', '2:30'],
    ['spring at the default 4:00', '2026-03-26T12:00:00Z', '2026-04-01T12:00:00Z', '4:00'],
    ['autumn at 3:00', '2026-10-22T12:00:00Z', '2026-10-28T12:00:00Z', '3:00'],
  ] as const) {
    it(`rebuilds exactly once per local day across ${label}, never overlapping the interval refresh`, async () => {
      const clock = new VirtualClock(Date.parse(from));
      // A refresh lasting 25 virtual minutes against a 30-minute interval: runs collide unless serialised.
      const { runs, refresh, maxActive } = recorder(clock, 25 * 60_000);
      const scheduler = new RefreshScheduler({ clock, refresh, settings: () => ({ intervalSeconds: 1800, dailyTime, timeZone: 'Europe/Berlin' }) });
      scheduler.start('full');
      await drive(clock, scheduler, Date.parse(to));
      await scheduler.stop();

      expect(maxActive()).toBe(1);
      const fulls = runs.filter((r) => r.kind === 'full').slice(1); // the first one is the start-up build
      const days = fulls.map((r) => berlinDate(r.start).slice(0, 10));
      expect(new Set(days).size).toBe(days.length);
      expect(days.length).toBe(6);
      for (const r of fulls) {
        const local = berlinDate(r.start).slice(11);
        // Due at the daily time; at most one running refresh (25 min) late.
        const [h, m] = dailyTime.split(':').map(Number) as [number, number];
        const dueMinutes = h * 60 + m;
        const [lh, lm] = local.split(':').map(Number) as [number, number];
        const delay = (lh * 60 + lm - dueMinutes + 24 * 60) % (24 * 60);
        expect(delay, `${berlinDate(r.start)}`).toBeLessThanOrEqual(dailyTime === '2:30' && /-03-30|-03-29/.test(days.join()) ? 85 : 25);
      }
      for (let i = 1; i < runs.length; i += 1) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
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
    await scheduler.stop();
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

  it('a requested refresh rejects with the refresh error; a stopped scheduler rejects waiters', async () => {
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
