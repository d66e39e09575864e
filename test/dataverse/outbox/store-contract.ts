// The contract every OutboxStore passes (STYLE.md lesson 8). Run it with a
// factory that gives a fresh store; `reopen` (when the store is durable)
// must give a store over the same data, as after a restart.
import { describe, expect, it } from 'vitest';
import { OutboxError } from '../../../src/dataverse/outbox/errors.ts';
import type { OutboxStore, OutboxWrite } from '../../../src/dataverse/outbox/store.ts';

export interface StoreFactory {
  create(): OutboxStore;
  /** Closes nothing: gives a second store over the same data (a restart), if durable. */
  reopen?(store: OutboxStore): OutboxStore;
}

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const write = (n: number, extra: Partial<OutboxWrite> = {}): OutboxWrite => ({
  id: id(n), kind: 'callLog', entitySet: 'ctapi_calllogs', body: { ctapi_name: `call ${n}`, nested: { a: [1, 'ü'] } }, ...extra,
});
const none = new Set<string>();

export function describeOutboxStoreContract(name: string, factory: StoreFactory): void {
  describe(`OutboxStore contract: ${name}`, () => {
    it('keeps what was enqueued, field for field, in enqueue order', () => {
      const store = factory.create();
      const a = store.enqueue(write(2, { onBehalfOf: { systemUserId: id(9), entraObjectId: id(8) } }), 1000);
      store.enqueue(write(1, { dependsOn: id(7) }), 1001);
      expect(a).toMatchObject({ id: id(2), kind: 'callLog', entitySet: 'ctapi_calllogs', attempts: 0, nextAttemptAt: 1000, enqueuedAt: 1000 });
      expect(store.get(id(2))?.body).toEqual({ ctapi_name: 'call 2', nested: { a: [1, 'ü'] } });
      expect(store.get(id(2))?.onBehalfOf).toEqual({ systemUserId: id(9), entraObjectId: id(8) });
      expect(store.get(id(1))?.dependsOn).toBe(id(7));
      expect(store.due(1001, 10, none).map((i) => i.id)).toEqual([id(2), id(1)]);
      expect(store.pending()).toBe(2);
      store.close();
    });

    it('refuses a second write with the same id, also when the first is a dead letter', () => {
      const store = factory.create();
      store.enqueue(write(1), 0);
      expect(() => store.enqueue(write(1), 0)).toThrow(OutboxError);
      store.deadLetter(id(1), { code: 'bad-request', message: 'no' }, 5);
      try {
        store.enqueue(write(1), 0);
        expect.unreachable();
      } catch (err) {
        expect((err as OutboxError).code).toBe('duplicate-id');
      }
      store.close();
    });

    it('hands out only due writes, skips those in flight, respects the limit', () => {
      const store = factory.create();
      for (let n = 1; n <= 5; n += 1) store.enqueue(write(n), 100);
      store.reschedule(id(1), 500, { code: 'throttled', message: '429' });
      expect(store.due(100, 2, new Set([id(2)])).map((i) => i.id)).toEqual([id(3), id(4)]);
      expect(store.due(499, 10, none).map((i) => i.id)).toEqual([id(2), id(3), id(4), id(5)]);
      expect(store.due(500, 10, none).map((i) => i.id)).toEqual([id(1), id(2), id(3), id(4), id(5)]);
      expect(store.get(id(1))).toMatchObject({ lastErrorCode: 'throttled', lastError: '429', nextAttemptAt: 500 });
      expect(store.nextDueAt(new Set([id(2), id(3), id(4), id(5)]))).toBe(500);
      expect(store.nextDueAt(none)).toBe(100);
      store.close();
    });

    it('holds a write back while the write it depends on waits, and releases it when that one leaves', () => {
      const store = factory.create();
      store.enqueue(write(1, { kind: 'phoneCall' }), 0);
      store.enqueue(write(2, { dependsOn: id(1) }), 0);
      store.enqueue(write(3, { dependsOn: id(4) }), 0); // depends on something long gone
      expect(store.due(0, 10, none).map((i) => i.id)).toEqual([id(1), id(3)]);
      expect(store.due(0, 10, new Set([id(1)])).map((i) => i.id)).toEqual([id(3)]);
      store.delivered([id(1)]);
      expect(store.due(0, 10, none).map((i) => i.id)).toEqual([id(2), id(3)]);
      store.close();
    });

    it('releases a dependant when its dependency became a dead letter', () => {
      const store = factory.create();
      store.enqueue(write(1), 0);
      store.enqueue(write(2, { dependsOn: id(1) }), 0);
      store.deadLetter(id(1), { code: 'forbidden', message: 'HTTP 403', status: 403 }, 7);
      expect(store.due(0, 10, none).map((i) => i.id)).toEqual([id(2)]);
      store.close();
    });

    it('counts failed attempts and forgets delivered writes, many at once', () => {
      const store = factory.create();
      store.enqueue(write(1), 0);
      store.enqueue(write(2), 0);
      store.enqueue(write(3), 0);
      store.reschedule(id(1), 5, { code: 'timeout', message: 't' });
      store.reschedule(id(1), 9, { code: 'throttled', message: '429' });
      expect(store.get(id(1))).toMatchObject({ attempts: 2, nextAttemptAt: 9, lastErrorCode: 'throttled' });
      store.delivered([id(1), id(2)]);
      store.delivered([]);
      expect(store.get(id(1))).toBeUndefined();
      expect(store.due(100, 10, none).map((i) => i.id)).toEqual([id(3)]);
      store.delivered([id(3)]);
      expect(store.pending()).toBe(0);
      expect(store.nextDueAt(none)).toBeUndefined();
      store.close();
    });

    it('keeps dead letters with their error and puts one back on request', () => {
      const store = factory.create();
      store.enqueue(write(1), 10);
      store.enqueue(write(2), 11);
      store.deadLetter(id(1), { code: 'bad-request', message: 'HTTP 400 0x80040203: bad attribute', status: 400 }, 20);
      store.deadLetter(id(2), { code: 'forbidden', message: 'HTTP 403' }, 21);
      expect(store.pending()).toBe(0);
      const dead = store.deadLetters();
      expect(dead.map((d) => d.id)).toEqual([id(1), id(2)]);
      expect(dead[0]).toMatchObject({ kind: 'callLog', attempts: 1, enqueuedAt: 10, failedAt: 20, errorCode: 'bad-request', errorMessage: 'HTTP 400 0x80040203: bad attribute', status: 400 });
      expect(dead[0]!.body).toEqual(write(1).body);
      expect(dead[1]!.status).toBeUndefined();
      const back = store.retryDeadLetter(id(1), 30);
      expect(back).toMatchObject({ id: id(1), nextAttemptAt: 30, attempts: 1, lastErrorCode: 'bad-request' });
      expect(store.deadLetters()[0]!.attempts).toBe(1);
      expect(store.deadLetters().map((d) => d.id)).toEqual([id(2)]);
      expect(() => store.retryDeadLetter(id(1), 31)).toThrow(/no dead letter/);
      expect(store.due(30, 10, none).map((i) => i.id)).toEqual([id(1)]);
      store.close();
    });

    it('drops a dead letter for good on request, and names the oldest waiting write', () => {
      const store = factory.create();
      expect(store.oldest()).toBeUndefined();
      store.enqueue(write(1), 10);
      store.enqueue(write(2), 11);
      store.enqueue(write(3), 12);
      expect(store.oldest()?.id).toBe(id(1));
      // Leaving out writes being forgotten (delivered, their delete not yet committed).
      expect(store.oldest(new Set([id(1)]))?.id).toBe(id(2));
      expect(store.oldest(new Set([id(1), id(2), id(3)]))).toBeUndefined();
      store.deadLetter(id(1), { code: 'bad-request', message: 'HTTP 400', status: 400 }, 20);
      store.reschedule(id(2), 40, { code: 'throttled', message: 'HTTP 429' });
      expect(store.oldest()).toMatchObject({ id: id(2), enqueuedAt: 11, attempts: 1, lastErrorCode: 'throttled' });
      const dropped = store.dropDeadLetter(id(1));
      expect(dropped).toMatchObject({ id: id(1), kind: 'callLog', errorCode: 'bad-request', status: 400 });
      expect(store.deadLetters()).toEqual([]);
      expect(() => store.dropDeadLetter(id(1))).toThrow(expect.objectContaining({ code: 'not-found' }));
      expect(() => store.dropDeadLetter(id(2))).toThrow(expect.objectContaining({ code: 'not-found' }));
      expect(store.get(id(2))).toBeDefined();
      // A dropped write's id is free again (it never reached the CRM).
      store.enqueue(write(1), 50);
      expect(store.pending()).toBe(3);
      store.close();
    });

    it('refuses to work once closed', () => {
      const store = factory.create();
      store.close();
      expect(() => store.enqueue(write(1), 0)).toThrow(expect.objectContaining({ code: 'closed' }));
      store.close();
    });

    if (factory.reopen) {
      const reopen = factory.reopen;
      it('keeps everything across a restart', () => {
        const store = factory.create();
        store.enqueue(write(1), 0);
        store.enqueue(write(2, { dependsOn: id(1) }), 0);
        store.reschedule(id(1), 0, { code: 'timeout', message: 't' });
        store.enqueue(write(3), 0);
        store.deadLetter(id(3), { code: 'bad-request', message: 'x', status: 400 }, 1);
        const again = reopen(store);
        expect(again.due(0, 10, none).map((i) => [i.id, i.attempts])).toEqual([[id(1), 1]]);
        expect(again.pending()).toBe(2);
        expect(again.deadLetters().map((d) => d.id)).toEqual([id(3)]);
        again.close();
        store.close();
      });
    }
  });
}
