// The outbox's `synced` (spec/protocol.md §7.5): once per registration, after
// the preamble and every event held at registration were handed to the
// socket once — not after they are acknowledged, and not before a replay
// held back by back-pressure is out.
import { fc, test } from '@fast-check/vitest';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { EventBuffer, type OutgoingEvent } from '../../../src/connector/event-buffer.ts';
import { Outbox } from '../../../src/connector/outbox.ts';
import type { CallStateMessage, TapiMessage } from '../../../src/protocol/index.ts';

/** A link that takes `budget` messages, then asks to wait (as a socket wanting 'drain' does). */
class FakeLink {
  readonly sent: TapiMessage[] = [];
  budget = Number.POSITIVE_INFINITY;
  get writable(): boolean {
    return this.budget > 0;
  }
  send(message: TapiMessage): boolean {
    this.sent.push(message);
    this.budget -= 1;
    return this.writable;
  }
  /** 'drain': room for `n` more. */
  drain(outbox: Outbox, n: number): void {
    this.budget = n;
    outbox.pump();
  }
}

const T = '2024-05-01T12:00:00.000Z';
const call = (callId: string): Omit<CallStateMessage, 'seq'> => ({ channel: 'connector', command: 'callState', timestamp: T, line: '20', callId, state: 'offering', origin: 'inbound', snapshot: false });
const event = (callId: string): OutgoingEvent => call(callId);
const lines: TapiMessage = { channel: 'connector', command: 'lines', lines: [] };
const label = (m: TapiMessage): string => (m.command === 'callState' ? `${m.callId}${m.snapshot ? '*' : ''}` : m.command);

function setup(): { buffer: EventBuffer; link: FakeLink; outbox: Outbox } {
  const buffer = new EventBuffer(100);
  const link = new FakeLink();
  const outbox = new Outbox(buffer, link, pino({ level: 'silent' }));
  return { buffer, link, outbox };
}

describe('synced', () => {
  it('follows the preamble and the whole replay, before anything is acknowledged', () => {
    const { link, outbox } = setup();
    link.budget = 0; // not connected yet: events are only buffered
    for (const id of ['a', 'b', 'c']) outbox.push(event(id), T);
    const snapshot: TapiMessage = { ...call('a'), state: 'connected', snapshot: true, seq: 3 };
    link.budget = Number.POSITIVE_INFINITY;
    outbox.connected(0, [lines, snapshot], { snapshotSeq: 3, activeCalls: 1 });
    expect(link.sent.map(label)).toEqual(['lines', 'a*', 'a', 'b', 'c', 'synced']);
    expect(link.sent.at(-1)).toEqual({ channel: 'connector', command: 'synced', snapshotSeq: 3, activeCalls: 1 });
    expect(outbox.idle).toBe(true);
  });

  it('waits for a replay held back by back-pressure, and is sent once', () => {
    const { link, outbox } = setup();
    link.budget = 0;
    for (const id of ['a', 'b', 'c', 'd']) outbox.push(event(id), T);
    link.budget = 2;
    outbox.connected(0, [lines], { snapshotSeq: 4, activeCalls: 0 });
    expect(link.sent.map(label)).toEqual(['lines', 'a']);
    expect(outbox.idle).toBe(false);
    link.drain(outbox, 2);
    expect(link.sent.map(label)).toEqual(['lines', 'a', 'b', 'c']);
    link.drain(outbox, 10);
    expect(link.sent.map(label)).toEqual(['lines', 'a', 'b', 'c', 'd', 'synced']);
    outbox.push(event('e'), T);
    outbox.ack(5);
    link.drain(outbox, 10);
    expect(link.sent.map(label).filter((l) => l === 'synced')).toHaveLength(1);
  });

  it('starts after the manager\'s acknowledged point: nothing to replay means synced right after the preamble', () => {
    const { link, outbox } = setup();
    for (const id of ['a', 'b']) outbox.push(event(id), T);
    link.sent.length = 0;
    outbox.disconnected();
    outbox.connected(2, [lines], { snapshotSeq: 2, activeCalls: 0 });
    expect(link.sent.map(label)).toEqual(['lines', 'synced']);
  });

  it('is not sent without a sync point, nor after the link went down before the replay was out', () => {
    const { link, outbox } = setup();
    link.budget = 0;
    for (const id of ['a', 'b']) outbox.push(event(id), T);
    link.budget = 1;
    outbox.connected(0, [lines], { snapshotSeq: 2, activeCalls: 0 });
    outbox.disconnected();
    link.drain(outbox, 10);
    expect(link.sent.map(label)).toEqual(['lines']);
    outbox.connected(0, [lines]);
    expect(link.sent.map(label)).toEqual(['lines', 'lines', 'a', 'b']);
  });

  test.prop([fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 20 })], { numRuns: 100 })(
    'whatever the back-pressure, synced comes after every event held at registration and at most once',
    (held, live, budgets) => {
      const { link, outbox, buffer } = setup();
      link.budget = 0;
      for (let i = 0; i < held; i += 1) outbox.push(event(`h${i}`), T);
      const upTo = buffer.lastSeq;
      link.budget = budgets[0] as number;
      outbox.connected(0, [lines], { snapshotSeq: upTo, activeCalls: 0 });
      for (let i = 0; i < live; i += 1) {
        outbox.push(event(`l${i}`), T);
        link.drain(outbox, budgets[(i + 1) % budgets.length] as number);
      }
      link.drain(outbox, Number.POSITIVE_INFINITY);
      const sent = link.sent.map(label);
      expect(sent.filter((l) => l === 'synced')).toHaveLength(1);
      const at = sent.indexOf('synced');
      for (let i = 0; i < held; i += 1) expect(sent.indexOf(`h${i}`)).toBeLessThan(at);
      expect(sent.filter((l) => l !== 'lines' && l !== 'synced')).toHaveLength(held + live);
    },
  );
});

describe('the acknowledgement watch', () => {
  function watched(): { buffer: EventBuffer; link: FakeLink; outbox: Outbox; stalls: string[] } {
    const buffer = new EventBuffer(100);
    const link = new FakeLink();
    const stalls: string[] = [];
    const outbox = new Outbox(buffer, link, pino({ level: 'silent' }), { timeoutMs: () => 100, stalled: (reason) => stalls.push(reason) });
    return { buffer, link, outbox, stalls };
  }

  it('counts from the last progress: a manager that acknowledges slowly but steadily is not stalled', () => {
    vi.useFakeTimers();
    try {
      const { outbox, stalls } = watched();
      outbox.connected(0, []);
      for (const id of ['a', 'b', 'c']) outbox.push(event(id), T);
      vi.advanceTimersByTime(60);
      outbox.ack(1);
      vi.advanceTimersByTime(60);
      outbox.ack(2);
      vi.advanceTimersByTime(60);
      expect(stalls).toEqual([]);
      vi.advanceTimersByTime(40);
      expect(stalls).toHaveLength(1);
      expect(stalls[0]).toMatch(/^no acknowledgement from the manager .*\(1 events outstanding\); reconnecting$/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not watch a link on which everything written is acknowledged', () => {
    vi.useFakeTimers();
    try {
      const { outbox, stalls } = watched();
      outbox.connected(0, []);
      outbox.push(event('a'), T);
      outbox.ack(1);
      vi.advanceTimersByTime(1_000);
      expect(stalls).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a manager that forgot what it acknowledged', () => {
  it('replays from our acknowledged point, not from its older one', () => {
    const { buffer, link, outbox } = setup();
    outbox.connected(0, []);
    for (const id of ['a', 'b', 'c', 'd', 'e']) outbox.push(event(id), T);
    outbox.ack(3);
    outbox.disconnected();
    link.sent.length = 0;
    outbox.connected(1, [lines]);
    expect(link.sent.map(label)).toEqual(['lines', 'd', 'e']);
    expect(buffer.ackedSeq).toBe(3);
  });
});

describe('a full buffer', () => {
  it('says so in the log once, when it starts counting losses', () => {
    const logs: string[] = [];
    const buffer = new EventBuffer(2);
    const outbox = new Outbox(buffer, new FakeLink(), pino({ level: 'error' }, { write: (line: string) => logs.push(line) }));
    for (const id of ['a', 'b', 'c', 'd', 'e']) outbox.push(event(id), T);
    expect(logs.filter((l) => l.includes('event buffer full'))).toHaveLength(1);
    expect(buffer.stats.pendingLoss).toBeDefined();
  });
});
