// The outbox file's layout: its tables and the statements that must be the same on the store's connection and
// on its writer thread's (sqlite-store.ts, writer.ts).

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
export const READY = `next_attempt_at <= @now AND (depends_on IS NULL OR depends_on NOT IN (SELECT id FROM outbox))`;
