// DurableRecording (issue 18): call ends are recorded after the I/O that is
// ready (popups first), a few per turn with one transaction per turn, and a
// call's journaled events are forgotten only once its records are queued and
// durable — a call whose records cannot be built, or a turn the store refuses,
// stays in the journal and is tried again.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableRecording } from '../../../src/manager/records/durable.ts';
import type { PreparedRecords, RecordedCall } from '../../../src/manager/records/recorder.ts';
import type { TrackedCall } from '../../../src/manager/routing/calls.ts';
import { loopbackPair } from '../../support/loopback-pair.ts';

const logger = pino({ level: 'silent' });

function call(n: number, extra: Partial<TrackedCall> = {}): TrackedCall {
  return {
    callKey: `pbx/${n}`, line: 'pbx:21', connectorHost: 'pbx', callId: String(n), origin: 'inbound', incoming: true, number: '0301234', state: 'idle',
    startedAt: '2026-01-01T10:00:00.000Z', answeredElsewhere: false, seenBy: new Set(), entitled: new Set(), targets: new Map(),
    lastEventAt: 0 as TrackedCall['lastEventAt'], lastTimestamp: '2026-01-01T10:01:00.000Z', ...extra,
  };
}

/** A recorder that notes what it was asked; `failPrepare` / `failStore` make it refuse. */
function fakeRecorder(log: string[], o: { failPrepare?: Set<string>; failStore?: () => boolean } = {}) {
  const prepared = (c: TrackedCall): PreparedRecords => ({ writes: [{ id: c.callKey, kind: 'callLog', entitySet: 'x', body: {} }], recorded: { callLogId: c.callKey } });
  const transactions: string[][] = [];
  return {
    transactions,
    async prepare(c: TrackedCall): Promise<PreparedRecords> {
      log.push(`prepare ${c.callKey}`);
      if (o.failPrepare?.has(c.callKey)) throw new Error('user record unreadable');
      return prepared(c);
    },
    enqueue(calls: readonly PreparedRecords[]): void {
      if (o.failStore?.() === true) throw new Error('disk full');
      transactions.push(calls.map((c) => c.recorded.callLogId));
    },
    async record(c: TrackedCall): Promise<RecordedCall | undefined> {
      log.push(`record ${c.callKey}`);
      if (o.failPrepare?.has(c.callKey) || o.failStore?.() === true) return undefined;
      transactions.push([c.callKey]);
      return { callLogId: c.callKey };
    },
  };
}

const until = async (check: () => boolean, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
};

let recording: DurableRecording | undefined;
afterEach(() => recording?.stop());

describe('DurableRecording', () => {
  it('records a call end only after the I/O that was ready when the call ended (a popup waiting on a socket goes first)', async () => {
    const { client, peer, close } = await loopbackPair();
    const log: string[] = [];
    peer.on('data', () => log.push('socket data'));
    recording = new DurableRecording({ recorder: fakeRecorder(log), journal: { forget: (k) => log.push(`forget ${k.join()}`) }, logger });
    for (let round = 0; round < 20; round += 1) {
      log.length = 0;
      client.write('x'); // in the kernel on return: readable at the next poll
      recording.finished(call(round), [`k${round}`]);
      await until(() => log.includes(`forget k${round}`));
      expect(log.indexOf('socket data')).toBeGreaterThanOrEqual(0);
      expect(log.indexOf('socket data')).toBeLessThan(log.indexOf(`prepare pbx/${round}`));
    }
    close();
  });

  it('records at most perTurn call ends per turn, each turn in one transaction, and forgets each call once its records are durable', async () => {
    const log: string[] = [];
    const recorder = fakeRecorder(log);
    const forgotten: string[] = [];
    const durable: (() => void)[] = [];
    recording = new DurableRecording({ recorder, journal: { forget: (k) => forgotten.push(...k) }, whenRecordsDurable: (run) => durable.push(run), logger, perTurn: 4 });
    for (let n = 0; n < 10; n += 1) recording.finished(call(n), [`k${n}`]);
    expect(recording.waiting).toBe(10);
    expect(log).toEqual([]); // nothing on the caller's turn
    await until(() => recorder.transactions.length === 3);
    expect(recorder.transactions).toEqual([['pbx/0', 'pbx/1', 'pbx/2', 'pbx/3'], ['pbx/4', 'pbx/5', 'pbx/6', 'pbx/7'], ['pbx/8', 'pbx/9']]);
    expect(recording.turns).toBe(3);
    expect(recording.waiting).toBe(0);
    expect(forgotten).toEqual([]); // queued, not yet durable: the journal keeps them
    for (const run of durable.splice(0)) run();
    expect(forgotten.sort()).toEqual(Array.from({ length: 10 }, (_, n) => `k${n}`).sort());
  });

  it('a call whose records cannot be built stays in the journal and is tried again; the others of its turn are forgotten', async () => {
    const log: string[] = [];
    const failing = new Set(['pbx/1']);
    const recorder = fakeRecorder(log, { failPrepare: failing });
    const forgotten: string[] = [];
    recording = new DurableRecording({ recorder, journal: { forget: (k) => forgotten.push(...k) }, logger, firstRetryMs: 20 });
    for (let n = 0; n < 3; n += 1) recording.finished(call(n), [`k${n}`]);
    await until(() => forgotten.length === 2);
    expect(forgotten.sort()).toEqual(['k0', 'k2']);
    await until(() => log.includes('record pbx/1'));
    expect(forgotten).not.toContain('k1');
    failing.clear(); // the CRM answers again
    await until(() => forgotten.includes('k1'));
    expect(recorder.transactions.flat().sort()).toEqual(['pbx/0', 'pbx/1', 'pbx/2']);
  });

  it('a turn the store refuses is stored by none and forgotten by none; every call of it is tried again', async () => {
    const log: string[] = [];
    let broken = true;
    const recorder = fakeRecorder(log, { failStore: () => broken });
    const forgotten: string[] = [];
    recording = new DurableRecording({ recorder, journal: { forget: (k) => forgotten.push(...k) }, logger, firstRetryMs: 20 });
    for (let n = 0; n < 3; n += 1) recording.finished(call(n), [`k${n}`]);
    await until(() => log.filter((l) => l.startsWith('record ')).length >= 3);
    expect(forgotten).toEqual([]);
    expect(recorder.transactions).toEqual([]);
    broken = false;
    await until(() => forgotten.length === 3);
    expect(recorder.transactions.flat().sort()).toEqual(['pbx/0', 'pbx/1', 'pbx/2']);
  });

  it('a call answered elsewhere writes nothing and is forgotten', async () => {
    const log: string[] = [];
    const recorder = fakeRecorder(log);
    const forgotten: string[] = [];
    recording = new DurableRecording({ recorder, journal: { forget: (k) => forgotten.push(...k) }, logger });
    recording.finished(call(1, { answeredElsewhere: true }), ['k1']);
    await until(() => forgotten.length === 1);
    expect(log).toEqual([]);
    expect(recorder.transactions).toEqual([]); // no transaction for nothing
  });

  it('stop records what is still queued at once and retries nothing after', async () => {
    const log: string[] = [];
    const recorder = fakeRecorder(log, { failPrepare: new Set(['pbx/2']) });
    const forgotten: string[] = [];
    recording = new DurableRecording({ recorder, journal: { forget: (k) => forgotten.push(...k) }, logger, firstRetryMs: 5 });
    for (let n = 0; n < 3; n += 1) recording.finished(call(n), [`k${n}`]);
    recording.stop();
    expect(log).toEqual(['record pbx/0', 'record pbx/1', 'record pbx/2']);
    await until(() => forgotten.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(log.filter((l) => l === 'record pbx/2')).toHaveLength(1);
    expect(forgotten.sort()).toEqual(['k0', 'k1']);
  });

  it('with an outbox that writes off the event loop: forgets a turn\'s calls only once its writer settled; a refused turn is tried again, nothing forgotten', async () => {
    const log: string[] = [];
    const recorder = fakeRecorder(log);
    const pending: { calls: string[]; resolve: () => void; reject: (e: Error) => void }[] = [];
    const later = Object.assign(recorder, {
      enqueueLater: (calls: readonly PreparedRecords[]) => new Promise<void>((resolve, reject) => pending.push({ calls: calls.map((c) => c.recorded.callLogId), resolve, reject })),
    });
    const forgotten: string[] = [];
    let durableAsked = 0;
    recording = new DurableRecording({ recorder: later, journal: { forget: (k) => forgotten.push(...k) }, whenRecordsDurable: (run) => {
      durableAsked += 1;
      run();
    }, logger, perTurn: 4, firstRetryMs: 20 });
    for (let n = 0; n < 6; n += 1) recording.finished(call(n), [`k${n}`]);
    await until(() => pending.length === 2);
    expect(pending.map((p) => p.calls)).toEqual([['pbx/0', 'pbx/1', 'pbx/2', 'pbx/3'], ['pbx/4', 'pbx/5']]);
    expect(recorder.transactions).toEqual([]); // nothing written on this thread
    await new Promise((r) => setTimeout(r, 30));
    expect(forgotten).toEqual([]);
    pending[0]!.resolve();
    await until(() => forgotten.length === 4);
    expect(forgotten).toEqual(['k0', 'k1', 'k2', 'k3']);
    // Settled means durable: the outbox's separate confirmation is not asked for.
    expect(durableAsked).toBe(0);
    pending[1]!.reject(new Error('disk full'));
    await until(() => log.filter((l) => l.startsWith('record ')).length === 2);
    expect(log.filter((l) => l.startsWith('record ')).sort()).toEqual(['record pbx/4', 'record pbx/5']);
    await until(() => forgotten.length === 6);
    expect(forgotten.slice(4).sort()).toEqual(['k4', 'k5']);
    expect(durableAsked).toBe(2); // the retry path writes on this thread and waits for the outbox's flush
  });
});
