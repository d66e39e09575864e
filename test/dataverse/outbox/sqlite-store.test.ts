import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import { describeOutboxStoreContract } from './store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'outbox-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describeOutboxStoreContract('SQLite file', {
  create: () => new SqliteOutboxStore(join(dir, `contract-${++n}.db`)),
  reopen: (store) => new SqliteOutboxStore((store as SqliteOutboxStore).path),
});
describeOutboxStoreContract('SQLite in memory', { create: () => new SqliteOutboxStore(':memory:') });
// `due` and `nextDueAt` as queries: the reference the default view (due-view.ts) is tested against.
describeOutboxStoreContract('SQLite file, due from SQL', {
  create: () => new SqliteOutboxStore(join(dir, `contract-${++n}.db`), { dueFrom: 'sql' }),
  reopen: (store) => new SqliteOutboxStore((store as SqliteOutboxStore).path, { dueFrom: 'sql' }),
});

describe('SqliteOutboxStore', () => {
  it('runs in WAL mode with synchronous FULL by default', () => {
    const path = join(dir, 'wal.db');
    const store = new SqliteOutboxStore(path);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    store.close();
  });

  it('reports a file that is not a database', () => {
    const path = join(dir, 'garbage.db');
    writeFileSync(path, 'this is not sqlite, just some text that is long enough to have a header'.repeat(20));
    expect(() => new SqliteOutboxStore(path)).toThrow(expect.objectContaining({ code: 'store-unavailable', message: expect.stringContaining(`cannot open the outbox database ${path}`) }));
  });

  it('refuses a newer layout instead of guessing', () => {
    const path = join(dir, 'newer.db');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new SqliteOutboxStore(path)).toThrow(`outbox ${path} has layout 99, newer than this program's 2`);
  });

  it('reports a directory that does not exist', () => {
    expect(() => new SqliteOutboxStore(join(dir, 'no', 'such', 'dir.db'))).toThrow(expect.objectContaining({ code: 'store-unavailable' }));
  });
});
