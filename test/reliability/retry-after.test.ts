// Fault case 3: nonsense Retry-After values (negative, garbage, huge, an HTTP
// date in the past and in 2099) and 5xx bursts from the simulated Dataverse
// (real HTTP) while `crm-tapi manager` (a child process) writes the records of
// a call burst. Both waits a request can meet are capped by configuration:
// the Web API client's own retry loop (`CrmMaxRetryWait`, default 30 s) and the
// outbox's wait after the client gave up (`OutboxMaxRetryDelay`, default
// 300 s). With both at 2 s, the simulated Dataverse's request log must never
// show a quiet stretch much longer than 2 s while records are still owed —
// with the defaults the 2099 date and `99999999` park every in-flight write
// for 30 s, so this test tells 2 s from 30 s and 300 s. Accounting as
// everywhere: lost = duplicated = unexpected = 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counts } from './support/accounting.ts';
import { crmAccount, prng, seed, startLoad } from './support/load.ts';
import { startBridge, type Bridge } from './support/processes.ts';
import { until } from '../e2e/support/wait.ts';

const LINES = ['20', '21', '22', '23', '24', '25', '26', '27', '28', '29'];
const AGENT_LINES = new Set(['20', '21', '22', '23', '24']);
const SEED = seed();
const random = prng(SEED);
const CAP_S = 2;
/**
 * The longest quiet stretch allowed: the cap, its 10 % jitter, the request's
 * own time and the scheduling of a loaded 2-core machine. Far below the 30 s
 * the Web API client's default would wait.
 */
const QUIET_BOUND_MS = CAP_S * 1100 + 6_000;

let bridge: Bridge;

beforeAll(async () => {
  bridge = await startBridge({ agentLines: [...AGENT_LINES], faultSeed: SEED, managerKeys: { OutboxMaxRetryDelay: CAP_S, CrmMaxRetryWait: CAP_S } });
}, 300_000);

afterAll(async () => {
  await bridge?.close();
});

describe('nonsense Retry-After and 5xx bursts (case 3)', () => {
  it('with CrmMaxRetryWait = OutboxMaxRetryDelay = 2 no wait exceeds the cap and every record arrives exactly once', async () => {
    const { dv, crm, connector } = bridge;
    const faultsOn = dv.state.clock.now();
    const nonsense = ['-1', 'abc', '99999999', 'Fri, 01 Jan 2099 00:00:00 GMT', 'Thu, 01 Jan 1970 00:00:00 GMT', '1e9'];
    for (const retryAfter of nonsense) dv.faults.add({ kind: 'throttle', probability: 0.1, retryAfter });
    // A burst: the next 15 requests all answered 503 with a far-future date, then 10 % of the rest.
    dv.faults.add({ kind: 'unavailable', times: 15, retryAfter: 'Fri, 01 Jan 2099 00:00:00 GMT' });
    dv.faults.add({ kind: 'unavailable', probability: 0.1, retryAfter: '86400' });
    const load = startLoad(connector, { calls: 40, lines: LINES, random });
    await load.done;
    // The faults stay on while the manager writes, until enough nonsense was answered.
    await until(() => dv.faults.fired.throttle >= 20, 'twenty 429s with nonsense Retry-After', 120_000, 100);
    dv.faults.clear();
    const cleared = Date.now();
    const { callLogs, phoneCalls } = await crmAccount(crm, load.made, AGENT_LINES, 60_000);
    const tookMs = Date.now() - cleared;

    // Quiet stretches in the writes that reached Dataverse (the test's own reads left out), from
    // the faults on to the last write of a record. By time, not index: the log keeps the last
    // 10,000 requests and drops older ones.
    const log = dv.requestLog.filter((r) => r.at >= faultsOn && (r.method === 'PATCH' || r.method === 'POST'));
    const lastWrite = Math.max(...log.filter((r) => r.method === 'PATCH' && r.status < 300).map((r) => r.at));
    let longest = { ms: 0, after: '' };
    let previous = faultsOn;
    for (const r of log) {
      if (r.at > lastWrite) break;
      if (r.at - previous > longest.ms) longest = { ms: r.at - previous, after: `${r.method} ${r.path.slice(0, 80)} ${r.status}` };
      previous = r.at;
    }
    const throttled = log.filter((r) => r.status === 429 || r.status === 503).length;
    console.info(`retry-after: seed ${SEED}, ${load.made.length} calls, ${throttled} answered 429/503 (${dv.faults.fired.throttle} 429s, ${dv.faults.fired.unavailable} 503s); longest quiet stretch ${longest.ms} ms (ending with ${longest.after}); all records ${tookMs} ms after the faults stopped; call logs ${JSON.stringify(counts(callLogs))}, phone calls ${JSON.stringify(counts(phoneCalls))}`);
    expect(throttled).toBeGreaterThanOrEqual(15);
    expect({ seed: SEED, callLogs: counts(callLogs), phoneCalls: counts(phoneCalls) }).toEqual({
      seed: SEED, callLogs: { lost: 0, duplicated: 0, unexpected: 0 }, phoneCalls: { lost: 0, duplicated: 0, unexpected: 0 },
    });
    expect(longest.ms, `no wait longer than ${CAP_S} s (+ slack): ${longest.after}`).toBeLessThanOrEqual(QUIET_BOUND_MS);
  }, 400_000);
});
