// Issue 11, break 2 and fault case 15 (manager half): acknowledgement follows
// durability. Real `crm-tapi manager` processes on one DataDir are SIGKILLed
// at random points while calls ring, connect and end on a simulated PBX and
// the simulated Dataverse (real HTTP) answers 10 % of requests with 503.
// Each kill comes shortly after a call ended, while reading the agent's user
// record (latency fault) still holds its records back: the window in which
// the old manager had acknowledged the end but queued nothing.
// Afterwards every finished call has exactly one call log entry, and every
// call on a line with an agent exactly one phone call (the line's default
// "Telefonanruf öffnen" = incoming): lost = duplicated = unexpected = 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counts } from './support/accounting.ts';
import { crmAccount, prng, seed, sleep, startLoad } from './support/load.ts';
import { startBridge, type Bridge } from './support/processes.ts';
import { until } from '../e2e/support/wait.ts';

const CALLS = Number(process.env.RELIABILITY_CALLS ?? 120);
const KILLS = 3;
const LINES = ['20', '21', '22', '23', '24', '25', '26', '27', '28', '29'];
const AGENT_LINES = new Set(['20', '21', '22', '23', '24']);
const SEED = seed();
const random = prng(SEED);

let bridge: Bridge;

beforeAll(async () => {
  bridge = await startBridge({ agentLines: [...AGENT_LINES], faultSeed: SEED });
}, 300_000);

afterAll(async () => {
  await bridge?.close();
});

describe('SIGKILL of the manager at random points (break 2, case 15)', () => {
  it(`${CALLS} calls, ${KILLS} kills, 10 % Dataverse 503: every finished call has exactly one call log and the phone calls the rules require`, async () => {
    const { dv, manager, connector, crm } = bridge;
    console.info(`manager-kill: seed ${SEED}`);
    dv.faults.add({ kind: 'unavailable', probability: 0.1 });
    // A slow CRM: reading the agent's user record (needed for the phone call) takes a while after each start.
    dv.faults.add({ kind: 'latency', method: 'GET', path: 'systemusers(', latencyMs: 1_500 });
    let killsDone = 0;
    const dropWaiters: (() => void)[] = [];
    // Calls come in stretches: before kill k at most (k + 1.5) stretches of calls start, so every kill
    // falls among calls and some calls ring, connect and end while the manager is away.
    const stretch = CALLS / (KILLS + 1);
    const load = startLoad(connector, {
      calls: CALLS, lines: LINES, random,
      limit: () => (killsDone >= KILLS ? CALLS : Math.floor((killsDone + 1.5) * stretch)),
      onDrop: () => {
        for (const resolve of dropWaiters.splice(0)) resolve();
      },
    });
    for (let k = 0; k < KILLS; k += 1) {
      const at = Math.floor((k + 0.5 + random() * 0.5) * stretch);
      await until(() => load.started() >= at, `call ${at} to start`, 120_000, 10);
      // Right after a call ended: its last events are acknowledged, its records may still be on their way.
      // (Bounded: a slow restart may have let every line reach the limit; then the kill comes anyway.)
      await Promise.race([new Promise<void>((resolve) => dropWaiters.push(resolve)), sleep(3_000)]);
      await sleep(20 + random() * 150);
      await manager.kill();
      await sleep(random() * 1_000);
      await manager.start();
      killsDone += 1;
      console.info(`manager-kill: kill ${killsDone} after call ${load.started()}, restarted`);
    }
    await load.done;

    // Let the outbox work through its retries with the faults still on, then read the CRM without them.
    await sleep(3_000);
    dv.faults.clear();
    const { callLogs, phoneCalls } = await crmAccount(crm, load.made, AGENT_LINES, 90_000);
    console.info(`manager-kill: ${load.made.length} calls, ${manager.lines('"msg":"manager running"').length} manager starts; call logs ${JSON.stringify(counts(callLogs))}, phone calls ${JSON.stringify(counts(phoneCalls))}`);
    expect({ seed: SEED, ...counts(callLogs), lostKeys: callLogs.lost.slice(0, 5) }).toEqual({ seed: SEED, lost: 0, duplicated: 0, unexpected: 0, lostKeys: [] });
    expect({ seed: SEED, ...counts(phoneCalls), lostKeys: phoneCalls.lost.slice(0, 5) }).toEqual({ seed: SEED, lost: 0, duplicated: 0, unexpected: 0, lostKeys: [] });
    expect(load.made.length).toBe(CALLS);
  }, 600_000);
});
