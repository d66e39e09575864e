// Fault cases 1 and 2: the CRM side misbehaves while calls come in, through
// `crm-tapi manager` and the simulated Dataverse over real HTTP (its fault
// rules, /_sim/faults). Per call: exactly one call log entry, and one phone
// call for every call on an agent line — lost = duplicated = unexpected = 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counts } from './support/accounting.ts';
import { crmAccount, prng, seed, startLoad, type MadeCall } from './support/load.ts';
import { startBridge, type Bridge } from './support/processes.ts';
import { until } from '../e2e/support/wait.ts';

const LINES = ['20', '21', '22', '23', '24', '25', '26', '27', '28', '29'];
const AGENT_LINES = new Set(['20', '21', '22', '23', '24']);
const SEED = seed();
const random = prng(SEED);

let bridge: Bridge;
/** Calls of earlier cases: every case accounts for all calls made so far. */
const made: MadeCall[] = [];

beforeAll(async () => {
  bridge = await startBridge({ agentLines: [...AGENT_LINES], faultSeed: SEED });
}, 300_000);

afterAll(async () => {
  await bridge?.close();
});

async function burst(calls: number): Promise<void> {
  const load = startLoad(bridge.connector, { calls, lines: LINES, random });
  await load.done;
  made.push(...load.made);
}

async function expectEveryRecordOnce(label: string): Promise<void> {
  const { callLogs, phoneCalls } = await crmAccount(bridge.crm, made, AGENT_LINES, 90_000);
  console.info(`${label}: seed ${SEED}, ${made.length} calls; call logs ${JSON.stringify(counts(callLogs))}, phone calls ${JSON.stringify(counts(phoneCalls))}`);
  expect({ seed: SEED, callLogs: counts(callLogs), phoneCalls: counts(phoneCalls) }).toEqual({
    seed: SEED, callLogs: { lost: 0, duplicated: 0, unexpected: 0 }, phoneCalls: { lost: 0, duplicated: 0, unexpected: 0 },
  });
}

describe('Dataverse faults during call bursts', () => {
  it('case 1: a 429 storm with mixed Retry-After during a 100-call burst loses and duplicates nothing', async () => {
    const { dv } = bridge;
    for (const retryAfter of ['1', '0', '2', undefined]) {
      dv.faults.add({ kind: 'throttle', probability: 0.15, ...(retryAfter === undefined ? {} : { retryAfter }) });
    }
    await burst(100);
    // The faults stay on while the manager writes (on a loaded machine it writes after the burst).
    await until(() => dv.faults.fired.throttle >= 20, 'twenty 429s', 120_000, 100);
    dv.faults.clear();
    await expectEveryRecordOnce('case 1');
  }, 300_000);

  it('case 2: writes Dataverse committed but whose response was lost (reset and 504) leave exactly one record', async () => {
    const { dv } = bridge;
    const before = dv.faults.fired['lose-response'];
    dv.faults.add({ kind: 'lose-response', mode: 'reset', method: 'PATCH', probability: 0.15 });
    dv.faults.add({ kind: 'lose-response', mode: '504', method: 'PATCH', probability: 0.15 });
    dv.faults.add({ kind: 'lose-response', mode: '504', method: 'POST', probability: 0.15 });
    await burst(60);
    await until(() => dv.faults.fired['lose-response'] >= before + 10, 'ten lost responses', 120_000, 100);
    dv.faults.clear();
    await expectEveryRecordOnce('case 2');
  }, 300_000);
});
