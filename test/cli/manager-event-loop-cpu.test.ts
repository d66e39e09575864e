// `EventLoopCpu` through the production composition: `crm-tapi manager` as a child process with the key, a call
// rung on a real connector, popped up to a proven agent and recorded in the simulated Dataverse; then every thread
// of the manager's process read from /proc: the event loop's alone on its CPU, every other one — the journal's,
// the outbox's writer and checkpointer, the delivery worker that sent the records, V8's and libuv's — on the rest.
// Without the key nothing is pinned. docs/manager.md ("Keeping a CPU for the event loop").
import { afterAll, describe, expect, it } from 'vitest';
import { createSchema } from '../../src/dataverse/schema.ts';
import { allowedCpus, formatCpuList, threadCpus } from '../../src/platform/cpu-affinity.ts';
import { E2eClient } from '../e2e/support/client.ts';
import { until } from '../e2e/support/wait.ts';
import { startBridge, type Bridge } from '../reliability/support/processes.ts';

const log = createSchema().callLog;
const allowed = process.platform === 'linux' ? (allowedCpus() ?? []) : [];

let bridge: Bridge | undefined;
afterAll(async () => {
  await bridge?.close();
});

/** Rings line 20, waits for anna's popup and the call log, and returns the manager's threads. */
async function callThrough(b: Bridge): Promise<Map<string, string>> {
  const { dv, manager, connector, crm } = b;
  const anna = await E2eClient.open(manager.wsUrl, 'anna', new URL(dv.url).origin);
  try {
    await anna.prove(await crm.user('anna'), await anna.connect());
    await until(() => anna.of('welcome').some((w) => w.lines.some((l) => l.line === connector.line('20'))), 'anna to be welcomed with line 20', 60_000);
    const call = connector.pbx.incoming({ number: '+49 30 1234567' }, '20');
    const callId = call.callIds[0] as string;
    const callKey = connector.callKey(callId);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'offering', 30_000);
    connector.pbx.drop(callId);
    await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle', 30_000);
    // Written by the delivery worker: it has started and done its work by then.
    await until(async () => (await crm.admin.list(log.entitySet, `$filter=${log.fields.callKey} eq '${callKey}'`)).length === 1, 'the call log', 60_000, 100);
  } finally {
    await anna.close();
  }
  return threadCpus(b.manager.pid!);
}

describe.runIf(process.platform === 'linux' && allowed.length >= 2)('crm-tapi manager with EventLoopCpu', () => {
  it('serves a call as without the key, with the event loop alone on its CPU and every other thread on the rest', async () => {
    const cpu = allowed[allowed.length - 1]!;
    const background = formatCpuList(allowed.filter((c) => c !== cpu));
    bridge = await startBridge({ managerKeys: { EventLoopCpu: cpu }, lines: '20-21', agentLines: ['20'] });
    const pid = bridge.manager.pid!;
    const threads = await callThrough(bridge);
    expect(threads.get(String(pid))).toBe(String(cpu));
    const others = [...threads].filter(([tid]) => tid !== String(pid));
    // V8's helpers, libuv's pool, the journal's worker, the outbox's writer and checkpointer, the delivery worker.
    expect(others.length).toBeGreaterThanOrEqual(10);
    expect(others.filter(([, cpus]) => cpus !== background)).toEqual([]);
    expect(bridge.manager.lines(`EventLoopCpu: the event loop runs on CPU ${cpu} alone, every other thread on CPUs ${background}`)).toHaveLength(1);
    expect(bridge.manager.lines('stays on the CPU of the event loop')).toEqual([]);
    await bridge.close();
    bridge = undefined;
  }, 300_000);

  it('without the key, pins nothing', async () => {
    bridge = await startBridge({ lines: '20-21', agentLines: ['20'] });
    const threads = await callThrough(bridge);
    expect(new Set(threads.values())).toEqual(new Set([formatCpuList(allowed)]));
    expect(bridge.manager.lines('EventLoopCpu')).toEqual([]);
  }, 300_000);
});
