// The manager role against our own manager: every case passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatResult, MANAGER_CASES, runSuite } from '../../src/conformance/index.ts';
import { freshContext, startManagerWorld, type ManagerWorld } from './support/manager-world.ts';

let world: ManagerWorld;

beforeAll(async () => {
  world = await startManagerWorld();
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

describe('conformance manager against our manager', () => {
  it('passes every case', async () => {
    const report = await runSuite('manager', world.target.wsUrl, MANAGER_CASES, freshContext(world.target), { caseTimeoutMs: 15_000 });
    const bad = report.results.filter((r) => r.status !== 'pass');
    expect(bad.map(formatResult).join('\n')).toBe('');
    expect(report.passed).toBe(true);
  }, 120_000);
});
