import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeldEvents } from '../../../src/manager/routing/held-events.ts';

describe('HeldEvents', () => {
  it('routes nothing before release, everything in order at release, then passes events straight through', () => {
    fc.assert(fc.property(fc.array(fc.integer(), { maxLength: 50 }), fc.array(fc.integer(), { maxLength: 20 }), (before, after) => {
      const routed: number[] = [];
      const held = new HeldEvents<number>((e) => routed.push(e), 100);
      for (const e of before) held.accept(e);
      expect(routed).toEqual([]);
      expect(held.release()).toBe(before.length);
      expect(held.release()).toBe(0);
      for (const e of after) held.accept(e);
      expect(routed).toEqual([...before, ...after]);
    }));
  });

  it('past its limit routes the oldest at once and counts it, keeping the overall order', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10 }), fc.array(fc.integer(), { maxLength: 40 }), (limit, events) => {
      const routed: number[] = [];
      const held = new HeldEvents<number>((e) => routed.push(e), limit);
      for (const e of events) held.accept(e);
      expect(held.size).toBe(Math.min(limit, events.length));
      expect(held.overflowed).toBe(Math.max(0, events.length - limit));
      held.release();
      expect(routed).toEqual(events);
    }));
  });

  it('discard drops what waits and routes nothing', () => {
    const routed: number[] = [];
    const held = new HeldEvents<number>((e) => routed.push(e));
    held.accept(1);
    held.accept(2);
    expect(held.discard()).toBe(2);
    held.release();
    expect(routed).toEqual([]);
  });
});
