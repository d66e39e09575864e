// The durable buffer against the in-memory EventBuffer as the model: random
// pushes, acks, losses and crashes (the process dies after its last commit;
// a new one opens what is on disk) — the restored buffer must hold exactly
// what the model holds, with the same seqs, acknowledged point and losses.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import type { BufferJournal } from '../../../src/connector/buffer-journal.ts';
import { EventBuffer } from '../../../src/connector/event-buffer.ts';
import { callEvent, crashCopy, lineEvent, openDurable, tempDir, ts } from '../support/journal.ts';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Op = { kind: 'push'; call: boolean } | { kind: 'ack'; back: number } | { kind: 'lost' } | { kind: 'announce' } | { kind: 'crash' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('push' as const), call: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('ack' as const), back: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'lost' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'announce' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'crash' as const }) },
);

let run = 0;

fcTest.prop([fc.integer({ min: 2, max: 8 }), fc.array(op, { minLength: 1, maxLength: 60 })], { numRuns: 60 })(
  'what a crash leaves on disk restores to exactly the model buffer',
  (capacity, ops) => {
    run += 1;
    const model = new EventBuffer(capacity);
    let file = join(dir, `run${run}-0.sqlite`);
    let { buffer, journal } = openDurable(file, capacity);
    const journals: BufferJournal[] = [journal];
    try {
      ops.forEach((o, i) => {
        const at = ts(i);
        if (o.kind === 'push') {
          const event = o.call ? callEvent(i) : lineEvent(i);
          const appended = buffer.push(event, at);
          expect(appended).toEqual(model.push(event, at));
          // Not sendable before its row is committed.
          for (const m of appended) expect(buffer.get(m.seq)).toBeUndefined();
        } else if (o.kind === 'ack') {
          const seq = Math.max(0, model.lastSeq - o.back);
          expect(buffer.ack(seq)).toEqual(model.ack(seq));
        } else if (o.kind === 'lost') {
          expect(buffer.markLost(at)).toEqual(model.markLost(at));
        } else if (o.kind === 'announce') {
          buffer.announce();
          model.announce();
        } else {
          const next = join(dir, `run${run}-${i + 1}.sqlite`);
          crashCopy(file, next);
          file = next;
          ({ buffer, journal } = openDurable(file, capacity));
          journals.push(journal);
          expect(buffer.restoreReport).toEqual({ held: model.size, unreadable: [], overCapacity: 0 });
        }
        // The end of the event-loop turn: one commit.
        buffer.flush();
        expect(buffer.stats).toEqual(model.stats);
        expect(buffer.announced).toBe(model.announced);
        expect(buffer.after(0)).toEqual(model.after(0));
        const last = model.lastSeq;
        expect(buffer.get(last)).toEqual(model.get(last));
      });
    } finally {
      for (const j of journals) j.close();
    }
  },
);
