// The pre-authentication admission policy as a property: whatever order
// connections from whichever peers arrive and leave, a newcomer is always
// admitted, the caps hold after it is added, and a victim is always the
// oldest of its peer, and of a peer holding the most.
import { describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { PreAuthAdmission } from '../../../src/manager/admission/pre-auth.ts';

type Step = { kind: 'arrive'; peer: number } | { kind: 'leave'; pick: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('arrive' as const), peer: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), pick: fc.nat(1000) }) },
);

describe('PreAuthAdmission', () => {
  fcTest.prop([fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), fc.array(step, { maxLength: 300 })])('admits every newcomer within both caps, evicting the oldest of a peer', (total, perPeer, steps) => {
    const admission = new PreAuthAdmission<number>(() => ({ total, perPeer }));
    const order: { id: number; peer: string }[] = [];
    let next = 0;
    for (const s of steps) {
      if (s.kind === 'leave') {
        const gone = order.splice(s.pick % Math.max(1, order.length), 1)[0];
        if (gone) admission.remove(gone.id);
        continue;
      }
      const peer = `10.0.0.${s.peer}`;
      for (const { item, cap } of admission.victimsFor(peer)) {
        const victim = order.find((o) => o.id === item);
        expect(victim).toBeDefined();
        // The oldest still pending of its peer.
        expect(order.find((o) => o.peer === victim?.peer)?.id).toBe(item);
        // Its own cap evicts only the newcomer's peer; the total cap only a peer holding the most, so that a
        // stranger flooding from one address pushes out its own connections, not another peer's.
        const pendingOf = (p: string | undefined) => order.filter((o) => o.peer === p).length;
        if (cap === 'perPeer') expect(victim?.peer).toBe(peer);
        else expect(pendingOf(victim?.peer)).toBe(Math.max(...order.map((o) => pendingOf(o.peer))));
        order.splice(order.indexOf(victim as { id: number; peer: string }), 1);
        admission.remove(item);
      }
      const id = (next += 1);
      admission.add(id, peer);
      order.push({ id, peer });
      expect(admission.has(id)).toBe(true);
      expect(admission.size).toBeLessThanOrEqual(total);
      expect(admission.pendingOf(peer)).toBeLessThanOrEqual(perPeer);
    }
  });

  it('a flood from one address never evicts the one pending connection of another peer', () => {
    const admission = new PreAuthAdmission<string>(() => ({ total: 8, perPeer: 8 }));
    admission.add('legit', '192.0.2.7');
    const evicted: string[] = [];
    for (let i = 0; i < 100; i += 1) {
      for (const { item } of admission.victimsFor('198.51.100.66')) {
        evicted.push(item);
        admission.remove(item);
      }
      admission.add(`flood-${i}`, '198.51.100.66');
    }
    expect(admission.has('legit')).toBe(true);
    expect(evicted).toHaveLength(100 - 7);
    expect(evicted.every((e) => e.startsWith('flood-'))).toBe(true);
  });
});
