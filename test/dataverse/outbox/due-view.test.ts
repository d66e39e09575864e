// The outbox's in-memory view of waiting writes (due-view.ts) against the SQL it replaces: the same random
// histories of enqueues, rolled-back transactions, deliveries, failed attempts, dead letters, retries and
// restarts, applied to a store answering `due`/`nextDueAt` from the view and to one answering them with
// queries, must give the same answers after every step — also when the writes go through the writer thread.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DueView, KEPT_ITEMS } from '../../../src/dataverse/outbox/due-view.ts';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import type { OutboxItem, OutboxWrite } from '../../../src/dataverse/outbox/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'due-view-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const file = () => join(dir, `v${++files}.db`);
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('DueView', () => {
  it('lists due writes by seq, also when a row with a lower seq arrives later', () => {
    const v = new DueView<string>();
    v.add(5, 'e', 0, undefined);
    v.add(2, 'b', 0, undefined);
    v.add(9, 'f', 0, undefined);
    v.add(3, 'c', 50, undefined);
    expect(v.ready(10, 10, new Set())).toEqual(['b', 'e', 'f']);
    expect(v.ready(50, 2, new Set(['b']))).toEqual(['c', 'e']);
    expect(v.nextDueAt(new Set(['b', 'e', 'f']))).toBe(50);
    expect(v.nextDueAt(new Set(['b', 'c', 'e', 'f']))).toBeUndefined();
  });

  it('holds back a write while its dependency waits, not once it is gone', () => {
    const v = new DueView<string>();
    v.add(1, 'a', 100, undefined);
    v.add(2, 'b', 0, 'a');
    v.add(3, 'c', 0, 'missing');
    expect(v.ready(10, 10, new Set())).toEqual(['c']);
    expect(v.nextDueAt(new Set(['c']))).toBe(100);
    v.remove('a');
    expect(v.ready(10, 10, new Set())).toEqual(['b', 'c']);
  });

  it('keeps at most KEPT_ITEMS whole writes, and drops a write once rescheduled or removed', () => {
    const v = new DueView<string>();
    for (let i = 0; i < KEPT_ITEMS + 5; i += 1) v.add(i + 1, `w${i}`, 0, undefined, `item ${i}`);
    expect(v.item('w0')).toBe('item 0');
    expect(v.item(`w${KEPT_ITEMS}`)).toBeUndefined();
    v.reschedule('w0', 99);
    expect(v.item('w0')).toBeUndefined();
    v.remove('w1');
    v.add(KEPT_ITEMS + 10, 'new', 0, undefined, 'kept again');
    expect(v.item('new')).toBe('kept again');
    expect(v.ready(0, 2, new Set())).toEqual(['w2', 'w3']);
  });

  it('stays in order across many removals from the front (compaction)', () => {
    const v = new DueView<string>();
    for (let i = 1; i <= 500; i += 1) v.add(i, `w${i}`, 0, undefined);
    for (let i = 1; i <= 400; i += 1) v.remove(`w${i}`);
    expect(v.size).toBe(100);
    expect(v.ready(0, 3, new Set())).toEqual(['w401', 'w402', 'w403']);
    v.add(450.5, 'mid', 0, undefined);
    expect(v.ready(0, 100, new Set()).indexOf('mid')).toBe(50);
  });
});

// ---------------------------------------------------------------- the store: view against SQL
type Op =
  | { k: 'enqueue'; n: number; dep?: number }
  | { k: 'together'; ns: number[]; rollback: boolean }
  | { k: 'delivered'; picks: number[] }
  | { k: 'fail'; pick: number; delay: number }
  | { k: 'dead'; pick: number }
  | { k: 'retry'; pick: number }
  | { k: 'tick'; ms: number }
  | { k: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ k: fc.constant('enqueue' as const), n: fc.integer({ min: 1, max: 40 }), dep: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }) }, { requiredKeys: ['k', 'n'] }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('together' as const), ns: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }), rollback: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('delivered' as const), picks: fc.array(fc.nat(), { maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('fail' as const), pick: fc.nat(), delay: fc.integer({ min: 0, max: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('dead' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('retry' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'reopen' as const }) },
);
const queryArb = fc.record({ limit: fc.integer({ min: 0, max: 10 }), exclude: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }), ahead: fc.integer({ min: 0, max: 60 }) });

const write = (n: number, dep?: number): OutboxWrite => ({
  id: id(n), kind: 'callLog', entitySet: 'ctapi_calllogs', body: { ctapi_name: `call ${n}`, n: [n, 'ü'] },
  ...(dep === undefined ? {} : { dependsOn: id(dep) }), ...(n % 3 === 0 ? { ifExists: { ctapi_n: n } } : {}),
});
/** What a delivery uses of an item, JSON as the transport sends it. */
const wire = (items: readonly OutboxItem[]) => JSON.parse(JSON.stringify(items)) as unknown;

/** Applies `op` to `store` (the worker variant uses enqueueLater and deliveredLater for what the Outbox sends there). */
async function apply(store: SqliteOutboxStore, op: Op, now: number, later: boolean): Promise<void> {
  /** Every waiting row, in seq order, from the table itself (the blocked and the not yet due too). */
  const all = () => {
    const rows: string[] = [];
    for (let item = store.oldest(); item !== undefined; item = store.oldest(new Set(rows))) rows.push(item.id);
    return rows;
  };
  switch (op.k) {
    case 'enqueue':
      if (later && store.enqueueLater !== undefined) return void (await store.enqueueLater([write(op.n, op.dep)], now));
      try {
        store.enqueue(write(op.n, op.dep), now);
      } catch {
        /* duplicate: refused by both alike */
      }
      return;
    case 'together':
      if (later && store.enqueueLater !== undefined && !op.rollback) return void (await store.enqueueLater([...new Set(op.ns)].map((n) => write(n)), now));
      try {
        store.atomically(() => {
          for (const n of op.ns) {
            try {
              store.enqueue(write(n), now);
            } catch {
              /* a duplicate inside keeps the rest */
            }
          }
          if (op.rollback) throw new Error('rolled back');
        });
      } catch {
        /* the rollback */
      }
      return;
    case 'delivered': {
      const rows = all();
      const ids = [...new Set(op.picks.filter(() => rows.length > 0).map((p) => rows[p % rows.length]!))];
      if (later && store.deliveredLater !== undefined) return void (await store.deliveredLater(ids));
      return store.delivered(ids);
    }
    case 'fail': {
      const rows = all();
      if (rows.length > 0) store.reschedule(rows[op.pick % rows.length]!, now + op.delay, { code: 'throttled', message: 'later' });
      return;
    }
    case 'dead': {
      const rows = all();
      if (rows.length > 0) store.deadLetter(rows[op.pick % rows.length]!, { code: 'bad-request', message: 'no' }, now);
      return;
    }
    case 'retry': {
      const dead = store.deadLetters();
      if (dead.length > 0) store.retryDeadLetter(dead[op.pick % dead.length]!.id, now);
      return;
    }
    default:
  }
}

async function differential(later: boolean, runs: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(opArb, queryArb), { minLength: 1, maxLength: 40 }), async (steps) => {
      const viewPath = file();
      const sqlPath = file();
      const open = (path: string, from: 'memory' | 'sql') => new SqliteOutboxStore(path, { synchronous: 'NORMAL', dueFrom: from, ...(later && from === 'memory' ? { writes: 'worker' as const } : {}) });
      let view = open(viewPath, 'memory');
      let sql = open(sqlPath, 'sql');
      let now = 1_000;
      try {
        for (const [op, q] of steps) {
          if (op.k === 'tick') now += op.ms;
          else if (op.k === 'reopen') {
            view.close();
            sql.close();
            view = open(viewPath, 'memory');
            sql = open(sqlPath, 'sql');
          } else {
            await apply(view, op, now, later);
            await apply(sql, op, now, false);
          }
          const exclude = new Set(q.exclude.map(id));
          const at = now + q.ahead;
          expect(wire(view.due(at, q.limit, exclude))).toEqual(wire(sql.due(at, q.limit, exclude)));
          expect(view.nextDueAt(exclude)).toBe(sql.nextDueAt(exclude));
        }
      } finally {
        view.close();
        sql.close();
      }
    }),
    { numRuns: runs },
  );
}

describe('SqliteOutboxStore: due from the view equals due from SQL', () => {
  it('on random histories with the writes on the loop', async () => {
    await differential(false, 120);
  }, 60_000);

  it('on random histories with enqueueLater and deliveredLater through the writer thread', async () => {
    await differential(true, 40);
  }, 120_000);
});

describe('SqliteOutboxStore: the view and transactions', () => {
  it('forgets the enqueues of a nested transaction that rolled back while the outer one committed', () => {
    for (const from of ['memory', 'sql'] as const) {
      const store = new SqliteOutboxStore(file(), { synchronous: 'NORMAL', dueFrom: from });
      store.atomically(() => {
        store.enqueue(write(1), 1);
        try {
          store.atomically(() => {
            store.enqueue(write(2), 1);
            throw new Error('inner rolled back');
          });
        } catch {
          /* the outer one goes on */
        }
        store.enqueue(write(3), 1);
      });
      expect(store.due(10, 10, new Set()).map((i) => i.id), from).toEqual([id(1), id(3)]);
      expect(store.pending()).toBe(2);
      store.close();
    }
  });
});

describe('SqliteOutboxStore: the view and rows it did not write itself', () => {
  it('learns a row the writer reports as a duplicate but it never saw (a worker that died after committing)', async () => {
    const path = file();
    const store = new SqliteOutboxStore(path, { synchronous: 'NORMAL', writes: 'worker' });
    // The worker's commit whose reply never came, as a second connection's insert.
    const other = new Database(path);
    other.prepare("INSERT INTO outbox (id, kind, entity_set, body, next_attempt_at, enqueued_at) VALUES (?, 'callLog', 'ctapi_calllogs', '{}', 5, 5)").run(id(1));
    other.close();
    expect(store.due(10, 5, new Set())).toEqual([]);
    expect(await store.enqueueLater!([write(1), write(2)], 7)).toEqual([false, true]);
    expect(store.due(10, 5, new Set()).map((i) => [i.id, i.nextAttemptAt])).toEqual([[id(1), 5], [id(2), 7]]);
    store.close();
  });

  it('believes the table when a write it must read from there is gone (rows from before a restart are read when due)', () => {
    const path = file();
    const before = new SqliteOutboxStore(path, { synchronous: 'NORMAL' });
    before.enqueue(write(1), 1);
    before.enqueue(write(2), 1);
    before.close();
    const store = new SqliteOutboxStore(path, { synchronous: 'NORMAL' });
    const other = new Database(path);
    other.prepare('DELETE FROM outbox WHERE id = ?').run(id(1));
    other.close();
    expect(store.due(10, 5, new Set()).map((i) => i.id)).toEqual([id(2)]);
    expect(store.due(10, 5, new Set()).map((i) => i.id)).toEqual([id(2)]);
    store.close();
  });
});
