// The Outbox's own promises, on a real SQLite store with a transport that
// answers as scripted: what stop() leaves behind, what drained(), stats() and
// oldestWaiting() count while delivered writes are being forgotten, the
// enqueueLater path of a store that commits on the event loop, dead letters
// named as an operator types them, a dead letter releasing its dependants,
// a turn whose store call failed, a subscriber that throws, and a concurrency
// of 0. Each case failed on a hand-made break the other outbox tests
// (turns, outbox-http, writer, delivery-worker) did not catch.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/dataverse/directory/clock.ts';
import { outboxEvents, type OutboxEvent } from '../../../src/dataverse/outbox/events.ts';
import { Outbox, type OutboxOptions } from '../../../src/dataverse/outbox/outbox.ts';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import type { OutboxStore, OutboxWrite } from '../../../src/dataverse/outbox/store.ts';
import type { OutboxTransport } from '../../../src/dataverse/outbox/transport.ts';
import { DataverseError } from '../../../src/dataverse/web-api/errors.ts';
import { until } from '../../e2e/support/wait.ts';

const write = (n: number, dependsOn?: string): OutboxWrite => ({
  id: randomUUID(), kind: 'callLog', entitySet: 'ctapi_calllogs', body: { ctapi_name: `call ${n}` }, ...(dependsOn === undefined ? {} : { dependsOn }),
});

const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const outboxes: Outbox[] = [];
afterEach(async () => {
  for (const o of outboxes.splice(0)) await o.close();
});

function outbox(options: Partial<OutboxOptions> & { store: OutboxStore; transport: OutboxTransport }): Outbox {
  const o = new Outbox({ gatherMs: 0, ...options });
  outboxes.push(o);
  return o;
}

/** A transport that answers `created`, or throws what `fail` returns for a write. */
function transport(sent: OutboxWrite[], fail: (item: OutboxWrite) => Error | undefined = () => undefined): OutboxTransport {
  return {
    deliver: async (item) => {
      sent.push(item);
      const error = fail(item);
      if (error !== undefined) throw error;
      return 'created';
    },
  };
}

const forbidden = () => new DataverseError('forbidden', 'HTTP 403: no privilege', { status: 403 });

describe('the outbox', () => {
  it('stop() forgets the writes whose delivery it waited for: a next run does not send them again', async () => {
    const store = new SqliteOutboxStore(':memory:');
    let answer: (() => void) | undefined;
    const o = outbox({ store, transport: { deliver: () => new Promise((resolve) => (answer = () => resolve('created'))) } });
    o.start();
    o.enqueue(write(1));
    await until(() => answer !== undefined, 'the write in flight');
    const stopping = o.stop();
    answer?.();
    await stopping;
    expect(store.pending()).toBe(0);
  });

  it('while delivered writes are being forgotten off the loop, they are neither waiting nor the oldest, and drained() waits for them', async () => {
    // The writer thread opens the file on a connection of its own: not `:memory:`.
    const inner = new SqliteOutboxStore(join(dir, 'forgetting.db'), { writes: 'worker' });
    const releases: (() => void)[] = [];
    let holding = 0;
    const held = new Proxy(inner, {
      get(target, key, receiver) {
        if (key === 'deliveredLater') {
          return (ids: readonly string[]) => new Promise<void>((resolve, reject) => {
            holding += ids.length;
            releases.push(() => void inner.deliveredLater?.(ids).then(resolve, reject));
          });
        }
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as OutboxStore;
    const sent: OutboxWrite[] = [];
    const o = outbox({ store: held, transport: transport(sent) });
    o.start();
    await o.enqueueLater([write(1), write(2)]);
    await until(() => holding === 2, 'both delivered and being forgotten');
    expect(inner.pending()).toBe(2); // still in the file
    expect(o.stats().pending).toBe(0);
    expect(o.oldestWaiting()).toBeUndefined();
    let drained = false;
    const waiting = o.drained().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(drained).toBe(false);
    for (const release of releases) release();
    await waiting;
    expect(inner.pending()).toBe(0);
  });

  describe('enqueueLater on a store that commits on the event loop', () => {
    it('reports an id already taken as a duplicate, stores the rest, and sends each once', async () => {
      const store = new SqliteOutboxStore(':memory:');
      const sent: OutboxWrite[] = [];
      const o = outbox({ store, transport: transport(sent) });
      const first = write(1);
      expect(await o.enqueueLater([first])).toEqual(['stored']);
      const second = write(2);
      expect(await o.enqueueLater([{ ...first, body: { ctapi_name: 'again' } }, second])).toEqual(['duplicate', 'stored']);
      o.start();
      await o.drained();
      expect(sent.map((s) => s.id).sort()).toEqual([first.id, second.id].sort());
    });

    it('resolves only once the store says the writes survive a power cut', async () => {
      const inner = new SqliteOutboxStore(':memory:');
      const runs: (() => void)[] = [];
      const store = new Proxy(inner, {
        get(target, key, receiver) {
          if (key === 'whenDurable') return (run: () => void) => void runs.push(run);
          const value = Reflect.get(target, key, receiver) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }) as OutboxStore;
      const o = outbox({ store, transport: transport([]) });
      let done = false;
      const stored = o.enqueueLater([write(1)]).then(() => (done = true));
      await new Promise((r) => setTimeout(r, 30));
      expect(done).toBe(false);
      expect(runs).toHaveLength(1);
      runs[0]?.();
      await stored;
      expect(done).toBe(true);
    });

    it('is refused on a closed outbox with the outbox\'s own error', async () => {
      const o = new Outbox({ store: new SqliteOutboxStore(':memory:'), transport: transport([]) });
      await o.close();
      await expect(o.enqueueLater([write(1)])).rejects.toMatchObject({ code: 'closed' });
    });
  });

  it('takes a dead letter\'s id as an operator types it (braces, capitals) to retry and to drop', async () => {
    const store = new SqliteOutboxStore(':memory:');
    const sent: OutboxWrite[] = [];
    let refuse = true;
    const o = outbox({ store, transport: transport(sent, () => (refuse ? forbidden() : undefined)) });
    o.start();
    const a = write(1);
    const b = write(2);
    o.enqueue(a);
    o.enqueue(b);
    await until(() => o.deadLetters().length === 2, 'two dead letters');
    refuse = false;
    expect(o.retryDeadLetter(`{${a.id.toUpperCase()}}`).id).toBe(a.id);
    expect(o.dropDeadLetter(b.id.toUpperCase()).id).toBe(b.id);
    await o.drained();
    expect(o.deadLetters()).toEqual([]);
    expect(sent.filter((s) => s.id === a.id)).toHaveLength(2);
  });

  it('a write whose dependency went to the dead letters is sent without anything else happening', async () => {
    const store = new SqliteOutboxStore(':memory:');
    const sent: OutboxWrite[] = [];
    const parent = write(1);
    const o = outbox({ store, transport: transport(sent, (item) => (item.id === parent.id ? forbidden() : undefined)) });
    o.start();
    o.enqueue(parent);
    const child = write(2, parent.id);
    o.enqueue(child);
    await until(() => sent.some((s) => s.id === child.id), 'the dependant to be sent');
    expect(sent.map((s) => s.id)).toEqual([parent.id, child.id]);
  });

  it('a 412 on a create-only upsert counts as delivered, and says the record existed', async () => {
    const events: OutboxEvent[] = [];
    const store = new SqliteOutboxStore(':memory:');
    const o = outbox({ store, transport: transport([], () => new DataverseError('precondition-failed', 'HTTP 412', { status: 412 })), onEvent: (e) => void events.push(e) });
    o.start();
    const w = write(1);
    o.enqueue(w);
    await o.drained();
    expect(events).toEqual([{ type: 'delivered', id: w.id, kind: 'callLog', attempts: 1, existed: true }]);
  });

  it('a subscriber that throws does not stop delivery, nor the events other subscribers hear', async () => {
    const store = new SqliteOutboxStore(':memory:');
    const sent: OutboxWrite[] = [];
    const errors: string[] = [];
    const logger = { info: () => undefined, warn: () => undefined, error: (_: object, message: string) => void errors.push(message) };
    const o = outbox({ store, transport: transport(sent), logger, onEvent: () => { throw new Error('broken metrics'); } });
    const writes = Array.from({ length: 5 }, (_, n) => write(n));
    const heard = new Set<string>();
    const listen = (message: unknown): void => {
      const event = message as OutboxEvent;
      if (event.type === 'delivered' && writes.some((w) => w.id === event.id)) heard.add(event.id);
    };
    outboxEvents.subscribe(listen);
    try {
      for (const w of writes) o.enqueue(w);
      o.start(); // after the enqueues: the five are delivered, and forgotten, together
      await o.drained();
      await until(() => heard.size === 5, 'every delivered event on the diagnostics channel', 500);
    } finally {
      outboxEvents.unsubscribe(listen);
    }
    expect(sent).toHaveLength(5);
    expect(store.pending()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('a concurrency of 0 still sends, one at a time', async () => {
    const store = new SqliteOutboxStore(':memory:');
    const sent: OutboxWrite[] = [];
    const o = outbox({ store, transport: transport(sent), concurrency: 0 });
    o.start();
    for (let n = 0; n < 3; n += 1) o.enqueue(write(n));
    await o.drained();
    expect(sent).toHaveLength(3);
  });

  it('after a turn whose store call failed, the next waits the back-off base, not a hot loop', async () => {
    const inner = new SqliteOutboxStore(':memory:');
    let failures = 1;
    const store = new Proxy(inner, {
      get(target, key, receiver) {
        if (key === 'due') {
          return (...args: Parameters<OutboxStore['due']>) => {
            if (failures > 0) {
              failures -= 1;
              throw new Error('disk I/O error');
            }
            return inner.due(...args);
          };
        }
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as OutboxStore;
    const timers: { ms: number; run: () => void }[] = [];
    const clock: Clock = { now: () => 1_000_000, setTimeout: (run, ms) => timers.push({ ms, run }), clearTimeout: () => undefined };
    const sent: OutboxWrite[] = [];
    const o = outbox({ store, transport: transport(sent), clock, backoff: { baseMs: 1_234 } });
    o.start();
    o.enqueue(write(1));
    await until(() => timers.length > 0, 'the pause to be scheduled');
    expect(timers.map((t) => t.ms)).toEqual([1_234]);
    expect(sent).toEqual([]);
    timers[0]?.run();
    await o.drained();
    expect(sent).toHaveLength(1);
  });
});
