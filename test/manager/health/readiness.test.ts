// /readyz of a running manager, check by check: what each failing check says
// (the CLI test shows the endpoint is wired into `crm-tapi manager`;
// crm-unauthorized.test.ts the refused credentials).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { publishAttempt } from '../../../src/dataverse/web-api/diagnostics.ts';
import { startManagerHealth, type ManagerHealth } from '../../../src/manager/health/endpoint.ts';
import type { RunningManager } from '../../../src/manager/manager.ts';
import { managerConfig, runManager } from '../support/manager.ts';

let dv: SimulatedDataverse;
let manager: RunningManager;
let health: ManagerHealth;
let solution = true;

interface Readiness { ready: boolean; checks: { name: string; state: string; detail?: string }[]; reasons?: string[] }

async function readyz(): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`http://127.0.0.1:${health.port}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

beforeAll(async () => {
  dv = await startSimulatedDataverse({ port: 0 });
  const config = managerConfig(dv.url, { HealthPort: 0 });
  const h = await startManagerHealth(config, { solutionInstalled: async () => solution });
  if (h === undefined) throw new Error('no health endpoint');
  health = h;
  manager = (await runManager(config)).manager;
  health.attach(manager);
}, 60_000);

afterAll(async () => {
  await manager?.stop();
  await health?.close();
  await dv?.close();
});

describe('the manager /readyz', () => {
  it('is ready with every check ok', async () => {
    publishAttempt({ method: 'GET', status: 200, retry: false });
    const { status, body } = await readyz();
    expect(status).toBe(200);
    expect(body.checks.map((c) => `${c.name} ${c.state}`)).toEqual(['crm ok', 'solution ok', 'directory ok', 'listeners ok']);
  });

  it('is not ready while the last Dataverse request got no answer or a server error', async () => {
    publishAttempt({ method: 'GET', status: 503, retry: false });
    let r = await readyz();
    expect(r.status).toBe(503);
    expect(r.body.checks.find((c) => c.name === 'crm')?.detail).toMatch(/^the last Dataverse request at \S+ was answered HTTP 503$/);
    publishAttempt({ method: 'GET', status: 0, retry: false });
    r = await readyz();
    expect(r.body.checks.find((c) => c.name === 'crm')?.detail).toMatch(/^the last Dataverse request at \S+ got no answer$/);
    // A client error is the request's fault, not the CRM's.
    publishAttempt({ method: 'GET', status: 404, retry: false });
    expect((await readyz()).status).toBe(200);
  });

  it('is not ready without the solution, and says what to run', async () => {
    solution = false;
    try {
      const r = await readyz();
      expect(r.status).toBe(503);
      expect(r.body.checks.find((c) => c.name === 'solution')).toEqual({ name: 'solution', state: 'fail', detail: 'the crm-tapi solution is not installed in the organisation, or older than this manager needs (crm-tapi solution status)' });
    } finally {
      solution = true;
    }
  });

  it('is not ready when a listener does not answer its self-test, and names it', async () => {
    const selfTest = manager.gateway.selfTest.bind(manager.gateway);
    manager.gateway.selfTest = async () => false;
    try {
      const r = await readyz();
      expect(r.status).toBe(503);
      expect(r.body.checks.find((c) => c.name === 'listeners')).toEqual({ name: 'listeners', state: 'fail', detail: 'the TAPI port did not answer its self-test' });
    } finally {
      manager.gateway.selfTest = selfTest;
    }
    expect((await readyz()).status).toBe(200);
  });
});
