// The outbox's writes off the event loop (issue 18, writer.ts): `enqueueLater` and `deliveredLater`
// commit on a worker thread's own connection; the event loop keeps running while the database's write
// lock is held elsewhere (a stalled disk); a refused batch stores none of its writes and rejects every
// submission in it; a worker that dies hands its batch to the event loop's connection; `close` writes
// what is pending; and the store contract holds for the synchronous methods beside it.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { OutboxEvent } from '../../../src/dataverse/outbox/events.ts';
import { Outbox } from '../../../src/dataverse/outbox/outbox.ts';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import type { OutboxWrite } from '../../../src/dataverse/outbox/store.ts';
import { DUPLICATE, FORGOTTEN, OutboxWriter, type WriterOp } from '../../../src/dataverse/outbox/writer.ts';
import { describeOutboxStoreContract } from './store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'outbox-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => join(dir, `w-${++n}.db`);
const id = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const write = (i: number, dependsOn?: number): OutboxWrite => ({ id: id(i), kind: 'callLog', entitySet: 'ctapi_calllogs', body: { ctapi_name: `call ${i}` }, ...(dependsOn === undefined ? {} : { dependsOn: id(dependsOn) }) });
const worker = (path: string) => new SqliteOutboxStore(path, { synchronous: 'GROUP', writes: 'worker' });
const ids = (path: string) => (new Database(path, { readonly: true }).prepare('SELECT id FROM outbox ORDER BY id').all() as { id: string }[]).map((r) => r.id);

describeOutboxStoreContract('SQLite file, writes in a worker', {
  create: () => worker(file()),
  reopen: (store) => worker((store as SqliteOutboxStore).path),
});

describe('the outbox writer', () => {
  it('commits on its worker: each write stored once it resolves, a taken id (outbox or dead letters) refused as a duplicate', async () => {
    const path = file();
    const store = worker(path);
    expect(store.writer?.offLoop).toBe(true);
    store.enqueue(write(1), 0);
    store.enqueue(write(2), 0);
    store.deadLetter(id(2), { code: 'bad-request', message: 'no' }, 0);
    const result = await store.enqueueLater!([write(1), write(2), write(3), write(4, 3)], 5);
    expect(result).toEqual([false, false, true, true]);
    // Visible to another connection at once: committed, not just handed over.
    expect(ids(path)).toEqual([id(1), id(3), id(4)]);
    expect(store.due(10, 10, new Set()).map((w) => w.id)).toEqual([id(1), id(3)]);
    await store.deliveredLater!([id(1), id(3)]);
    expect(ids(path)).toEqual([id(4)]);
    expect(store.due(10, 10, new Set()).map((w) => w.id)).toEqual([id(4)]);
    expect(store.writer?.committed).toBe(2);
    store.close();
  });

  it('keeps the event loop running while another connection holds the write lock; the writes land once it is released', async () => {
    const path = file();
    const store = worker(path);
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    let longestGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 2);
    let settled = false;
    const pending = store.enqueueLater!([write(1), write(2)], 0).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(settled).toBe(false);
    expect(longestGap).toBeLessThan(100);
    other.exec('COMMIT');
    expect(await pending).toEqual([true, true]);
    clearInterval(ticker);
    other.close();
    // The event loop's own connection would have waited for the lock (busy_timeout) on this thread.
    const blocker = new Database(path);
    blocker.exec('BEGIN IMMEDIATE');
    const t = performance.now();
    expect(() => store.enqueue(write(3), 0)).toThrow(/locked/); // the whole busy_timeout, with this thread stopped
    expect(performance.now() - t).toBeGreaterThan(4_000);
    blocker.exec('COMMIT');
    blocker.close();
    store.close();
  }, 20_000);

  it('stores none of a refused batch and rejects every submission in it; the next batch goes on', async () => {
    const path = file();
    const store = worker(path);
    const db = new Database(path);
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON outbox WHEN NEW.kind = 'poison' BEGIN SELECT RAISE(ABORT, 'simulated I/O error'); END`);
    db.close();
    const trouble: string[] = [];
    const failing = new SqliteOutboxStore(path, { synchronous: 'GROUP', writes: 'worker', onTrouble: (m) => trouble.push(m) });
    store.close();
    const a = failing.enqueueLater!([write(1)], 0);
    const b = failing.enqueueLater!([write(2), { ...write(3), kind: 'poison' }], 0);
    await expect(a).rejects.toMatchObject({ code: 'store-unavailable' });
    await expect(b).rejects.toThrow(/simulated I\/O error/);
    expect(ids(path)).toEqual([]);
    expect(trouble.join('\n')).toMatch(/3 writes handed back/);
    expect(await failing.enqueueLater!([write(1), write(2)], 0)).toEqual([true, true]);
    expect(ids(path)).toEqual([id(1), id(2)]);
    failing.close();
  });

  it('hands a batch to the event loop connection when its worker cannot run; nothing is lost or doubled', async () => {
    const path = file();
    const store = worker(path);
    store.close();
    const db = new Database(path);
    const insert = db.prepare(`INSERT INTO outbox (id, kind, entity_set, body, on_behalf_of, depends_on, if_exists, next_attempt_at, enqueued_at)
      SELECT @id, @kind, @entity_set, @body, @on_behalf_of, @depends_on, @if_exists, @now, @now WHERE NOT EXISTS (SELECT 1 FROM dead_letters WHERE id = @id)`);
    const remove = db.prepare('DELETE FROM outbox WHERE id = ?');
    const trouble: string[] = [];
    let durableAsked = 0;
    const writer = new OutboxWriter({
      file: join(dir, 'does-not-exist.db'), // the worker's open fails: it dies with its first batch in flight
      sql: { insert: 'x', remove: 'x' },
      autocheckpointPages: 1000,
      inline: db.transaction((ops: readonly WriterOp[]) => {
        return ops.map((op) => {
          if (op.k === 'd') return void remove.run(op.id), FORGOTTEN;
          try {
            const r = insert.run(op.row);
            return r.changes === 0 ? DUPLICATE : Number(r.lastInsertRowid);
          } catch {
            return DUPLICATE;
          }
        });
      }),
      whenInlineDurable: (run) => {
        durableAsked += 1;
        setImmediate(run);
      },
      onCommit: () => undefined,
      onTrouble: (m) => trouble.push(m),
    });
    const row = (i: number) => ({ id: id(i), kind: 'callLog', entity_set: 'x', body: '{}', on_behalf_of: null, depends_on: null, if_exists: null, now: 0 });
    const first = writer.submit([{ k: 'e', row: row(1) }, { k: 'e', row: row(2) }]);
    // Each insert's new seq (the store's view of waiting writes learns them from here).
    expect(await first).toEqual([1, 2]);
    expect(writer.offLoop).toBe(false);
    expect(trouble.join('\n')).toMatch(/outbox writer failed/);
    expect(await writer.submit([{ k: 'e', row: row(2) }, { k: 'd', id: id(1) }, { k: 'e', row: row(3) }])).toEqual([DUPLICATE, FORGOTTEN, 3]);
    expect(durableAsked).toBe(2);
    writer.close();
    expect((db.prepare('SELECT id FROM outbox ORDER BY id').all() as { id: string }[]).map((r) => r.id)).toEqual([id(2), id(3)]);
    db.close();
  });

  it('with writeGatherMs, the submissions of several turns within it share one batch', async () => {
    const path = file();
    const store = new SqliteOutboxStore(path, { synchronous: 'GROUP', writes: 'worker', writeGatherMs: 40 });
    const settled: Promise<unknown>[] = [];
    for (let i = 1; i <= 5; i += 1) {
      settled.push(store.enqueueLater!([write(i)], 0));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(store.writer?.committed).toBe(0);
    await Promise.all(settled);
    expect(store.writer?.committed).toBe(1);
    expect(ids(path)).toEqual([1, 2, 3, 4, 5].map(id));
    store.close();
  });

  it('keeps the process up while a batch is in flight, and not while idle', async () => {
    // A script whose only pending work is an enqueueLater: it must see the result, then exit by itself.
    const store = fileURLToPath(new URL('../../../src/dataverse/outbox/sqlite-store.ts', import.meta.url));
    const script = `import { SqliteOutboxStore } from ${JSON.stringify(store)};
      const s = new SqliteOutboxStore(${JSON.stringify(file())}, { synchronous: 'GROUP', writes: 'worker' });
      const r = await s.enqueueLater([{ id: '00000000-0000-4000-8000-000000000001', kind: 'callLog', entitySet: 'x', body: {} }], 0);
      console.log('settled', JSON.stringify(r), s.pending());`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 });
    expect(stdout.trim()).toBe('settled [true] 1');
  });

  it('close writes what was submitted and not yet committed, and settles it', async () => {
    const path = file();
    const store = worker(path);
    const results: boolean[][] = [];
    for (let i = 1; i <= 5; i += 1) void store.enqueueLater!([write(i)], 0).then((r) => results.push(r));
    store.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(results.flat()).toEqual([true, true, true, true, true]);
    expect(ids(path)).toEqual([1, 2, 3, 4, 5].map(id));
  });

  it('exited stays pending while the writer\'s worker runs, and resolves once close has ended it (the Outbox waits for it in close)', async () => {
    const store = worker(file());
    await store.enqueueLater!([write(1)], 0);
    const exited = store.exited();
    const early = await Promise.race([exited.then(() => 'exited'), new Promise((resolve) => setTimeout(resolve, 100, 'running'))]);
    expect(early).toBe('running');
    store.close();
    await exited;
    // A second store's Outbox: close resolves only after the same wait.
    const other = worker(file());
    const outbox = new Outbox({ store: other, transport: { deliver: async () => 'created' }, gatherMs: 0 });
    let threadsGone = false;
    void other.exited().then(() => (threadsGone = true));
    await outbox.close();
    await Promise.resolve();
    expect(threadsGone).toBe(true);
  });

  it('ends with the same rows as the synchronous store for any mix of enqueues, duplicates and forgets', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.record({ k: fc.constant('e' as const), i: fc.integer({ min: 1, max: 12 }) }), fc.record({ k: fc.constant('d' as const), i: fc.integer({ min: 1, max: 12 }) })), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 5 }), async (ops, per) => {
        const late = worker(file());
        const sync = new SqliteOutboxStore(file());
        const pending: Promise<unknown>[] = [];
        const expected: boolean[] = [];
        const got: Promise<boolean[]>[] = [];
        for (let at = 0; at < ops.length; at += per) {
          const slice = ops.slice(at, at + per);
          // One slice = one submission of each kind (a turn's worth), in order.
          const enq = slice.filter((o) => o.k === 'e').map((o) => write(o.i));
          const del = slice.filter((o) => o.k === 'd').map((o) => id(o.i));
          for (const w of enq) {
            try {
              sync.enqueue(w, 0);
              expected.push(true);
            } catch {
              expected.push(false);
            }
          }
          sync.delivered(del);
          // Each turn's submissions are settled before the next slice: as the Outbox and the recorder do per turn.
          const e = late.enqueueLater!(enq, 0);
          got.push(e);
          await e;
          pending.push(late.deliveredLater!(del));
          await Promise.all(pending);
        }
        expect((await Promise.all(got)).flat()).toEqual(expected);
        expect(late.due(1, 100, new Set()).map((w) => w.id)).toEqual(sync.due(1, 100, new Set()).map((w) => w.id));
        late.close();
        sync.close();
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});

describe('the Outbox on a store that writes in a worker', () => {
  it('delivers every write once; a forget the store refuses keeps the write from being sent again and is retried', async () => {
    const path = file();
    const init = worker(path);
    init.close();
    const db = new Database(path);
    db.exec(`CREATE TABLE fail (n INTEGER); INSERT INTO fail VALUES (1);
      CREATE TRIGGER refuse BEFORE DELETE ON outbox WHEN (SELECT n FROM fail) > 0 BEGIN SELECT RAISE(ABORT, 'simulated full disk'); END`);
    const store = worker(path);
    const sent = new Map<string, number>();
    const events: OutboxEvent[] = [];
    const errors: string[] = [];
    const box = new Outbox({
      store,
      transport: {
        deliver: async (item) => {
          sent.set(item.id, (sent.get(item.id) ?? 0) + 1);
          return 'created';
        },
      },
      backoff: { baseMs: 20 },
      onEvent: (e) => events.push(e),
      logger: { info: () => undefined, warn: () => undefined, error: (_d, m) => errors.push(m) },
    });
    box.start();
    expect(await box.enqueueLater([write(1), write(2, 1), write(3)])).toEqual(['stored', 'stored', 'stored']);
    expect(await box.enqueueLater([write(3)])).toEqual(['duplicate']);
    await expect(box.enqueueLater([{ ...write(4), id: 'not a guid' }])).rejects.toMatchObject({ code: 'invalid-record' });
    while (!errors.includes('delivered writes could not be forgotten yet')) await new Promise((resolve) => setTimeout(resolve, 5));
    // Refused twice or more by now; nothing delivered was sent again, the dependant waits for its dependency.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([...sent.values()].every((count) => count === 1)).toBe(true);
    expect(sent.has(id(2))).toBe(false);
    expect(events.filter((e) => e.type === 'delivered')).toEqual([]);
    db.exec('UPDATE fail SET n = 0');
    await box.drained();
    expect([...sent.entries()].sort()).toEqual([[id(1), 1], [id(2), 1], [id(3), 1]]);
    expect(events.filter((e) => e.type === 'delivered').map((e) => e.id).sort()).toEqual([id(1), id(2), id(3)]);
    expect(box.stats()).toEqual({ pending: 0, inFlight: 0, deadLetters: 0 });
    await box.close();
    db.close();
  });

  it('counts no write twice or less than none while a forget committed before its reply arrived', async () => {
    const inner = new SqliteOutboxStore(file());
    const releases: (() => void)[] = [];
    // The forget commits at once, its promise settles later: the writer's reply still on its way.
    const store = Object.assign(Object.create(inner) as SqliteOutboxStore, {
      deliveredLater: (ids: readonly string[]) => {
        inner.delivered(ids);
        return new Promise<void>((resolve) => releases.push(resolve));
      },
    });
    const box = new Outbox({ store, transport: { deliver: async () => 'created' }, gatherMs: 0 });
    box.start();
    box.enqueue(write(1));
    box.enqueue(write(2));
    while (inner.pending() > 0 || releases.length === 0) await new Promise((r) => setTimeout(r, 2));
    // Before: pending = rows − writes being forgotten = 0 − 2 = −2, which the diagnose report could not encode.
    expect(box.stats().pending).toBe(0);
    expect(box.oldestWaiting()).toBeUndefined();
    box.enqueue(write(3));
    expect(box.stats().pending).toBe(1);
    for (const release of releases) release();
    while (box.stats().inFlight > 0 || inner.pending() > 0) {
      await new Promise((r) => setTimeout(r, 2));
      for (const release of releases.splice(0)) release();
    }
    for (const release of releases.splice(0)) release();
    await box.drained();
    expect(box.stats()).toEqual({ pending: 0, inFlight: 0, deadLetters: 0 });
    await box.close();
  });
});
