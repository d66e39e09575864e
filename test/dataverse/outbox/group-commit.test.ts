// The outbox's `synchronous = GROUP` (issue 18): the store contract holds;
// `whenDurable` runs only after a WAL flush that began after the write, never
// on return; the writes of one turn share one flush; close flushes and runs
// what waits; a flush that fails confirms nothing and is tried again; a
// call's records go in one transaction.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import { WalSync } from '../../../src/dataverse/outbox/wal-sync.ts';
import { describeOutboxStoreContract } from './store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'outbox-group-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const write = (i: number) => ({ id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, kind: 'callLog' as const, entitySet: 'ctapi_calllogs', body: { ctapi_name: `call ${i}` } });
const durable = (s: SqliteOutboxStore) => new Promise<void>((resolve) => s.whenDurable(resolve));

describeOutboxStoreContract('SQLite file, synchronous GROUP', {
  create: () => new SqliteOutboxStore(join(dir, `contract-${++n}.db`), { synchronous: 'GROUP' }),
  reopen: (store) => new SqliteOutboxStore((store as SqliteOutboxStore).path, { synchronous: 'GROUP' }),
});

describe('SqliteOutboxStore with synchronous GROUP', () => {
  it('confirms durability after a WAL flush, one flush for the writes of a turn', async () => {
    const store = new SqliteOutboxStore(join(dir, 'group.db'), { synchronous: 'GROUP' });
    let confirmed = 0;
    for (let i = 1; i <= 20; i += 1) {
      store.enqueue(write(i), 0);
      store.whenDurable(() => (confirmed += 1));
    }
    expect(confirmed).toBe(0);
    await durable(store);
    expect(confirmed).toBe(20);
    // The first write started a flush; the 19 after it (and the waiter above) shared the next one.
    expect(store.walSync?.flushes).toBe(2);
    store.close();
  });

  it('flushes and confirms what waits when it closes, and the writes are there on reopening', () => {
    const path = join(dir, 'close.db');
    const store = new SqliteOutboxStore(path, { synchronous: 'GROUP' });
    store.enqueue(write(1), 0);
    let confirmed = false;
    store.whenDurable(() => (confirmed = true));
    store.close();
    expect(confirmed).toBe(true);
    const again = new SqliteOutboxStore(path, { synchronous: 'GROUP' });
    expect(again.pending()).toBe(1);
    again.close();
  });

  it('stores a call\'s records in one transaction: all or none, a caught duplicate-id keeping the rest', () => {
    const path = join(dir, 'atomic.db');
    const store = new SqliteOutboxStore(path, { synchronous: 'GROUP' });
    store.enqueue(write(1), 0);
    expect(() => store.atomically(() => {
      store.enqueue(write(2), 0);
      store.enqueue(write(3), 0);
      throw new Error('the recorder failed half-way');
    })).toThrow('half-way');
    expect(store.pending()).toBe(1);
    store.atomically(() => {
      for (const i of [1, 2, 3]) {
        try {
          store.enqueue(write(i), 0);
        } catch (err) {
          expect(err).toMatchObject({ code: 'duplicate-id' });
        }
      }
    });
    store.close();
    const again = new SqliteOutboxStore(path, { synchronous: 'GROUP' });
    expect(again.pending()).toBe(3);
    again.close();
  });

  it('refuses GROUP without WAL (an in-memory database)', () => {
    expect(() => new SqliteOutboxStore(':memory:', { synchronous: 'GROUP' })).toThrow(/GROUP needs WAL mode/);
  });
});

describe('WalSync', () => {
  it('confirms nothing while the WAL cannot be flushed and tries again', async () => {
    const wal = join(dir, 'missing.db-wal');
    const troubles: string[] = [];
    const sync = new WalSync(wal, (m) => troubles.push(m));
    let confirmed = false;
    sync.whenDurable(() => (confirmed = true));
    expect(troubles[0]).toMatch(/could not be flushed .*ENOENT.*trying again in 1 s/);
    await new Promise((r) => setTimeout(r, 300));
    expect(confirmed).toBe(false);
    writeFileSync(wal, 'frames');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(confirmed).toBe(true);
    expect(sync.flushes).toBe(1);
    sync.close();
  });
});
