// The journal written by a worker thread with group commit (issue 18):
// durability before `whenDurable` (and so before every acknowledgement), the
// writes of one turn in one transaction, the same database as the in-thread
// writer for any sequence of writes, `close` losing nothing, and a database
// that refuses (locked past busy_timeout) acknowledging nothing until it
// takes the batch, without blocking the event loop meanwhile.
import Database from 'better-sqlite3';
import { fc, test as fcTest } from '@fast-check/vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JournaledEvent } from '../../../src/manager/gateway/seq-store.ts';
import { SqliteSeqStore } from '../../../src/manager/gateway/sqlite-seq-store.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0).reverse()) c();
});

const file = () => join(mkdtempSync(join(tmpdir(), 'crm-tapi-seqstore-')), 'manager-state.sqlite');
const open = (path: string, options: ConstructorParameters<typeof SqliteSeqStore>[1] = {}) => {
  const s = new SqliteSeqStore(path, options);
  closers.push(() => s.close());
  return s;
};
const event = (host: string, seq: number, callId: string): JournaledEvent => ({
  host, key: `${host}/${callId}`,
  message: { channel: 'connector', command: 'callState', seq, timestamp: '2026-01-01T00:00:00.000Z', line: '20', callId, state: 'offering', origin: 'inbound', snapshot: false },
});
/** What a second connection (as after a kill) finds on disk. */
function onDisk(path: string): { seqs: { host: string; seq: number }[]; journal: { id: number; key: string }[] } {
  const db = new Database(path, { readonly: true });
  try {
    return {
      seqs: db.prepare<[], { host: string; seq: number }>('SELECT host, seq FROM connector_seq ORDER BY host').all(),
      journal: db.prepare<[], { id: number; key: string }>('SELECT id, key FROM event_journal ORDER BY id').all(),
    };
  } finally {
    db.close();
  }
}
const durable = (s: SqliteSeqStore) => new Promise<void>((resolve) => s.whenDurable(resolve));

describe('SqliteSeqStore (worker, group commit)', () => {
  it('runs whenDurable only once the writes are committed, and commits one turn\'s writes in one batch', async () => {
    const path = file();
    const s = open(path);
    expect(s.stats().worker).toBe(true);
    for (let seq = 1; seq <= 50; seq += 1) s.set('pbx', seq, event('pbx', seq, `c${seq}`));
    let ran = false;
    s.whenDurable(() => {
      ran = true;
      // A separate connection sees every write at the moment an acknowledgement could leave.
      const disk = onDisk(path);
      expect(disk.seqs).toEqual([{ host: 'pbx', seq: 50 }]);
      expect(disk.journal).toHaveLength(50);
    });
    expect(ran).toBe(false);
    expect(s.get('pbx')).toBeUndefined();
    await durable(s);
    expect(ran).toBe(true);
    expect(s.get('pbx')).toBe(50);
    expect(s.stats()).toMatchObject({ batches: 1, writes: 50 });
    // Reading the journal (at start, and with writes pending) keeps the commits in the worker.
    expect(s.journal()).toHaveLength(50);
    s.set('pbx', 51, event('pbx', 51, 'c51'));
    expect(s.journal()).toHaveLength(51);
    expect(s.stats().worker).toBe(true);
    s.set('pbx', 52, event('pbx', 52, 'c52'));
    await durable(s);
    expect(s.stats()).toMatchObject({ writes: 52, worker: true });
    expect(onDisk(path).journal).toHaveLength(52);
  });

  it('with gatherMs, the events of several turns within it share one batch; their acknowledgement waits for that batch', async () => {
    const path = file();
    // The window is wide against the turns' spacing: on a loaded CI host five 5 ms timers once took longer
    // than a 40 ms window, and the fifth event rightly went in a second batch.
    const gatherMs = 300;
    const s = open(path, { gatherMs });
    // Whether the window is over is told by a timer of its delay set just before the first event, in the same
    // turn as the store's: Node starts both from that turn's loop clock and runs them in order. A clock read
    // would not do: a timer fires early by a performance.now() taken late in a long turn (test/bench/drive-tail).
    let windowOver = false;
    let ackedAfterWindow: boolean | undefined;
    // Five turns, 5 ms apart: one batch (each turn its own without gatherMs).
    for (let seq = 1; seq <= 5; seq += 1) {
      if (seq === 1) setTimeout(() => (windowOver = true), gatherMs);
      s.set('pbx', seq, event('pbx', seq, `c${seq}`));
      await new Promise((r) => setTimeout(r, 5));
    }
    const setWithinWindow = !windowOver;
    s.whenDurable(() => (ackedAfterWindow = windowOver));
    expect(ackedAfterWindow).toBeUndefined();
    await durable(s);
    // The premise: all five were set within the window (else a second batch is right, not a bug).
    expect(setWithinWindow).toBe(true);
    expect(s.stats()).toMatchObject({ batches: 1, writes: 5 });
    expect(ackedAfterWindow).toBe(true);
    expect(onDisk(path).journal).toHaveLength(5);
    // Without it, a turn's events go as soon as no batch is in flight (more than one batch for the same five).
    const t = open(file());
    for (let seq = 1; seq <= 5; seq += 1) {
      t.set('pbx', seq, event('pbx', seq, `c${seq}`));
      await new Promise((r) => setTimeout(r, 5));
    }
    await durable(t);
    expect(t.stats().writes).toBe(5);
    expect(t.stats().batches).toBeGreaterThan(1);
  });

  it('loses nothing on close: writes of the current turn are committed before the database closes', () => {
    const path = file();
    const s = new SqliteSeqStore(path);
    s.set('pbx', 7, event('pbx', 7, 'a'));
    s.set('pbx', 8, event('pbx', 8, 'b'));
    s.forget(['pbx/a']);
    s.close();
    expect(onDisk(path)).toEqual({ seqs: [{ host: 'pbx', seq: 8 }], journal: [{ id: 2, key: 'pbx/b' }] });
    const again = open(path);
    expect(again.journal().map((e) => e.key)).toEqual(['pbx/b']);
    expect(again.get('pbx')).toBe(8);
  });

  it('exited stays pending while its journal workers run and resolves after close, the one started again by journal() included', async () => {
    const s = new SqliteSeqStore(file());
    s.set('pbx', 1, event('pbx', 1, 'a'));
    // journal() with a write pending ends the first worker and starts another: both are waited for.
    expect(s.journal().map((e) => e.key)).toEqual(['pbx/a']);
    const exited = s.exited();
    const early = await Promise.race([exited.then(() => 'exited'), new Promise((resolve) => setTimeout(resolve, 100, 'running'))]);
    expect(early).toBe('running');
    s.close();
    await exited;
    expect(s.stats().worker).toBe(false);
  });

  it('lets forgets ride with the next batch (no batch of their own while events come), and never makes an acknowledgement wait for them', async () => {
    const path = file();
    const s = open(path);
    s.set('pbx', 1, event('pbx', 1, 'a'));
    s.set('pbx', 2, event('pbx', 2, 'b'));
    await durable(s);
    const batches = s.stats().batches;
    // A forget alone wakes no worker at once: it waits for the next event (or its timer).
    s.forget(['pbx/a']);
    await new Promise((r) => setTimeout(r, 30));
    expect(s.stats().batches).toBe(batches);
    expect(onDisk(path).journal.map((r) => r.key)).toEqual(['pbx/a', 'pbx/b']);
    // The next event's batch carries it: one batch for both.
    s.set('pbx', 3, event('pbx', 3, 'c'));
    await durable(s);
    expect(s.stats().batches).toBe(batches + 1);
    expect(onDisk(path).journal.map((r) => r.key)).toEqual(['pbx/b', 'pbx/c']);
    // The first forget's timer (200 ms, set before this 250 ms wait) runs out meanwhile, so the next forget sets its own.
    await new Promise((r) => setTimeout(r, 250));
    // Forgets pending while a batch is committed are not sent after it by themselves...
    s.set('pbx', 4, event('pbx', 4, 'd'));
    // A timer of the forget timer's delay (200 ms), set in the same turn right after it: Node fires it in the
    // same timers phase just after the forget's, before any batch that the forget's timer could start comes back.
    let forgetTimerRan = false;
    s.whenDurable(() => {
      s.forget(['pbx/b']);
      setTimeout(() => (forgetTimerRan = true), 200);
    });
    await durable(s);
    await new Promise((r) => setTimeout(r, 30));
    expect(s.stats().batches).toBe(batches + 2);
    // ...but whoever waits for durability gets a batch at once: an acknowledgement never waits for the forget timer.
    await durable(s);
    expect(forgetTimerRan).toBe(false);
    expect(s.stats().batches).toBe(batches + 3);
    expect(onDisk(path).journal.map((r) => r.key)).toEqual(['pbx/c', 'pbx/d']);
    // Alone, a forget is written by its timer: no event and no waiter follows it.
    s.forget(['pbx/c']);
    await vi.waitFor(() => expect(onDisk(path).journal.map((r) => r.key)).toEqual(['pbx/d']), { timeout: 5_000, interval: 20 });
    expect(s.stats().batches).toBe(batches + 4);
  });

  it('writes a forget whose timer ran out while a batch was in flight right after that batch, even when no event follows', async () => {
    const path = file();
    const s = open(path);
    s.set('pbx', 1, event('pbx', 1, 'a'));
    await durable(s);
    // Another connection holds the write lock: the next batch stays in flight in the worker (busy_timeout 5 s).
    const blocker = new Database(path);
    blocker.exec('BEGIN IMMEDIATE');
    s.set('pbx', 2, event('pbx', 2, 'b'));
    await new Promise((r) => setTimeout(r, 20));
    s.forget(['pbx/a']);
    await new Promise((r) => setTimeout(r, 300)); // the forget's timer (200 ms) runs out meanwhile
    blocker.exec('COMMIT');
    blocker.close();
    // No event comes after, and nobody waits for durability (that would ask for a batch by itself):
    // the forget must still be written shortly after the blocked batch.
    await new Promise((r) => setTimeout(r, 400));
    expect(onDisk(path).journal.map((r) => r.key)).toEqual(['pbx/b']);
    expect(s.get('pbx')).toBe(2);
  });

  fcTest.prop([
    fc.array(fc.oneof(
      fc.record({ k: fc.constant('set' as const), host: fc.constantFrom('a', 'b', 'c'), seq: fc.nat(1000), journal: fc.boolean(), call: fc.constantFrom('x', 'y', 'z') }),
      fc.record({ k: fc.constant('forget' as const), host: fc.constantFrom('a', 'b', 'c'), call: fc.constantFrom('x', 'y', 'z') }),
      fc.constant({ k: 'turn' as const }),
    ), { maxLength: 40 }),
  ], { numRuns: 15 })('leaves the same database as the in-thread writer for any writes, turns and a close', async (ops) => {
    const paths = [file(), file()];
    const stores = [new SqliteSeqStore(paths[0]!), new SqliteSeqStore(paths[1]!, { worker: false })];
    for (const op of ops) {
      for (const s of stores) {
        if (op.k === 'set') s.set(op.host, op.seq, op.journal ? event(op.host, op.seq, op.call) : undefined);
        if (op.k === 'forget') s.forget([`${op.host}/${op.call}`]);
      }
      if (op.k === 'turn') await Promise.all(stores.map(durable));
    }
    for (const s of stores) s.close();
    expect(onDisk(paths[0]!)).toEqual(onDisk(paths[1]!));
  });

  it('acknowledges nothing while the database refuses the batch, retries it, and keeps the event loop free meanwhile', async () => {
    const path = file();
    const troubles: string[] = [];
    const s = open(path, { onTrouble: (m) => troubles.push(m) });
    s.set('pbx', 1, event('pbx', 1, 'a'));
    await durable(s);
    // Another process holds the write lock past the store's busy_timeout (5 s): the worker's commit is refused.
    const blocker = new Database(path);
    blocker.pragma('busy_timeout = 5000');
    blocker.exec('BEGIN IMMEDIATE');
    s.set('pbx', 2, event('pbx', 2, 'b'));
    let acked = false;
    s.whenDurable(() => {
      acked = true;
    });
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    while (troubles.length === 0) await new Promise((r) => setTimeout(r, 50));
    loop.disable();
    expect(acked).toBe(false);
    expect(s.get('pbx')).toBe(1);
    expect(troubles[0]).toMatch(/SQLITE_BUSY.*nothing after it is acknowledged/);
    // The worker waited 5 s for the lock; this thread did not.
    expect(loop.max / 1e6).toBeLessThan(1_000);
    blocker.exec('COMMIT');
    blocker.close();
    await durable(s);
    expect(acked).toBe(true);
    expect(s.get('pbx')).toBe(2);
    expect(onDisk(path).journal.map((r) => r.key)).toEqual(['pbx/a', 'pbx/b']);
  }, 30_000);
});
