// bench/lib/popups.ts's drive, after its last frame: the tail waits for popups still in flight. It waits a
// tenth of the run (at most TAIL_MS: a 10-s run keeps the whole second it always had), then until every popup
// has arrived and the run is settled (the connectors acknowledged up to their last event), for at most TAIL_MS
// after the last frame in all. Driven here with clients that answer from a timer instead of a server: when
// each popup arrives is the test's choice.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { drive, schedule, TAIL_MS, timeline, type Popup, type Receiver } from '../../bench/lib/popups.ts';

const keyOf = (p: Popup) => `bench${p.host}.example/${p.callId}`;
const VECTOR = (JSON.parse(readFileSync(new URL('../../spec/vectors/intincall-callNotification.json', import.meta.url), 'utf8')) as { input: { xml: string } }).input.xml;
const offering = (key: string) => VECTOR.replace('<callKey>tapiconnector.chd.de#0x1F3A</callKey>', `<callKey>${key}</callKey>`);

/**
 * Drives `total` popups at `rate` to clients whose popup `n` arrives `delayOf(n)` ms after its offering frame
 * (never when undefined). Returns the latencies, how long drive ran after the last offering was written, and
 * whether a timer of a tenth of the run, started as the last frame went, had fired before drive returned.
 * That timer, not the clock, is what shows the tenth was waited for: Node starts a timer from the loop's clock
 * of the turn's start, so one set late in a long turn (a loaded host) fires less than its delay after a
 * performance.now() read in that turn (the tail once measured 8.88 ms for a 9-ms wait, with both cores busy).
 */
async function run(total: number, rate: number, delayOf: (n: number) => number | undefined, settled?: () => boolean) {
  const popups = schedule(total, 4, 1);
  const receivers: Receiver[] = Array.from({ length: 4 }, () => ({ ws: {} as WebSocket }));
  const tenthMs = Math.min(TAIL_MS, (timeline(popups, rate).at(-1)?.at ?? 0) / 10);
  let tenthPassed = false;
  let frames = 0;
  // Back to back each popup is two frames, its offering then its idle, in the schedule's order.
  const send = () => {
    const k = frames;
    frames += 1;
    // The last frame's turn is the one in which drive starts its tail: this timer, of the same delay from the
    // same loop clock and set first, fires before drive's.
    if (frames === 2 * total) setTimeout(() => (tenthPassed = true), tenthMs);
    if (k % 2 === 1) return;
    const p = popups[k / 2]!;
    const delay = delayOf(p.n);
    if (delay !== undefined) setTimeout(() => receivers[p.i]!.onMessage?.(offering(keyOf(p))), delay);
  };
  let lastSent = 0;
  const latencies = await drive(popups, rate, receivers, send, keyOf, undefined, [{ sent: (t) => (lastSent = t), popup: () => undefined }], 0, settled);
  return { latencies, tail: performance.now() - lastSent, frames, tenthPassed };
}

describe('the bench run\'s tail', () => {
  it('ends soon after the last popup has arrived, instead of idling for the whole second', async () => {
    // 10 popups at 100/s: the last frame at 90 ms, a tail of at least 9 ms.
    const { latencies, tail, frames, tenthPassed } = await run(10, 100, () => 1);
    expect(frames).toBe(20);
    expect(latencies).toHaveLength(10);
    expect(tenthPassed).toBe(true);
    expect(tail).toBeLessThan(TAIL_MS / 2);
  });

  it('waits for a popup still in flight after the tenth of the run, and counts it', async () => {
    const { latencies, tail } = await run(10, 100, (n) => (n === 9 ? 300 : 1));
    expect(latencies).toHaveLength(10);
    // The late popup's 300-ms timer starts from the loop's clock of its turn (above): by performance.now() it may
    // fire early by as much as that turn had run, more than a millisecond on a loaded host. The others take ~1 ms.
    expect(Math.max(...latencies)).toBeGreaterThanOrEqual(290);
    expect(tail).toBeGreaterThanOrEqual(290);
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
    const { latencies, tail, tenthPassed } = await run(21, 10, () => 1);
    expect(latencies).toHaveLength(21);
    expect(tenthPassed).toBe(true);
    expect(tail).toBeGreaterThan(150);
  }, 10_000);
});
