// The outbox file's layout: its tables, the statements that must be the same on the store's connection and
// on its writer thread's (sqlite-store.ts, writer.ts), and the store's own statements.
import type Database from 'better-sqlite3';

// 2: if_exists (update of an existing record's fields); a layout-1 file gains the column on open.
export const LAYOUT_VERSION = 2;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  entity_set TEXT NOT NULL,
  body TEXT NOT NULL,
  on_behalf_of TEXT,
  depends_on TEXT,
  if_exists TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  last_error_code TEXT,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at, seq);
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  entity_set TEXT NOT NULL,
  body TEXT NOT NULL,
  on_behalf_of TEXT,
  depends_on TEXT,
  if_exists TEXT,
  attempts INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  failed_at INTEGER NOT NULL,
  error_code TEXT NOT NULL,
  error_message TEXT NOT NULL,
  status INTEGER
);
`;

// One statement: an id taken by a dead letter inserts nothing, one taken in the outbox breaks its UNIQUE constraint.
export const INSERT_SQL = `INSERT INTO outbox (id, kind, entity_set, body, on_behalf_of, depends_on, if_exists, next_attempt_at, enqueued_at)
  SELECT @id, @kind, @entity_set, @body, @on_behalf_of, @depends_on, @if_exists, @now, @now
  WHERE NOT EXISTS (SELECT 1 FROM dead_letters WHERE id = @id)`;
export const REMOVE_SQL = 'DELETE FROM outbox WHERE id = ?';

// A write is ready when its dependency is no longer waiting (delivered, or dead: then
// its dependant tries anyway and fails on its own merits instead of waiting forever).
const READY = `next_attempt_at <= @now AND (depends_on IS NULL OR depends_on NOT IN (SELECT id FROM outbox))`;

/** The store connection's statements, prepared once when it opens (sqlite-store.ts). */
export function prepareStatements(db: Database.Database) {
  return {
    insert: db.prepare(INSERT_SQL),
    get: db.prepare('SELECT * FROM outbox WHERE id = ?'),
    due: db.prepare(`SELECT * FROM outbox WHERE ${READY} ORDER BY seq LIMIT @limit`),
    nextDue: db.prepare(`SELECT id, next_attempt_at FROM outbox WHERE (depends_on IS NULL OR depends_on NOT IN (SELECT id FROM outbox)) ORDER BY next_attempt_at, seq LIMIT @limit`),
    remove: db.prepare(REMOVE_SQL),
    reschedule: db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = @at, last_error_code = @code, last_error = @message WHERE id = @id'),
    bury: db.prepare(`INSERT INTO dead_letters (seq, id, kind, entity_set, body, on_behalf_of, depends_on, if_exists, attempts, enqueued_at, failed_at, error_code, error_message, status)
      SELECT seq, id, kind, entity_set, body, on_behalf_of, depends_on, if_exists, attempts + 1, enqueued_at, @now, @code, @message, @status FROM outbox WHERE id = @id`),
    dead: db.prepare('SELECT * FROM dead_letters ORDER BY seq'),
    deadOne: db.prepare('SELECT * FROM dead_letters WHERE id = ?'),
    unbury: db.prepare(`INSERT INTO outbox (seq, id, kind, entity_set, body, on_behalf_of, depends_on, if_exists, attempts, next_attempt_at, enqueued_at, last_error_code, last_error)
      SELECT seq, id, kind, entity_set, body, on_behalf_of, depends_on, if_exists, attempts, @now, enqueued_at, error_code, error_message FROM dead_letters WHERE id = @id`),
    forget: db.prepare('DELETE FROM dead_letters WHERE id = ?'),
    count: db.prepare('SELECT COUNT(*) AS n FROM outbox'),
    oldest: db.prepare('SELECT * FROM outbox ORDER BY seq LIMIT @limit'),
    waiting: db.prepare('SELECT seq, id, next_attempt_at, depends_on FROM outbox ORDER BY seq'),
    waitingOne: db.prepare('SELECT seq, id, next_attempt_at, depends_on FROM outbox WHERE id = ?'),
  };
}
