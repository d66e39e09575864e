// The manager's state file (DataDir/manager-state.sqlite): its tables, its statements, and the source of the
// worker thread that commits them at `synchronous = FULL` (sqlite-seq-store.ts), with the messages between them.
import { BACKGROUND_THREAD_JS } from '../../platform/thread-priority.ts';

/** One write in acceptance order: a seq moves (and maybe an event is journaled), or keys are forgotten. */
export type Op = { k: 's'; host: string; seq: number; id?: number; jkey?: string; jhost?: string; msg?: string } | { k: 'f'; keys: readonly string[] };

export const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS connector_seq (host TEXT PRIMARY KEY, seq INTEGER NOT NULL)',
  'CREATE TABLE IF NOT EXISTS event_journal (id INTEGER PRIMARY KEY AUTOINCREMENT, host TEXT NOT NULL, key TEXT NOT NULL, message TEXT NOT NULL)',
  'CREATE INDEX IF NOT EXISTS event_journal_key ON event_journal (key)',
];
export const SET_SQL = 'INSERT INTO connector_seq (host, seq) VALUES (?, ?) ON CONFLICT(host) DO UPDATE SET seq = excluded.seq';
export const APPEND_SQL = 'INSERT OR IGNORE INTO event_journal (id, host, key, message) VALUES (?, ?, ?, ?)';
export const FORGET_SQL = 'DELETE FROM event_journal WHERE key = ?';
// Plain CommonJS so it runs in a worker without a TypeScript loader (tsx, vitest). The same SQL as above, passed in.
export const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
${BACKGROUND_THREAD_JS}
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
const set = db.prepare(workerData.sql.set), append = db.prepare(workerData.sql.append), forget = db.prepare(workerData.sql.forget);
const write = db.transaction((ops) => {
  for (const op of ops) {
    if (op.k === 's') { set.run(op.host, op.seq); if (op.id !== undefined) append.run(op.id, op.jhost, op.jkey, op.msg); }
    else for (const key of op.keys) forget.run(key);
  }
});
const done = new Int32Array(workerData.done);
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  let reply;
  try { write(m.ops); reply = { batch: m.batch, ok: true }; }
  catch (error) { reply = { batch: m.batch, ok: false, message: String(error && error.message), code: error && error.code }; }
  Atomics.store(done, 0, m.batch);
  Atomics.notify(done, 0);
  parentPort.postMessage(reply);
});
`;

export type Reply = { batch: number; ok: true } | { batch: number; ok: false; message: string; code?: string };
