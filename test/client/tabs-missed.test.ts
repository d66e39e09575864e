import { describe, expect, it } from 'vitest';
import { MissedList, parseMissedEntry } from '../../src/client/missed.ts';
import { TabCoordinator, type ChannelLike } from '../../src/client/tabs.ts';

/** An in-memory BroadcastChannel: delivers to every other member, asynchronously like the real one. */
class Bus {
  readonly members: { listener?: (e: { data: unknown }) => void; self: ChannelLike }[] = [];
  channel(): ChannelLike {
    const m: (typeof this.members)[number] = { self: undefined as unknown as ChannelLike };
    m.self = {
      postMessage: (data) => {
        for (const o of this.members) if (o !== m) queueMicrotask(() => o.listener?.({ data: structuredClone(data) }));
      },
      addEventListener: (_t, l) => (m.listener = l),
      close: () => this.members.splice(this.members.indexOf(m), 1),
    };
    this.members.push(m);
    return m.self;
  }
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('TabCoordinator', () => {
  it('the second tab does not show a call the first one claimed; release frees it', async () => {
    const bus = new Bus();
    const withdrawn: string[] = [];
    const a = new TabCoordinator('a', bus.channel(), { withdraw: (k) => withdrawn.push(`a:${k}`), missed: () => undefined });
    const b = new TabCoordinator('b', bus.channel(), { withdraw: (k) => withdrawn.push(`b:${k}`), missed: () => undefined });
    expect(a.claim('k1')).toBe(true);
    await tick();
    expect(b.claim('k1')).toBe(false);
    a.release('k1');
    await tick();
    expect(b.claim('k1')).toBe(true);
    expect(withdrawn).toEqual([]);
  });

  it('simultaneous claims: the lower tab id keeps the popup, the other withdraws', async () => {
    const bus = new Bus();
    const withdrawn: string[] = [];
    const a = new TabCoordinator('a', bus.channel(), { withdraw: (k) => withdrawn.push(`a:${k}`), missed: () => undefined });
    const b = new TabCoordinator('b', bus.channel(), { withdraw: (k) => withdrawn.push(`b:${k}`), missed: () => undefined });
    expect(a.claim('k')).toBe(true);
    expect(b.claim('k')).toBe(true);
    await tick();
    await tick();
    expect(withdrawn).toEqual(['b:k']);
  });

  it('shares missed calls; foreign junk is ignored', async () => {
    const bus = new Bus();
    const got: unknown[] = [];
    const a = new TabCoordinator('a', bus.channel(), { withdraw: () => undefined, missed: (_k, e) => got.push(e) });
    const raw = bus.channel();
    new TabCoordinator('b', raw, { withdraw: () => undefined, missed: () => undefined }).shareMissed('k', { callKey: 'k', line: 'l', number: '1', at: 'x' });
    raw.postMessage({ type: 'claim' });
    raw.postMessage('garbage');
    await tick();
    expect(got).toHaveLength(1);
    a.close();
  });
});

describe('MissedList', () => {
  it('newest first, one entry per call, bounded', () => {
    const l = new MissedList(3);
    for (const [k, at] of [['a', '2024-01-01T10:00:00.000Z'], ['b', '2024-01-01T12:00:00.000Z'], ['c', '2024-01-01T11:00:00.000Z'], ['d', '2024-01-01T09:00:00.000Z']] as const) {
      l.add({ callKey: k, line: 'x:1', number: '1', at });
    }
    expect(l.add({ callKey: 'b', line: 'x:1', number: '1', at: '2024-01-01T12:00:00.000Z' })).toBe(false);
    expect(l.all().map((e) => e.callKey)).toEqual(['b', 'c', 'a']);
  });

  it('validates entries from other tabs', () => {
    expect(parseMissedEntry(null)).toBeUndefined();
    expect(parseMissedEntry({ callKey: 1 })).toBeUndefined();
    expect(parseMissedEntry({ callKey: 'k', line: 'l', number: 'x'.repeat(65), at: 't' })).toBeUndefined();
    const e = parseMissedEntry({ callKey: 'k', line: 'l', number: '1', at: 't', match: { entity: 'contact', id: 'i', name: 'N', field: 'f' }, extra: 'dropped' });
    expect(e).toEqual({ callKey: 'k', line: 'l', number: '1', at: 't', name: 'N', match: { entity: 'contact', id: 'i', name: 'N', field: 'f' } });
  });
});
