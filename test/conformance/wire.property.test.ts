// Property: random chunking and delays on the wire do not change the verdict.
// Our manager behind a relay that re-chunks every byte stream (TCP) and delays
// every message (WebSocket) at random: each case keeps the status it has
// without the relay — pass for the manager as it is, fail for a manager that
// acknowledges nothing.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGER_CASES, ManagerContext, runSuite, type ManagerTarget } from '../../src/conformance/index.ts';
import { startManagerWorld, type ManagerWorld } from './support/manager-world.ts';
import { tcpRelay, wsRelay, type Rules } from './support/proxy.ts';

const ONLY = ['M-REG-01', 'M-REG-05', 'M-REG-06', 'M-FRM-01', 'M-FRM-02', 'M-HS-01', 'M-HS-05', 'M-CALL-01', 'M-CMD-01'];

let world: ManagerWorld;

beforeAll(async () => {
  world = await startManagerWorld();
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

type Plan = { size: number; delayMs: number }[];

// A wire slower than the suite's own deadlines changes verdicts legitimately: a
// reply must arrive within `replyMs` (2 s here, 1 s for the broken manager), and
// the manager drops a connector it hears nothing from for 1.5 s. Byte by byte
// with 2 ms before each byte moves about 400 bytes a second, and a conformant
// manager then fails for want of time (CI found that plan). So a plan may wait at
// most 0.05 ms per byte it carries, on average over its cycle (a wire of at least
// 20 KB/s), counting each wait as 1 ms more than asked: a timer fires no sooner.
// At that bound every case passes in about 1.5 s, also with both cores busy.
const MAX_WAIT_PER_BYTE_MS = 0.05;
const waitPerByte = (plan: Plan): number =>
  plan.reduce((ms, c) => ms + (c.delayMs > 0 ? c.delayMs + 1 : 0), 0) / plan.reduce((bytes, c) => bytes + c.size, 0);

// Chunks of 1–512 bytes; one chunk in five waits 1–5 ms first, within the bound above.
const schedule = fc.array(fc.record({
  size: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 512 })),
  delayMs: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }) }),
}), { minLength: 1, maxLength: 20 }).filter((plan) => waitPerByte(plan) <= MAX_WAIT_PER_BYTE_MS);

// Tried before the two random plans: every byte alone, and the slowest wire the bound allows.
const EXAMPLES: [Plan][] = [[[{ size: 1, delayMs: 0 }]], [[{ size: 100, delayMs: 4 }]]];

async function statuses(rules: Rules, plan: Plan | undefined, only: string[] = ONLY, replyMs = 2_000): Promise<Record<string, string>> {
  let i = 0;
  const chaos = plan === undefined ? undefined : { next: () => plan[(i += 1) % plan.length] as Plan[number] };
  const tcp = await tcpRelay(world.target.tcpPort, rules, chaos, { live: true });
  const ws = await wsRelay(world.target.wsUrl, {}, () => (plan === undefined ? 0 : (plan[(i += 1) % plan.length]?.delayMs ?? 0)));
  try {
    const target: ManagerTarget = { ...world.target, tcpPort: tcp.port, wsUrl: `ws://127.0.0.1:${ws.port}/`, replyMs };
    const report = await runSuite('manager', 'chaos', MANAGER_CASES, new ManagerContext(target), { only, caseTimeoutMs: 10_000 });
    return Object.fromEntries(report.results.map((r) => [r.id, r.status === 'fail' ? `fail: ${r.reason}` : r.status]));
  } finally {
    await tcp.close();
    await ws.close();
  }
}

const verdictOnly = (s: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.startsWith('fail') ? 'fail' : v]));

describe('random chunking and delays do not change the verdict', () => {
  it('a conformant manager passes every case however the bytes are cut and delayed', async () => {
    const baseline = await statuses({}, undefined);
    expect(Object.values(baseline).every((s) => s === 'pass'), JSON.stringify(baseline)).toBe(true);
    await fc.assert(fc.asyncProperty(schedule, async (plan) => {
      expect(await statuses({}, plan)).toEqual(baseline);
    }), { numRuns: EXAMPLES.length + 2, examples: EXAMPLES }); // examples count within numRuns
  }, 120_000);

  it('a manager that acknowledges nothing fails the same cases however the bytes are cut and delayed', async () => {
    const broken: Rules = { down: (m) => (m.command === 'ack' ? [] : [m]) };
    const only = ['M-REG-01', 'M-REG-05', 'M-HS-01', 'M-FRM-02'];
    const baseline = verdictOnly(await statuses(broken, undefined, only, 1_000));
    expect(Object.values(baseline)).toContain('fail');
    await fc.assert(fc.asyncProperty(schedule, async (plan) => {
      expect(verdictOnly(await statuses(broken, plan, only, 1_000))).toEqual(baseline);
    }), { numRuns: 2 });
  }, 120_000);
});
