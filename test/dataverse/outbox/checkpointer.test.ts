// WAL checkpoints in a worker thread: they happen, keep the WAL bounded, lose
// nothing across a close in the middle of one, and a worker that cannot work
// hands the job back to SQLite's inline autocheckpoint.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SAFETY_NET_PAGES, WalCheckpointer } from '../../../src/dataverse/outbox/checkpointer.ts';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import type { OutboxWrite } from '../../../src/dataverse/outbox/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'outbox-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (n: number): OutboxWrite => ({ id: randomUUID(), kind: 'callLog', entitySet: 'ctapi_calllogs', body: { ctapi_name: `call ${n}`, pad: 'x'.repeat(300) } });
const walBytes = (path: string): number => {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
};

describe('WAL checkpoints in a worker thread', () => {
  it('keeps the WAL small on its own when writes come in bursts', async () => {
    const path = join(dir, 'bursts.db');
    const store = new SqliteOutboxStore(path, { synchronous: 'NORMAL' });
    expect(store.checkpointer).toBeDefined();
    let largest = 0;
    for (let round = 0; round < 30; round += 1) {
      const ids = Array.from({ length: 50 }, (_, n) => store.enqueue(write(n), 0).id);
      store.delivered(ids);
      largest = Math.max(largest, walBytes(path));
      await store.checkpointer!.idle(); // the pause between bursts
    }
    expect(store.checkpointer!.checkpoints).toBeGreaterThan(0);
    expect(store.checkpointer!.failure).toBeUndefined();
    // 1,530 commits of several pages each: a WAL never restarted would pass 20 MB; restarted, it holds about one burst.
    expect(largest).toBeLessThan(2 * 1024 * 1024);
    expect(store.pending()).toBe(0);
    store.close();
  });

  it('stays within the safety net under writes without a pause', async () => {
    const path = join(dir, 'sustained.db');
    const store = new SqliteOutboxStore(path, { synchronous: 'NORMAL' });
    let largest = 0;
    for (let round = 0; round < 60; round += 1) {
      const ids = Array.from({ length: 50 }, (_, n) => store.enqueue(write(n), 0).id);
      store.delivered(ids);
      largest = Math.max(largest, walBytes(path));
      await new Promise((r) => setImmediate(r));
    }
    await store.checkpointer!.idle();
    expect(store.checkpointer!.checkpoints).toBeGreaterThan(0);
    // Bounded near the net, not growing with every commit (never restarted, 3,000 commits of several
    // pages pass 40 MB). The margin is one more net: while the worker's PASSIVE checkpoint is in
    // flight it holds a read mark, so the writer's own autocheckpoint cannot restart the WAL and
    // what is committed meanwhile adds to it — seen at 1,650 pages when CI's other files were
    // fsyncing heavily beside this one (docs/directory-and-outbox.md).
    expect(largest).toBeLessThan((2 * SAFETY_NET_PAGES + 512) * 4096);
    store.close();
  });

  it('loses nothing when the store closes during a checkpoint', async () => {
    const path = join(dir, 'close.db');
    const store = new SqliteOutboxStore(path);
    const kept: string[] = [];
    for (let n = 0; n < 300; n += 1) {
      const id = store.enqueue(write(n), 0).id;
      if (n % 3 === 0) store.delivered([id]);
      else kept.push(id);
    }
    store.close(); // a checkpoint may be running in the worker right now
    const again = new SqliteOutboxStore(path);
    expect(again.pending()).toBe(kept.length);
    expect(kept.every((id) => again.get(id) !== undefined)).toBe(true);
    again.close();
  });

  it('hands checkpoints back to SQLite when the worker cannot open the database, and the store keeps working', async () => {
    const path = join(dir, 'vanished.db');
    const store = new SqliteOutboxStore(path, { synchronous: 'NORMAL' });
    // The open connection keeps the data; a worker opening the path now finds nothing there.
    for (const suffix of ['', '-wal', '-shm']) unlinkSync(`${path}${suffix}`);
    for (let n = 0; n < 120; n += 1) store.enqueue(write(n), 0);
    while (store.checkpointer!.failure === undefined) await new Promise((r) => setTimeout(r, 5));
    expect(store.checkpointer!.failure).toMatch(/^checkpoint worker failed: /);
    const item = store.enqueue(write(999), 0);
    store.delivered([item.id]);
    expect(store.pending()).toBe(120);
    store.close();
  });

  it('calls the fallback once and then stays out of the way', async () => {
    const reasons: string[] = [];
    const checkpointer = new WalCheckpointer({ file: join(dir, 'no-such-file.db'), synchronous: 'FULL', everyCommits: 1, onFallback: (r) => reasons.push(r) });
    checkpointer.noteCommit();
    while (reasons.length === 0) await new Promise((r) => setTimeout(r, 5));
    checkpointer.noteCommit();
    checkpointer.noteCommit();
    await checkpointer.idle();
    expect(reasons).toHaveLength(1);
    expect(checkpointer.checkpoints).toBe(0);
    checkpointer.close();
  });

  it('is not used for an in-memory store or when asked for inline checkpoints', () => {
    const memory = new SqliteOutboxStore(':memory:');
    const inline = new SqliteOutboxStore(join(dir, 'inline.db'), { checkpoints: 'inline' });
    expect(memory.checkpointer).toBeUndefined();
    expect(inline.checkpointer).toBeUndefined();
    memory.close();
    inline.close();
  });
});
