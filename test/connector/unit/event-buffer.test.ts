import { describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { EventBuffer, type OutgoingEvent, type SequencedMessage } from '../../../src/connector/event-buffer.ts';

function ev(n: number): OutgoingEvent {
  return { channel: 'connector', command: 'lineState', line: String(n), inService: true };
}
const ts = (n: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString();

describe('EventBuffer', () => {
  it('numbers events from 1 and keeps them until acknowledged', () => {
    const b = new EventBuffer(10);
    expect(b.push(ev(1), ts(1)).map((m) => m.seq)).toEqual([1]);
    expect(b.push(ev(2), ts(2)).map((m) => m.seq)).toEqual([2]);
    expect(b.after(0).map((m) => m.seq)).toEqual([1, 2]);
    b.ack(1);
    expect(b.after(0).map((m) => m.seq)).toEqual([2]);
    expect(b.ackedSeq).toBe(1);
  });

  it('ignores stale acks and clamps acks beyond what was sent', () => {
    const b = new EventBuffer(10);
    b.push(ev(1), ts(1));
    b.ack(1);
    b.ack(0);
    expect(b.ackedSeq).toBe(1);
    b.ack(99);
    expect(b.ackedSeq).toBe(1);
    expect(b.size).toBe(0);
  });

  it('counts events once full and reports them in one eventsLost record as soon as there is room', () => {
    const b = new EventBuffer(3);
    for (let i = 1; i <= 3; i += 1) b.push(ev(i), ts(i));
    expect(b.push(ev(4), ts(4))).toEqual([]);
    expect(b.push(ev(5), ts(5))).toEqual([]);
    expect(b.stats.pendingLoss).toEqual({ count: 2, firstTimestamp: ts(4), lastTimestamp: ts(5) });
    const appended = b.ack(1);
    expect(appended).toEqual([{ channel: 'connector', command: 'eventsLost', seq: 4, count: 2, firstTimestamp: ts(4), lastTimestamp: ts(5) }]);
    // Full again (2, 3, loss): the next event is counted in a new loss.
    expect(b.push(ev(6), ts(6))).toEqual([]);
    b.ack(4);
    expect(b.after(4).map((m) => [m.seq, m.command])).toEqual([[5, 'eventsLost']]);
    expect(b.push(ev(7), ts(7)).map((m) => m.seq)).toEqual([6]);
    expect(b.stats.lostTotal).toBe(3);
  });

  it('puts a pending loss before the next event, never after it', () => {
    const b = new EventBuffer(2);
    b.push(ev(1), ts(1));
    b.push(ev(2), ts(2));
    b.push(ev(3), ts(3)); // lost
    b.ack(2); // loss record takes seq 3
    const out = b.push(ev(4), ts(4));
    expect(out.map((m) => m.command)).toEqual(['lineState']);
    expect(b.after(0).map((m) => m.command)).toEqual(['eventsLost', 'lineState']);
  });

  fcTest.prop(
    [
      fc.integer({ min: 2, max: 12 }),
      fc.array(fc.oneof(fc.constant<'push'>('push'), fc.integer({ min: 0, max: 40 })), { maxLength: 200 }),
    ],
    { numRuns: 300 },
  )('keeps seqs contiguous, stays bounded, and accounts for every event', (capacity, ops) => {
    const b = new EventBuffer(capacity);
    const appended: SequencedMessage[] = [];
    let pushed = 0;
    for (const op of ops) {
      if (op === 'push') {
        pushed += 1;
        appended.push(...b.push(ev(pushed), ts(pushed % 60)));
      } else {
        appended.push(...b.ack(op));
      }
      expect(b.size).toBeLessThanOrEqual(capacity);
    }
    // Drain: acknowledge everything so a pending loss is materialised.
    appended.push(...b.ack(b.lastSeq));
    appended.push(...b.ack(b.lastSeq));
    expect(appended.map((m) => m.seq)).toEqual(appended.map((_, i) => i + 1));
    const delivered = appended.filter((m) => m.command === 'lineState').map((m) => Number((m as { line: string }).line));
    const lost = appended.filter((m) => m.command === 'eventsLost').reduce((n, m) => n + (m as { count: number }).count, 0);
    expect(delivered.length + lost).toBe(pushed);
    // Delivered events stay in push order.
    expect([...delivered].sort((x, y) => x - y)).toEqual(delivered);
    expect(b.stats.lostTotal).toBe(lost);
  });
});
