import { afterEach, describe, expect, it, vi } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { Backoff } from '../../../src/connector/backoff.ts';
import { DailySchedule } from '../../../src/connector/daily.ts';
import { KeepaliveTimer } from '../../../src/connector/keepalive.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('Backoff (full jitter)', () => {
  it('doubles the ceiling up to the cap and resets', () => {
    const b = new Backoff({ baseMs: 100, capMs: 1000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 6].map(() => b.next())).toEqual([99, 199, 399, 799, 999, 999]);
    b.reset();
    expect(b.next()).toBe(99);
  });

  fcTest.prop([fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 80 })])(
    'stays within [0, min(cap, base·2^n)]',
    (draws) => {
      let i = 0;
      const b = new Backoff({ baseMs: 250, capMs: 30_000, random: () => draws[i++ % draws.length] as number });
      for (let n = 0; n < draws.length; n += 1) {
        const ceiling = Math.min(30_000, 250 * 2 ** n);
        const d = b.next();
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
    },
  );

  it('survives a broken random source', () => {
    const b = new Backoff({ baseMs: 100, capMs: 1000, random: () => Number.NaN });
    expect(b.next()).toBe(50);
  });
});

describe('KeepaliveTimer', () => {
  it('ticks every interval and picks up a new interval at once', () => {
    vi.useFakeTimers();
    const ticks: number[] = [];
    const t = new KeepaliveTimer(20, () => ticks.push(Date.now()));
    const start = Date.now();
    t.start();
    vi.advanceTimersByTime(19_999);
    expect(ticks).toHaveLength(0);
    vi.advanceTimersByTime(1);
    vi.advanceTimersByTime(20_000);
    expect(ticks.map((x) => x - start)).toEqual([20_000, 40_000]);
    t.setInterval(5);
    vi.advanceTimersByTime(5_000);
    expect(ticks.map((x) => x - start)).toEqual([20_000, 40_000, 45_000]);
    t.stop();
    vi.advanceTimersByTime(60_000);
    expect(ticks).toHaveLength(3);
  });

  it('waits for a whole quiet interval after other traffic', () => {
    vi.useFakeTimers();
    let lastWrite = Date.now();
    const ticks: number[] = [];
    const start = Date.now();
    const t = new KeepaliveTimer(10, () => {
      ticks.push(Date.now() - start);
      lastWrite = Date.now();
    }, () => Date.now() - lastWrite);
    t.start();
    vi.advanceTimersByTime(4_000);
    lastWrite = Date.now(); // an event went out at 4 s
    vi.advanceTimersByTime(9_999);
    expect(ticks).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ticks).toEqual([14_000]);
    vi.advanceTimersByTime(10_000);
    expect(ticks).toEqual([14_000, 24_000]);
    t.stop();
  });

  it('stays stopped when the tick stops it', () => {
    vi.useFakeTimers();
    let n = 0;
    const t: KeepaliveTimer = new KeepaliveTimer(1, () => {
      n += 1;
      t.stop();
    });
    t.start();
    vi.advanceTimersByTime(10_000);
    expect(n).toBe(1);
  });
});

describe('DailySchedule (NewInitTime) on a virtual clock', () => {
  it('runs once a day at the minute, local time', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date(2024, 2, 1, 3, 58, 30));
    const runs: Date[] = [];
    const s = new DailySchedule({ hour: 4, minute: 0 }, async () => {
      runs.push(new Date());
    });
    expect(s.nextRun()?.getHours()).toBe(4);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(31_000);
    expect(runs).toHaveLength(1);
    expect([runs[0]?.getHours(), runs[0]?.getMinutes()]).toEqual([4, 0]);
    await vi.advanceTimersByTimeAsync(24 * 3600_000);
    expect(runs).toHaveLength(2);
    expect(runs[1]?.getDate()).toBe(2);
    s.stop();
    await vi.advanceTimersByTimeAsync(48 * 3600_000);
    expect(runs).toHaveLength(2);
  });
});
