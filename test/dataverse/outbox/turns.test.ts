// The delivery loop shares the manager's event loop: however long the backlog
// and however fast the transport answers, one turn of the event loop launches
// and forgets at most `concurrency` writes, and other work (timers, I/O) runs
// between turns. Assertions count turns and writes, never wall-clock time.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import type { OutboxEvent } from '../../../src/dataverse/outbox/events.ts';
import { Outbox } from '../../../src/dataverse/outbox/outbox.ts';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import type { OutboxStore, OutboxWrite } from '../../../src/dataverse/outbox/store.ts';
import type { OutboxTransport } from '../../../src/dataverse/outbox/transport.ts';
import { DataverseError } from '../../../src/dataverse/web-api/errors.ts';
import { turnCounter } from '../../support/turn-counter.ts';
import { loopbackPair } from '../../support/loopback-pair.ts';

const dir = mkdtempSync(join(tmpdir(), 'outbox-turns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (n: number, dependsOn?: string): OutboxWrite => ({
  id: randomUUID(), kind: 'callLog', entitySet: 'ctapi_calllogs', body: { ctapi_name: `call ${n}` }, ...(dependsOn === undefined ? {} : { dependsOn }),
});

type Answer = 'now' | 'microtasks' | 'immediate' | 'exists' | 'dead';

/** A transport answering in the given way per write (cycled); records the turn of every attempt. */
function transport(answers: readonly Answer[], turn: () => number, attemptsPerTurn: Map<number, number>, attempts: Map<string, number>): OutboxTransport {
  let n = 0;
  return {
    deliver: async (w) => {
      attemptsPerTurn.set(turn(), (attemptsPerTurn.get(turn()) ?? 0) + 1);
      attempts.set(w.id, (attempts.get(w.id) ?? 0) + 1);
      const answer = answers[n++ % answers.length]!;
      if (answer === 'microtasks') for (let k = 0; k < 5; k += 1) await Promise.resolve();
      if (answer === 'immediate') await new Promise((r) => setImmediate(r));
      if (answer === 'dead') throw new DataverseError('forbidden', 'HTTP 403', { status: 403 });
      return answer === 'exists' ? 'exists' : 'created';
    },
  };
}

/** Counts, per turn, the writes the store was told to forget. */
function countingStore(store: OutboxStore, turn: () => number, forgottenPerTurn: Map<number, number>): OutboxStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== 'delivered' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return (ids: readonly string[]) => {
        forgottenPerTurn.set(turn(), (forgottenPerTurn.get(turn()) ?? 0) + ids.length);
        (value as (ids: readonly string[]) => void).call(target, ids);
      };
    },
  });
}

describe('Outbox delivery turns', () => {
  fcTest.prop(
    {
      backlog: fc.integer({ min: 1, max: 240 }),
      concurrency: fc.integer({ min: 1, max: 12 }),
      answers: fc.array(fc.constantFrom<Answer>('now', 'microtasks', 'immediate', 'exists', 'dead'), { minLength: 1, maxLength: 6 }),
      chained: fc.boolean(),
    },
    { numRuns: 40 },
  )('never launches or forgets more than `concurrency` writes in one turn; every write is attempted once', async ({ backlog, concurrency, answers, chained }) => {
    const counter = turnCounter();
    const attemptsPerTurn = new Map<number, number>();
    const forgottenPerTurn = new Map<number, number>();
    const attempts = new Map<string, number>();
    const events: OutboxEvent[] = [];
    const store = countingStore(new SqliteOutboxStore(':memory:'), counter.now, forgottenPerTurn);
    const box = new Outbox({ store, transport: transport(answers, counter.now, attemptsPerTurn, attempts), concurrency, onEvent: (e) => events.push(e) });
    const ids: string[] = [];
    for (let n = 0; n < backlog; n += 1) {
      // Chained: every other write depends on the one before (a call log on its phone call).
      const item = box.enqueue(write(n, chained && n % 2 === 1 ? ids[n - 1] : undefined));
      ids.push(item.id);
    }
    box.start();
    await box.drained();
    counter.stop();
    try {
      expect(Math.max(...attemptsPerTurn.values())).toBeLessThanOrEqual(concurrency);
      expect(Math.max(0, ...forgottenPerTurn.values())).toBeLessThanOrEqual(concurrency);
      expect(ids.every((id) => attempts.get(id) === 1)).toBe(true);
      const delivered = events.filter((e) => e.type === 'delivered').length;
      const dead = events.filter((e) => e.type === 'dead').length;
      expect(delivered + dead).toBe(backlog);
      expect(box.stats()).toEqual({ pending: 0, inFlight: 0, deadLetters: dead });
    } finally {
      await box.close();
    }
  });

  it('lets a timer that fell due during a long backlog fire within two turns', async () => {
    const counter = turnCounter();
    let attempted = 0;
    let delivered = 0;
    const box = new Outbox({
      store: new SqliteOutboxStore(join(dir, 'timer.db'), { synchronous: 'NORMAL' }),
      transport: { deliver: async () => { attempted += 1; return 'created'; } },
      concurrency: 8,
      onEvent: (e) => { if (e.type === 'delivered') delivered += 1; },
    });
    for (let n = 0; n < 2000; n += 1) box.enqueue(write(n));
    const seen = new Promise<{ before: number; atTimer: number; turnsBetween: number }>((resolve) => {
      // Once delivery is under way, arm a timer and make sure it is already due when this callback ends.
      setImmediate(function armWhenBusy() {
        if (attempted < 40) return void setImmediate(armWhenBusy);
        const before = attempted;
        const turnAtArm = counter.now();
        setTimeout(() => resolve({ before, atTimer: attempted, turnsBetween: counter.now() - turnAtArm }), 0);
        const until = Date.now() + 3;
        while (Date.now() < until) { /* busy: the timer is due before the loop moves on */ }
      });
    });
    box.start();
    const { before, atTimer, turnsBetween } = await seen;
    await box.drained();
    counter.stop();
    await box.close();
    // A microtask-driven loop attempts all 2,000 writes in its first turn, before anything else runs.
    expect(before).toBeLessThan(2000 - 2 * 8);
    expect(turnsBetween).toBeLessThanOrEqual(2);
    expect(atTimer - before).toBeLessThanOrEqual(2 * 8);
    expect(delivered).toBe(2000);
  });

  it('keeps delivering after a turn whose store call failed', async () => {
    const inner = new SqliteOutboxStore(':memory:');
    let failNext = true;
    const store = new Proxy(inner, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (key === 'delivered') {
          return (ids: readonly string[]) => {
            if (failNext) {
              failNext = false;
              throw new Error('disk I/O error');
            }
            target.delivered(ids);
          };
        }
        return value.bind(target);
      },
    });
    const errors: string[] = [];
    const box = new Outbox({ store, transport: { deliver: async () => 'created' }, backoff: { baseMs: 5 }, logger: { info: () => undefined, warn: () => undefined, error: (_d, m) => errors.push(m) } });
    box.enqueue(write(1));
    box.start();
    box.enqueue(write(2));
    await box.drained();
    expect(errors).toContain('outbox delivery turn failed');
    expect(box.stats()).toEqual({ pending: 0, inFlight: 0, deadLetters: 0 });
    await box.close();
  });
});

describe('Outbox turns after failed attempts', () => {
  it('does not scan the waiting writes again for turns that only rescheduled failed attempts', async () => {
    const queries = { due: 0, nextDueAt: 0 };
    const inner = new SqliteOutboxStore(':memory:');
    const store = new Proxy(inner, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (key === 'due' || key === 'nextDueAt') queries[key] += 1;
        return value.bind(target);
      },
    });
    // Every attempt is held until released, then answered 429 with Retry-After 60 s.
    const held: (() => void)[] = [];
    const throttled = new DataverseError('throttled', 'HTTP 429', { status: 429, retryAfterMs: 60_000 });
    const box = new Outbox({ store, concurrency: 20, transport: { deliver: () => new Promise((_resolve, reject) => held.push(() => reject(throttled))) } });
    // 480 writes already waiting out a back-off, 20 due now: a storm over a backlog.
    for (let n = 0; n < 480; n += 1) inner.reschedule(box.enqueue(write(n)).id, Date.now() + 60_000, { code: 'throttled', message: 'HTTP 429' });
    for (let n = 0; n < 20; n += 1) box.enqueue(write(n));
    box.start();
    while (held.length < 20) await new Promise((r) => setImmediate(r));
    const before = { ...queries };
    // One answer per turn of the event loop: 20 turns, each rescheduling one write a minute ahead.
    for (const release of held.splice(0)) {
      release();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    }
    // The first of those turns looks (due, then when next); the other 19 know nothing can be due before a minute from now.
    expect(queries.due - before.due + queries.nextDueAt - before.nextDueAt).toBeLessThanOrEqual(2);
    expect(held).toHaveLength(0);
    // A new write changes that at once.
    box.enqueue(write(999));
    while (held.length < 1) await new Promise((r) => setImmediate(r));
    expect(held).toHaveLength(1);
    held.splice(0).forEach((release) => release());
    await box.close();
  });
});

describe('Outbox turns gather what comes between them (issue 18)', () => {
  /** Counts the store's due queries and delivered transactions. */
  function counted(store: OutboxStore, counts: { due: number; delivered: number }): OutboxStore {
    return new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (key === 'due' || key === 'delivered') return (...args: unknown[]) => ((counts[key] += 1), (value as (...a: unknown[]) => unknown).apply(target, args));
        return value.bind(target);
      },
    });
  }

  /** 40 writes, one per event-loop turn, into a started outbox whose transport answers at once; returns the counts. */
  async function trickle(gatherMs: number): Promise<{ due: number; delivered: number; attempts: Map<string, number> }> {
    const counts = { due: 0, delivered: 0 };
    const attempts = new Map<string, number>();
    const box = new Outbox({ store: counted(new SqliteOutboxStore(':memory:'), counts), transport: { deliver: async (w) => (attempts.set(w.id, (attempts.get(w.id) ?? 0) + 1), 'created') }, gatherMs });
    box.start();
    await box.drained();
    const ids: string[] = [];
    for (let n = 0; n < 40; n += 1) {
      ids.push(box.enqueue(write(n)).id);
      await new Promise((r) => setImmediate(r));
    }
    await box.drained();
    await box.close();
    expect(ids.every((id) => attempts.get(id) === 1)).toBe(true);
    return { ...counts, attempts };
  }

  it('writes enqueued within gatherMs share one due query and one delivered transaction; each is sent once', async () => {
    // A second: far longer than 40 turns take even on a loaded machine, so the 40 writes wait for one turn,
    // which launches 8 (the concurrency); the rest follow turn after turn at once, as over any backlog.
    const gathered = await trickle(1000);
    const eager = await trickle(0);
    expect(eager.due).toBeGreaterThanOrEqual(40);
    expect(gathered.due).toBeLessThanOrEqual(2 + 40 / 8 + 1);
    expect(gathered.delivered).toBeLessThanOrEqual(40 / 8 + 1);
  });

  it('a gathered turn runs after the I/O that became ready by the time its timer fired (popups before the outbox\'s SQL)', async () => {
    const { client, peer, close } = await loopbackPair();
    const order: string[] = [];
    peer.on('data', () => order.push('socket data'));
    const store = new SqliteOutboxStore(':memory:');
    const box = new Outbox({ store: new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => (key === 'due' && order.push('due'), (value as (...a: unknown[]) => unknown).apply(target, args));
      },
    }), transport: { deliver: async () => 'created' }, gatherMs: 20 });
    box.start();
    await box.drained();
    // A write into a quiet outbox: the turns after it gather (the first turn after start does not wait).
    box.enqueue(write(-1));
    await box.drained();
    await new Promise((r) => setTimeout(r, 50));
    for (let round = 0; round < 10; round += 1) {
      order.length = 0;
      // The same delay as the turn's timer, set just before it: it fires first, in the same timers phase (or an
      // earlier one), so the data is readable before the turn's timer fires; a turn run from that timer itself
      // would query before the socket is read.
      setTimeout(() => client.write('x'), 20);
      box.enqueue(write(round)); // the turn's timer: 20 ms
      while (!order.includes('due') || !order.includes('socket data')) await new Promise((r) => setTimeout(r, 2));
      expect(order.indexOf('socket data'), order.join(' ')).toBeLessThan(order.indexOf('due'));
      await box.drained();
      await new Promise((r) => setTimeout(r, 50)); // the turn that forgets it has run too: quiet again
    }
    await box.close();
    close();
  });
});
