// bench/lib/popups.ts's drive, after its last frame: the tail waits for popups still in flight. It waits a
// tenth of the run (at most TAIL_MS: a 10-s run keeps the whole second it always had), then until every popup
// has arrived and the run is settled (the connectors acknowledged up to their last event), for at most TAIL_MS
// after the last frame in all. Driven here with clients that answer from a timer instead of a server: when
// each popup arrives is the test's choice.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { drive, schedule, TAIL_MS, type Popup, type Receiver } from '../../bench/lib/popups.ts';

const keyOf = (p: Popup) => `bench${p.host}.example/${p.callId}`;
const VECTOR = (JSON.parse(readFileSync(new URL('../../spec/vectors/intincall-callNotification.json', import.meta.url), 'utf8')) as { input: { xml: string } }).input.xml;
const offering = (key: string) => VECTOR.replace('<callKey>tapiconnector.chd.de#0x1F3A</callKey>', `<callKey>${key}</callKey>`);

/**
 * Drives `total` popups at `rate` to clients whose popup `n` arrives `delayOf(n)` ms after its offering frame
 * (never when undefined). Returns the latencies and how long drive ran after the last offering was written.
 */
async function run(total: number, rate: number, delayOf: (n: number) => number | undefined, settled?: () => boolean) {
  const popups = schedule(total, 4, 1);
  const receivers: Receiver[] = Array.from({ length: 4 }, () => ({ ws: {} as WebSocket }));
  let frames = 0;
  // Back to back each popup is two frames, its offering then its idle, in the schedule's order.
  const send = () => {
    const k = frames;
    frames += 1;
    if (k % 2 === 1) return;
    const p = popups[k / 2]!;
    const delay = delayOf(p.n);
    if (delay !== undefined) setTimeout(() => receivers[p.i]!.onMessage?.(offering(keyOf(p))), delay);
  };
  let lastSent = 0;
  const latencies = await drive(popups, rate, receivers, send, keyOf, undefined, [{ sent: (t) => (lastSent = t), popup: () => undefined }], 0, settled);
  return { latencies, tail: performance.now() - lastSent, frames };
}

describe('the bench run\'s tail', () => {
  it('ends soon after the last popup has arrived, instead of idling for the whole second', async () => {
    // 10 popups at 100/s: the last frame at 90 ms, a tail of at least 9 ms.
    const { latencies, tail, frames } = await run(10, 100, () => 1);
    expect(frames).toBe(20);
    expect(latencies).toHaveLength(10);
    expect(tail).toBeGreaterThanOrEqual(9);
    expect(tail).toBeLessThan(TAIL_MS / 2);
  });

  it('waits for a popup still in flight after the tenth of the run, and counts it', async () => {
    const { latencies, tail } = await run(10, 100, (n) => (n === 9 ? 300 : 1));
    expect(latencies).toHaveLength(10);
    // Node's timers run on the loop's cached clock: one may fire up to a millisecond early by performance.now().
    expect(Math.max(...latencies)).toBeGreaterThanOrEqual(299);
    expect(tail).toBeGreaterThanOrEqual(299);
    expect(tail).toBeLessThan(TAIL_MS);
  });

  it('waits until the run is settled (every connector acknowledged), not only for the popups', async () => {
    let settledAt = Infinity;
    const { latencies, tail } = await run(10, 100, () => 1, () => {
      if (settledAt === Infinity) settledAt = performance.now() + 250;
      return performance.now() >= settledAt;
    });
    expect(latencies).toHaveLength(10);
    expect(tail).toBeGreaterThanOrEqual(249);
    expect(tail).toBeLessThan(TAIL_MS);
  });

  it('gives up TAIL_MS after the last frame: a popup that never arrives is missing, as before', async () => {
    const { latencies, tail } = await run(10, 100, (n) => (n === 4 ? undefined : 1));
    expect(latencies).toHaveLength(9);
    expect(tail).toBeGreaterThanOrEqual(TAIL_MS - 1);
  });

  it('a longer run keeps a tail of a tenth of its length even when everything has arrived', async () => {
    // 21 popups at 10/s: the last frame at 2,000 ms, so at least 200 ms of tail.
    const { latencies, tail } = await run(21, 10, () => 1);
    expect(latencies).toHaveLength(21);
    expect(tail).toBeGreaterThanOrEqual(199);
  }, 10_000);
});
