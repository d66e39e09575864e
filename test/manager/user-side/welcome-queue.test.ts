// The welcome queue (src/manager/clients/welcome-queue.ts): welcomes sent
// again go a slice per event-loop turn, so a connector of 200 lines coming
// back, or an entitlement re-read touching 10,000 clients, never holds the
// loop for all of them. Turns are counted with a self-renewing setImmediate.
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { WelcomeQueue } from '../../../src/manager/clients/welcome-queue.ts';
import { turnCounter } from '../../support/turn-counter.ts';

async function idle(queue: WelcomeQueue<number>): Promise<void> {
  while (queue.pending > 0) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}

describe('WelcomeQueue', () => {
  fcTest.prop(
    {
      clients: fc.integer({ min: 1, max: 10_000 }),
      changed: fc.array(fc.nat(), { maxLength: 400 }),
      sends: fc.integer({ min: 1, max: 64 }),
      checks: fc.integer({ min: 1, max: 3000 }),
      all: fc.boolean(),
    },
    { numRuns: 30 },
  )('checks each queued client once, welcomes exactly the changed ones, and stays within its limits per turn', async ({ clients, changed, sends, checks, all }) => {
    const differ = new Set(changed.map((c) => c % clients));
    const counter = turnCounter();
    const checkedAt = new Map<number, number[]>();
    const sentPerTurn = new Map<number, number>();
    const checksPerTurn = new Map<number, number>();
    const queue = new WelcomeQueue<number>((c) => {
      const turn = counter.now();
      checkedAt.set(c, [...(checkedAt.get(c) ?? []), turn]);
      checksPerTurn.set(turn, (checksPerTurn.get(turn) ?? 0) + 1);
      if (!differ.has(c)) return false;
      sentPerTurn.set(turn, (sentPerTurn.get(turn) ?? 0) + 1);
      differ.delete(c); // welcomed: its fingerprint is the current one now
      return true;
    }, () => undefined, { sends, checks });
    const queued = all ? Array.from({ length: clients }, (_, i) => i) : [...new Set(changed.map((c) => c % clients))];
    // Queued twice in the same turn (a line event and an entitlement change): still checked once.
    for (const c of [...queued, ...queued]) queue.add(c);
    const expected = new Set(differ);
    await idle(queue);
    counter.stop();
    expect([...checkedAt.values()].every((turns) => turns.length === 1)).toBe(true);
    expect(checkedAt.size).toBe(queued.length);
    expect(differ.size).toBe(0);
    expect([...sentPerTurn.values()].reduce((a, b) => a + b, 0)).toBe(expected.size);
    expect(Math.max(0, ...sentPerTurn.values())).toBeLessThanOrEqual(sends);
    expect(Math.max(0, ...checksPerTurn.values())).toBeLessThanOrEqual(checks);
  });

  it('a 200-line connector at 10,000 clients: 200 welcomes in slices of 16, never in the turn of the change', async () => {
    const counter = turnCounter();
    const sentTurns: number[] = [];
    const queue = new WelcomeQueue<number>((c) => {
      if (c % 50 !== 7) return false;
      sentTurns.push(counter.now());
      return true;
    }, () => undefined);
    const changeTurn = counter.now();
    for (let c = 0; c < 10_000; c += 1) queue.add(c);
    await idle(queue);
    counter.stop();
    expect(sentTurns).toHaveLength(200);
    expect(Math.min(...sentTurns)).toBeGreaterThan(changeTurn);
    const perTurn = new Map<number, number>();
    for (const t of sentTurns) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(16);
    expect(queue.turns).toBeGreaterThanOrEqual(Math.ceil(200 / 16));
  });

  it('a check that throws is reported and the others are still checked; nothing is queued after stop', async () => {
    const errors: unknown[] = [];
    const seen: number[] = [];
    const queue = new WelcomeQueue<number>((c) => {
      seen.push(c);
      if (c === 2) throw new Error('socket gone');
      return true;
    }, (err) => errors.push(err));
    for (const c of [1, 2, 3]) queue.add(c);
    await idle(queue);
    expect(seen).toEqual([1, 2, 3]);
    expect(errors).toHaveLength(1);
    queue.stop();
    queue.add(4);
    await idle(queue);
    expect(seen).toEqual([1, 2, 3]);
  });
});
