// The manager role against our own manager: every case passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatResult, MANAGER_CASES, runSuite } from '../../src/conformance/index.ts';
import { freshContext, startManagerWorld, type ManagerWorld } from './support/manager-world.ts';
import { wsRelay } from './support/proxy.ts';

let world: ManagerWorld;

beforeAll(async () => {
  world = await startManagerWorld();
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

describe('conformance manager against our manager', () => {
  it('a transfer target the manager refuses as rate-limited is asked again after 6 s, and the case passes with a note', async () => {
    let limited = 0;
    // The first targeted control meets a rate limit, as a manager with a small DialBurst answers it.
    const relay = await wsRelay(world.target.wsUrl, {
      up: (m, { back }) => {
        if (m.command !== 'callControl' || m.target === undefined || limited > 0) return [m];
        limited += 1;
        back({ channel: 'intincall', command: 'callControlResult', requestId: m.requestId, ok: false, error: { code: 'rate-limited', message: 'too many dial requests; try again in 5 s' } });
        return [];
      },
    });
    try {
      const report = await runSuite('manager', 'rate limited', MANAGER_CASES, freshContext({ ...world.target, wsUrl: `ws://127.0.0.1:${relay.port}/` }), { only: ['M-CC-04'], caseTimeoutMs: 30_000 });
      expect(report.results[0]?.status, report.results.map(formatResult).join('\n')).toBe('pass');
      expect(report.results[0]?.notes.join(' ')).toMatch(/transfer met the manager's rate limit; asked again after 6 s/);
      expect(limited).toBe(1);
    } finally {
      await relay.close();
    }
  }, 60_000);

  it('passes every case', async () => {
    const report = await runSuite('manager', world.target.wsUrl, MANAGER_CASES, freshContext(world.target), { caseTimeoutMs: 15_000 });
    const bad = report.results.filter((r) => r.status !== 'pass');
    expect(bad.map(formatResult).join('\n')).toBe('');
    expect(report.passed).toBe(true);
  }, 120_000);

  it('without a way to prove, the cases that need a proven client are skipped with the reason; without an entitled line, the call cases say what to assign', async () => {
    const { prover: _unused, ...noProof } = world.target;
    const unproven = await runSuite('manager', 'no proof', MANAGER_CASES, freshContext(noProof), { only: ['M-HS-05', 'M-CALL-01', 'M-HS-04'] });
    expect(unproven.results.map((r) => [r.id, r.status])).toEqual([['M-HS-04', 'pass'], ['M-HS-05', 'skip'], ['M-CALL-01', 'skip']]);
    expect(unproven.results[1]?.reason).toMatch(/needs a proven browser client: give --dataverse/);
    expect(unproven.passed).toBe(true);
    const unassigned = await runSuite('manager', 'no entitled line', MANAGER_CASES, freshContext({ ...world.target, lines: ['702'] }), { only: ['M-CALL-01'] });
    expect(unassigned.results[0]?.status).toBe('skip');
    expect(unassigned.results[0]?.reason).toMatch(/entitled to none of conformance:702; assign one of them/);
  }, 60_000);
});
