// Helpers for the durable-buffer tests: temp files, events, and a "crash"
// that leaves exactly what a killed process leaves on disk.
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferJournal } from '../../../src/connector/buffer-journal.ts';
import { EventBuffer, type OutgoingEvent } from '../../../src/connector/event-buffer.ts';

export const HOST = 'journal.test';

export function tempDir(prefix = 'crm-tapi-journal-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const ts = (n: number): string => new Date(Date.UTC(2024, 0, 1, 0, 0, 0, n)).toISOString();

export function callEvent(n: number): OutgoingEvent {
  return { channel: 'connector', command: 'callState', timestamp: ts(n), line: '20', callId: `c${n}`, state: 'offering', origin: 'inbound', callerNumber: `+4930${n}`, snapshot: false };
}

export function lineEvent(n: number): OutgoingEvent {
  return { channel: 'connector', command: 'lineState', line: String(20 + (n % 10)), inService: n % 2 === 0 };
}

/** A buffer on `path` with its journal (restored from what the file holds). */
export function openDurable(path: string, capacity: number, restoredAt = ts(999)): { buffer: EventBuffer; journal: BufferJournal } {
  const journal = BufferJournal.open(path, { host: HOST, lockTimeoutMs: 0 });
  const buffer = new EventBuffer(capacity, { store: journal, restored: journal.takeRestored(), restoredAt });
  return { buffer, journal };
}

/**
 * What a process killed now leaves behind: the database and its WAL as they
 * are on disk (committed transactions only), copied to `to` while the
 * "dead" process still holds its lock on the original.
 */
export function crashCopy(from: string, to: string): void {
  copyFileSync(from, to);
  if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${to}-wal`);
}
