// Keeping the entitlement table in step with the CRM
// (manager/entitlements/service.ts) on a service of its own, with
// repositories the test controls: reads never overlap and callers during one
// read share the one read after it, a failed read neither blocks the next nor
// loses the last good table, a burst of line changes is one read, a throwing
// listener does not keep the others from the news, a stopped service reads
// nothing more, and only teams' members are read. The user-side tests show
// the service inside the manager; each case failed on a hand-made break they
// did not catch.
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LineConfigRecord, LineShare, Repositories } from '../../../src/dataverse/repositories/index.ts';
import { EntitlementService } from '../../../src/manager/entitlements/service.ts';
import { userLineRecord } from '../support/line-settings.ts';

const record = userLineRecord;

interface Fake {
  records: LineConfigRecord[];
  shares: LineShare[];
  reads: number;
  membersAsked: string[];
  failNext: boolean;
  gate?: Promise<void>;
  repositories: Repositories;
}

function fake(): Fake {
  const f: Fake = {
    records: [record('r1', 'pbx:21', 'anna')], shares: [], reads: 0, membersAsked: [], failNext: false,
    repositories: undefined as unknown as Repositories,
  };
  f.repositories = {
    lineConfigs: {
      listAll: async () => {
        f.reads += 1;
        await f.gate;
        if (f.failNext) {
          f.failNext = false;
          throw new Error('the CRM is away');
        }
        return [...f.records];
      },
    },
    shares: { all: async () => [...f.shares] },
    users: {
      membersOf: async (team: string) => {
        f.membersAsked.push(team);
        return ['jens'];
      },
    },
  } as unknown as Repositories;
  return f;
}

let service: EntitlementService | undefined;
afterEach(() => {
  service?.stop();
  vi.useRealTimers();
});

const make = (f: Fake, o: { refreshIntervalMs?: number; debounceMs?: number } = {}) =>
  (service = new EntitlementService({ repositories: f.repositories, logger: pino({ level: 'silent' }), refreshIntervalMs: o.refreshIntervalMs ?? 0, debounceMs: o.debounceMs ?? 10 }));

describe('reads', () => {
  it('never overlap: callers during a read share the one read that follows it', async () => {
    const f = fake();
    const s = make(f);
    let open!: () => void;
    f.gate = new Promise((resolve) => (open = resolve));
    const first = s.refresh();
    const waiting = [s.refresh(), s.refresh(), s.refresh()];
    expect(f.reads).toBe(1);
    open();
    await Promise.all([first, ...waiting]);
    expect(f.reads).toBe(2);
  });

  it('a failed read rejects its callers, keeps the last good table, and does not stop the read queued behind it', async () => {
    const f = fake();
    const s = make(f);
    await s.refresh();
    expect(s.table.grant('anna', 'pbx:21')).toBeDefined();
    f.failNext = true;
    let open!: () => void;
    f.gate = new Promise((resolve) => (open = resolve));
    const failing = s.refresh();
    f.records.push(record('r2', 'pbx:22', 'anna'));
    const after = s.refresh();
    open();
    await expect(failing).rejects.toThrow(/away/);
    expect(s.table.grant('anna', 'pbx:21')).toBeDefined();
    await after;
    expect(s.table.grant('anna', 'pbx:22')).toBeDefined();
  });

  it('reads the members of teams only, each team once', async () => {
    const f = fake();
    f.shares = [
      { lineId: 'r1', principalId: 'team-a', principalType: 'team', accessRightsMask: 1 },
      { lineId: 'r1', principalId: 'team-a', principalType: 'team', accessRightsMask: 1 },
      { lineId: 'r1', principalId: 'sophie', principalType: 'systemuser', accessRightsMask: 1 },
    ];
    await make(f).refresh();
    expect(f.membersAsked).toEqual(['team-a']);
    expect(service?.table.grant('jens', 'pbx:21')?.via).toBe('team-share');
  });
});

describe('listeners', () => {
  it('a listener that throws does not keep the others from the new table', async () => {
    const f = fake();
    const s = make(f);
    const seen: number[] = [];
    s.onChange(() => {
      throw new Error('broken listener');
    });
    s.onChange((table) => seen.push(table.users().length));
    await s.refresh();
    expect(seen).toEqual([1]);
  });
});

describe('soon, start and stop', () => {
  it('a burst of line changes is one read after the debounce', async () => {
    vi.useFakeTimers();
    const f = fake();
    const s = make(f, { debounceMs: 100 });
    for (let i = 0; i < 10; i += 1) s.soon();
    await vi.advanceTimersByTimeAsync(150);
    expect(f.reads).toBe(1);
  });

  it('a stopped service reads nothing more, however many changes arrive', async () => {
    vi.useFakeTimers();
    const f = fake();
    const s = make(f, { debounceMs: 100, refreshIntervalMs: 1000 });
    s.start();
    s.stop();
    s.soon();
    await vi.advanceTimersByTimeAsync(5000);
    expect(f.reads).toBe(0);
  });

  it('with no interval it reads only on demand; with one, once per interval', async () => {
    vi.useFakeTimers();
    const f = fake();
    make(f, { refreshIntervalMs: 0 }).start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(f.reads).toBe(0);
    service?.stop();
    const g = fake();
    make(g, { refreshIntervalMs: 1000, debounceMs: 10 }).start();
    await vi.advanceTimersByTimeAsync(3500);
    expect(g.reads).toBe(3);
  });
});
