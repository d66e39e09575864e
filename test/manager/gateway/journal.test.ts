// Acknowledgement follows durability (issue 11, break 2): an event the
// manager cannot journal (its DataDir full or read-only) is not acknowledged;
// the connection closes and the connector's resend is accepted once the
// journal can be written again. Accepted call events stay in the journal until
// forgotten, and a new gateway on the same store applies them again.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySeqStore, type JournaledEvent } from '../../../src/manager/gateway/seq-store.ts';
import { SqliteSeqStore } from '../../../src/manager/gateway/sqlite-seq-store.ts';
import { startGateway } from '../support/gateway.ts';
import { RawConnector, until } from '../support/raw-connector.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A store whose writes fail while `full` is set, as SQLite's do on a full disk. */
class FullDiskStore extends MemorySeqStore {
  full = false;
  override set(host: string, seq: number, event?: JournaledEvent): void {
    if (this.full) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    super.set(host, seq, event);
  }
}

/** A store whose commits wait until `release` (the journal's worker behind a busy disk or CPU). */
class LaggingStore extends MemorySeqStore {
  #durable = new Map<string, number>();
  #pending = new Map<string, number>();
  #waiting: (() => void)[] = [];
  override get(host: string): number | undefined {
    return this.#durable.get(host);
  }
  override set(host: string, seq: number, event?: JournaledEvent): void {
    super.set(host, seq, event);
    this.#pending.set(host, seq);
  }
  override whenDurable(run: () => void): void {
    this.#waiting.push(run);
  }
  release(): void {
    for (const [host, seq] of this.#pending) this.#durable.set(host, seq);
    for (const run of this.#waiting.splice(0)) run();
  }
}

describe('the event journal', () => {
  it('a connector that comes back while its events are not yet durable is told the durable point, and its resends are not applied twice', async () => {
    const seqs = new LaggingStore();
    const g = await startGateway({}, { seqs });
    cleanups.push(() => g.stop());
    const c = await RawConnector.registered(g.port, 'pbx.test', 0);
    cleanups.push(() => c.close());
    c.lines(['20']);
    c.call(1, 'a', '20');
    c.call(2, 'a', '20', 'connected');
    await until(() => g.calls.length === 2);
    expect(c.lastAck()).toBeUndefined(); // nothing durable, nothing acknowledged
    c.close();
    // It saw no ack: it claims 0, is told 0 (nothing is durable) and sends both again, then a new one.
    const again = await RawConnector.registered(g.port, 'pbx.test', 0);
    cleanups.push(() => again.close());
    expect(again.of('registered')[0]?.lastAckedSeq).toBe(0);
    again.lines(['20']);
    again.call(1, 'a', '20');
    again.call(2, 'a', '20', 'connected');
    again.call(3, 'a', '20', 'idle');
    await until(() => g.calls.length >= 3);
    seqs.release();
    await again.waitFor(() => again.lastAck() === 3);
    expect(g.calls.map((e) => e.event.state)).toEqual(['offering', 'connected', 'idle']);
  });

  it('acknowledges nothing it could not journal; the resend is accepted once the disk has room', async () => {
    const seqs = new FullDiskStore();
    const g = await startGateway({}, { seqs });
    cleanups.push(() => g.stop());
    const c = await RawConnector.registered(g.port);
    cleanups.push(() => c.close());
    c.lines(['20']);
    c.call(1, 'a', '20');
    await c.waitFor(() => c.lastAck() === 1);
    seqs.full = true;
    c.call(2, 'a', '20', 'connected');
    await c.closedPromise;
    expect(c.lastAck()).toBe(1);
    expect(g.calls.filter((e) => e.event.state === 'connected')).toHaveLength(0);

    seqs.full = false;
    const again = await RawConnector.registered(g.port, 'pbx.test', 1);
    cleanups.push(() => again.close());
    again.lines(['20']);
    again.call(2, 'a', '20', 'connected');
    await again.waitFor(() => again.lastAck() === 2);
    expect(g.calls.filter((e) => e.event.state === 'connected')).toHaveLength(1);
    expect(seqs.journal().map((e) => `${e.key} ${e.message.command === 'callState' ? e.message.state : ''}`)).toEqual(['pbx.test/a offering', 'pbx.test/a connected']);
  });

  it('keeps accepted call events in SQLite until forgotten; a new gateway on the same file applies them again', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'crm-tapi-journal-')), 'manager-state.sqlite');
    const first = await startGateway({}, { seqs: new SqliteSeqStore(path) });
    const c = await RawConnector.registered(first.port);
    c.lines(['20', '21']);
    c.call(1, 'a', '20');
    c.call(2, 'b', '21');
    c.call(3, 'b', '21', 'idle');
    await c.waitFor(() => c.lastAck() === 3);
    first.seqs.forget(['pbx.test/b']);
    c.close();
    await first.stop();
    first.seqs.close();

    const seqs = new SqliteSeqStore(path);
    const second = await startGateway({}, { seqs });
    cleanups.push(() => seqs.close());
    cleanups.push(() => second.stop());
    expect(second.gateway.restoreJournal()).toBe(1);
    await until(() => second.calls.length === 1);
    expect(second.calls.map((e) => `${e.callKey} ${e.event.state}`)).toEqual(['pbx.test/a offering']);
    expect(seqs.get('pbx.test')).toBe(3);
  });
});
