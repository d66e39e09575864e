// The BufferFile's exact outcomes: unreadable rows, files that are not ours,
// a second opener, a smaller capacity, a failing disk.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferJournal, BufferJournalError } from '../../../src/connector/buffer-journal.ts';
import { DurableBuffer } from '../../../src/connector/durable-buffer.ts';
import { EventBuffer } from '../../../src/connector/event-buffer.ts';
import { until } from '../support/fake-manager.ts';
import { LogCapture } from '../support/harness.ts';
import { HOST, callEvent, lineEvent, openDurable, tempDir, ts } from '../support/journal.ts';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(dir, `j${(n += 1)}.sqlite`);

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BufferJournalError);
    return { code: (err as BufferJournalError).code, message: (err as Error).message };
  }
  throw new Error('expected a BufferJournalError');
}

const digest = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Writes `count` call events into a new journal and closes it. */
function written(path: string, count: number, capacity = 100): void {
  const { buffer, journal } = openDurable(path, capacity);
  for (let i = 1; i <= count; i += 1) buffer.push(callEvent(i), ts(i));
  buffer.flush();
  journal.close();
}

describe('BufferJournal', () => {
  it('a new file starts empty and continues the sequence after a clean close', () => {
    const path = fresh();
    const first = openDurable(path, 10);
    expect(first.buffer.restoreReport).toEqual({ held: 0, unreadable: [], overCapacity: 0 });
    for (let i = 1; i <= 3; i += 1) first.buffer.push(lineEvent(i), ts(i));
    first.buffer.flush();
    first.buffer.ack(1);
    first.buffer.flush();
    first.journal.close();
    const second = openDurable(path, 10);
    expect(second.buffer.stats).toMatchObject({ lastSeq: 3, ackedSeq: 1, size: 2 });
    expect(second.buffer.after(0).map((m) => m.seq)).toEqual([2, 3]);
    expect(second.buffer.push(lineEvent(4), ts(4)).map((m) => m.seq)).toEqual([4]);
    second.journal.close();
  });

  it('an undecodable row becomes an eventsLost of count 1 under its seq, is logged with its seq, and is counted once', () => {
    const path = fresh();
    written(path, 3);
    const raw = new Database(path);
    raw.prepare('UPDATE events SET message = ? WHERE seq = 2').run('<tapiaction name="connector"><command>callState</comm');
    raw.close();
    const logs = new LogCapture();
    const journal = BufferJournal.open(path, { host: HOST });
    const durable = new DurableBuffer({ capacity: 100, journal, log: pino({ level: 'debug' }, logs), timestamp: ts(999), committed: () => undefined });
    const { buffer } = durable;
    expect(buffer.restoreReport).toEqual({ held: 3, unreadable: [2], overCapacity: 0 });
    expect(buffer.after(0).map((m) => [m.seq, m.command])).toEqual([
      [1, 'callState'],
      [2, 'eventsLost'],
      [3, 'callState'],
    ]);
    expect(buffer.get(2)).toEqual({ channel: 'connector', command: 'eventsLost', seq: 2, count: 1, firstTimestamp: ts(2), lastTimestamp: ts(2) });
    expect(buffer.stats.lostTotal).toBe(1);
    const record = logs.records.find((r) => r.seq === 2);
    expect(record?.msg).toBe('BufferFile: the event with seq 2 cannot be read; the manager receives an eventsLost in its place');
    expect(String(record?.problem)).toMatch(/^malformed-xml: /);
    durable.close();
    // The row was rewritten as the loss record: the next start neither reports nor counts it again.
    const again = openDurable(path, 100);
    expect(again.buffer.restoreReport?.unreadable).toEqual([]);
    expect(again.buffer.stats.lostTotal).toBe(1);
    expect(again.buffer.get(2)?.command).toBe('eventsLost');
    again.journal.close();
  });

  it('a row holding a valid message that is not a sequenced event (or another seq) is unreadable too', () => {
    const path = fresh();
    written(path, 2);
    const raw = new Database(path);
    raw.prepare('UPDATE events SET message = ? WHERE seq = 1').run('<?xml version="1.0" encoding="utf-8"?><tapiaction name="connector"><command>keepalive</command></tapiaction>');
    raw.prepare('UPDATE events SET message = (SELECT message FROM events WHERE seq = 2), at = ? WHERE seq = 2').run('not a time');
    raw.prepare('UPDATE events SET message = replace(message, \'<seq>2</seq>\', \'<seq>7</seq>\') WHERE seq = 2').run();
    raw.close();
    const { buffer, journal } = openDurable(path, 100, ts(500));
    expect(buffer.restoreReport?.unreadable).toEqual([1, 2]);
    // No readable time in row 2: its loss record carries the restore time.
    expect(buffer.get(2)).toMatchObject({ command: 'eventsLost', firstTimestamp: ts(500) });
    journal.close();
  });

  it('a file that is not SQLite is refused and left untouched', () => {
    const path = fresh();
    writeFileSync(path, 'operator notes, not a database\n'.repeat(40));
    const before = digest(path);
    const err = codeOf(() => BufferJournal.open(path, { host: HOST }));
    expect(err.code).toBe('buffer-file-not-database');
    expect(err.message).toBe(`BufferFile ${path} is not an SQLite database (not a connector buffer); the file is left untouched — choose another path`);
    expect(digest(path)).toBe(before);
  });

  it('an SQLite database of another application is refused and left untouched', () => {
    const path = fresh();
    const raw = new Database(path);
    raw.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Contoso')");
    raw.close();
    const before = digest(path);
    const err = codeOf(() => BufferJournal.open(path, { host: HOST }));
    expect(err.code).toBe('buffer-file-foreign');
    expect(err.message).toBe(`BufferFile ${path} is an SQLite database of another application (application_id 0, tables customers), not a connector buffer; the file is left untouched — choose another path`);
    expect(digest(path)).toBe(before);
  });

  it("another host's buffer is refused", () => {
    const path = fresh();
    written(path, 1);
    const err = codeOf(() => BufferJournal.open(path, { host: 'other.host' }));
    expect(err.code).toBe('buffer-file-other-host');
    expect(err.message).toContain(`holds the events of ConnectorHost "${HOST}", not "other.host"`);
  });

  it('impossible state is refused as corrupt', () => {
    const path = fresh();
    written(path, 2);
    const raw = new Database(path);
    raw.prepare('UPDATE state SET acked_seq = 9').run();
    raw.close();
    const err = codeOf(() => BufferJournal.open(path, { host: HOST }));
    expect(err.code).toBe('buffer-file-corrupt');
    expect(err.message).toContain('impossible sequence state (last 2, acknowledged 9, lost 0)');
  });

  it('a second opener gets buffer-file-locked until the first closes', () => {
    const path = fresh();
    const first = BufferJournal.open(path, { host: HOST });
    const err = codeOf(() => BufferJournal.open(path, { host: HOST, lockTimeoutMs: 0 }));
    expect(err.code).toBe('buffer-file-locked');
    expect(err.message).toBe(`BufferFile ${path} is used by another connector process (it is locked); stop that process or give this connector its own BufferFile`);
    first.close();
    BufferJournal.open(path, { host: HOST }).close();
  });

  it('a smaller capacity keeps the oldest entries and counts the newest into the pending loss', () => {
    const path = fresh();
    const { buffer, journal } = openDurable(path, 10);
    for (let i = 1; i <= 12; i += 1) buffer.push(callEvent(i), ts(i)); // 10 held, 2 counted as lost
    buffer.flush();
    journal.close();
    const small = openDurable(path, 4);
    expect(small.buffer.restoreReport).toEqual({ held: 4, unreadable: [], overCapacity: 6 });
    expect(small.buffer.after(0).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(small.buffer.stats).toMatchObject({ lastSeq: 4, ackedSeq: 0, size: 4, lostTotal: 8, pendingLoss: { count: 8, firstTimestamp: ts(5), lastTimestamp: ts(12) } });
    // As soon as there is room the manager hears of all eight, in the place right after what was kept.
    expect(small.buffer.ack(2)).toEqual([{ channel: 'connector', command: 'eventsLost', seq: 5, count: 8, firstTimestamp: ts(5), lastTimestamp: ts(12) }]);
    small.buffer.flush();
    small.journal.close();
    // The rows above the kept ones are gone from the file.
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT seq FROM events ORDER BY seq').all()).toEqual([{ seq: 3 }, { seq: 4 }, { seq: 5 }]);
    raw.close();
  });

  it('a larger capacity appends a waiting loss record at once', () => {
    const path = fresh();
    const { buffer, journal } = openDurable(path, 3);
    for (let i = 1; i <= 5; i += 1) buffer.push(lineEvent(i), ts(i));
    buffer.flush();
    journal.close();
    const big = openDurable(path, 10);
    // The restored rows are committed; the new loss record is not sendable before its commit.
    expect(big.buffer.after(0).map((m) => m.command)).toEqual(['lineState', 'lineState', 'lineState']);
    expect(big.buffer.stats.lastSeq).toBe(4);
    big.buffer.flush();
    expect(big.buffer.after(0).map((m) => [m.seq, m.command])).toEqual([
      [1, 'lineState'],
      [2, 'lineState'],
      [3, 'lineState'],
      [4, 'eventsLost'],
    ]);
    big.journal.close();
  });

  it('a failed commit keeps the changes and sends nothing unsaved; a later flush writes them', () => {
    let failing = true;
    const committed: number[][] = [];
    const store = {
      commit(change: { entries: readonly { message: { seq: number } }[] }) {
        if (failing) throw new BufferJournalError('buffer-file-write-failed', 'disk full');
        committed.push(change.entries.map((e) => e.message.seq));
      },
    };
    const buffer = new EventBuffer(10, { store });
    buffer.push(lineEvent(1), ts(1));
    expect(() => buffer.flush()).toThrow('disk full');
    buffer.push(lineEvent(2), ts(2));
    expect(buffer.get(1)).toBeUndefined();
    failing = false;
    expect(buffer.flush()).toBe(true);
    expect(committed).toEqual([[1, 2]]);
    expect(buffer.get(1)?.seq).toBe(1);
  });

  it('continueAfter numbers on after a manager point beyond the buffer', () => {
    const path = fresh();
    const { buffer, journal } = openDurable(path, 10);
    buffer.push(lineEvent(1), ts(1));
    buffer.flush();
    buffer.continueAfter(40);
    expect(buffer.stats).toMatchObject({ lastSeq: 40, ackedSeq: 40, size: 0 });
    expect(buffer.push(lineEvent(2), ts(2)).map((m) => m.seq)).toEqual([41]);
    buffer.flush();
    journal.close();
    const again = openDurable(path, 10);
    expect(again.buffer.after(0).map((m) => m.seq)).toEqual([41]);
    again.journal.close();
  });
});

describe('DurableBuffer', () => {
  it('commits new entries at the end of the turn, then makes them sendable; a moved ack point waits for ackCommitMs', async () => {
    const journal = BufferJournal.open(fresh(), { host: HOST });
    let pumped = 0;
    const durable = new DurableBuffer({ capacity: 10, journal, log: pino({ level: 'silent' }), timestamp: ts(0), committed: () => (pumped += 1), ackCommitMs: 40 });
    const { buffer } = durable;
    buffer.push(lineEvent(1), ts(1));
    expect(buffer.get(1)).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(buffer.get(1)?.seq).toBe(1);
    expect(pumped).toBe(1);
    buffer.ack(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(buffer.dirty).toBe(true);
    await until(() => !buffer.dirty, 5_000, 'the lazy ack commit');
    expect(pumped).toBe(1);
    durable.close();
    const again = openDurable(journal.path, 10);
    expect(again.buffer.stats).toMatchObject({ lastSeq: 1, ackedSeq: 1, size: 0 });
    again.journal.close();
  });
});

describe('EventBuffer.restore without a store file', () => {
  it('missing rows in the held range become loss records at the restore time', () => {
    const b = new EventBuffer(10, {
      restored: { state: { lastSeq: 3, ackedSeq: 1, lostTotal: 0, pendingLoss: undefined, announced: true }, rows: [] },
      restoredAt: ts(7),
    });
    expect(b.after(0)).toEqual([
      { channel: 'connector', command: 'eventsLost', seq: 2, count: 1, firstTimestamp: ts(7), lastTimestamp: ts(7) },
      { channel: 'connector', command: 'eventsLost', seq: 3, count: 1, firstTimestamp: ts(7), lastTimestamp: ts(7) },
    ]);
    expect(b.announced).toBe(true);
  });
});
