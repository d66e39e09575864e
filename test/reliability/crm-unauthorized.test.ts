// Fault case 4: Dataverse refuses the manager's credentials — once (a token
// revoked mid-run) and persistently (a changed password) — while calls come
// in. `crm-tapi manager` (a child process) signs in as an IFD deployment does
// (bearer tokens from AD FS, so a "renewal" is a token request the simulated
// Dataverse can count) and its health endpoint is on. The simulated
// Dataverse's `unauthorized` fault answers the Web API with 401 and, with
// target "any", refuses the sign-in too.
// - Once: exactly one token renewal, the refused request sent again, every
//   record once.
// - Persistently: /readyz says `crm: unauthorized: …` and the log names the
//   code, neither shows a secret; no record is lost: when the credentials
//   work again every call has exactly one call log and phone call, and
//   /readyz is ready again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counts } from './support/accounting.ts';
import { crmAccount, prng, seed, startLoad, type MadeCall } from './support/load.ts';
import { SERVICE, startBridge, type Bridge } from './support/processes.ts';
import { freePort } from '../support/ports.ts';
import { until } from '../e2e/support/wait.ts';
import { requestDiagnose } from '../../src/manager/diagnose-client.ts';
import { formatReport } from '../../src/manager/diagnose-format.ts';

/** The public client of the simulated AD FS (fixtures/crm/directory.json). */
const ROPC_CLIENT = '51f81489-12ee-4a9e-aaae-a2591f45987d';
const LINES = ['20', '21', '22', '23', '24', '25', '26', '27', '28', '29'];
const AGENT_LINES = new Set(['20', '21', '22', '23', '24']);
const DIAGNOSE_KEY = 'operator-diagnose-key-reliability-4';
const SEED = seed();
const random = prng(SEED);

let bridge: Bridge;
let health: string;
const made: MadeCall[] = [];

interface Readiness { ready: boolean; checks: { name: string; state: string; detail?: string }[] }
async function readyz(): Promise<{ status: number; body: Readiness; text: string }> {
  const res = await fetch(`${health}/readyz`);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Readiness, text };
}
const crmCheck = async (): Promise<{ state: string; detail?: string } | undefined> => (await readyz()).body.checks.find((c) => c.name === 'crm');

async function expectEveryRecordOnce(label: string): Promise<void> {
  const { callLogs, phoneCalls } = await crmAccount(bridge.crm, made, AGENT_LINES, 90_000);
  console.info(`${label}: seed ${SEED}, ${made.length} calls; call logs ${JSON.stringify(counts(callLogs))}, phone calls ${JSON.stringify(counts(phoneCalls))}`);
  expect({ seed: SEED, callLogs: counts(callLogs), phoneCalls: counts(phoneCalls) }).toEqual({
    seed: SEED, callLogs: { lost: 0, duplicated: 0, unexpected: 0 }, phoneCalls: { lost: 0, duplicated: 0, unexpected: 0 },
  });
}

/** Counts sign-ins: a zero-latency rule on the token endpoints fires once per token request. */
function tokenRequests(rule: number): number {
  return bridge.dv.faults.list().find((r) => r.id === rule)?.fired ?? 0;
}

beforeAll(async () => {
  const port = await freePort();
  health = `http://127.0.0.1:${port}`;
  bridge = await startBridge({
    agentLines: [...AGENT_LINES], faultSeed: SEED,
    managerKeys: (dv) => ({ CrmType: 'InternalIFD', CrmAuthority: `${dv.url}/adfs`, CrmClientId: ROPC_CLIENT, HealthPort: port, DiagnoseKey: DIAGNOSE_KEY, OutboxMaxRetryDelay: 2, CrmMaxRetryWait: 2 }),
  });
}, 300_000);

afterAll(async () => {
  await bridge?.close();
});

describe('Dataverse refuses the credentials (case 4)', () => {
  it('401 once: one token renewal, the request sent again, every record once', async () => {
    const { dv, connector } = bridge;
    const signIns = dv.faults.add({ kind: 'latency', target: 'token', latencyMs: 0 });
    dv.faults.add({ kind: 'unauthorized', times: 1 });
    const load = startLoad(connector, { calls: 10, lines: LINES, random });
    await load.done;
    made.push(...load.made);
    await until(() => dv.faults.fired.unauthorized >= 1, 'the 401', 60_000, 50);
    await expectEveryRecordOnce('401 once');
    expect(tokenRequests(signIns)).toBe(1);
    expect(dv.faults.fired.unauthorized).toBe(1);
    expect(bridge.manager.lines('renewing the access token once')).toHaveLength(1);
    expect((await crmCheck())?.state).toBe('ok');
    dv.faults.clear();
  }, 300_000);

  it('401 persistently: /readyz and the log say unauthorized without a secret, nothing is lost, recovery when the credentials work again', async () => {
    const { dv, connector, manager } = bridge;
    const refused = dv.faults.add({ kind: 'unauthorized', target: 'any' });
    const load = startLoad(connector, { calls: 20, lines: LINES, random });
    await load.done;
    made.push(...load.made);
    await until(async () => (await crmCheck())?.state === 'fail', '/readyz to report the refused credentials', 60_000, 200);
    const ready = await readyz();
    expect(ready.status).toBe(503);
    expect((await crmCheck())?.detail).toMatch(/^unauthorized: Dataverse refused the manager's credentials at .* records wait in the outbox/);
    await until(() => manager.lines('write waits for working credentials').length > 0, 'the log to say the writes wait for credentials', 60_000, 200);
    const waiting = manager.lines('write waits for working credentials');
    expect(waiting.every((l) => (JSON.parse(l) as { code?: string }).code === 'unauthorized')).toBe(true);
    // `crm-tapi diagnose` shows it too: the oldest waiting write and why it waits.
    const report = await requestDiagnose({ url: manager.wsUrl, key: DIAGNOSE_KEY, action: 'diagnose', timeoutMs: 20_000 });
    expect(report.command).toBe('diagnoseReport');
    const diagnosed = report.command === 'diagnoseReport' ? formatReport(report, Date.now()) : '';
    expect(diagnosed).toMatch(/oldest waiting: .*, last error unauthorized: /);
    // Neither the operator's views nor the log carry a secret.
    for (const text of [ready.text, diagnosed, manager.lines('')].flat()) {
      expect(text).not.toContain(SERVICE.password);
      expect(text).not.toMatch(/Bearer [A-Za-z0-9-_]{20,}\./);
    }
    expect(dv.faults.fired.unauthorized).toBeGreaterThan(5);

    // The password works again: everything made meanwhile arrives, once.
    dv.faults.remove(refused);
    await expectEveryRecordOnce('401 persistently, then credentials work again');
    await until(async () => (await crmCheck())?.state === 'ok', '/readyz to be ready again', 60_000, 200);
    expect((await readyz()).status).toBe(200);
  }, 300_000);
});
