// Verdicts and reports (levels, --strict, JUnit, JSON), hook commands (env,
// exit status, deadline) and the --prove-hook way of proving.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../../src/conformance/case.ts';
import { runHook } from '../../src/conformance/hooks.ts';
import { formatSummary, HookProver, toJson, toJUnit } from '../../src/conformance/index.ts';
import { makeReport } from '../../src/conformance/report.ts';

const result = (id: string, level: 'MUST' | 'SHOULD', status: CaseResult['status'], reason = ''): CaseResult => ({ id, group: 'g', title: `case ${id} <&>`, clause: '§7.1', level, status, reason, notes: [], durationMs: 12 });

describe('verdict and reports', () => {
  const results = [result('M-A-01', 'MUST', 'pass'), result('M-A-02', 'SHOULD', 'fail', 'said "no" & closed'), result('M-A-03', 'MUST', 'skip', 'needs proof')];

  it('a failed SHOULD case decides only with --strict; a failed MUST case always', () => {
    expect(makeReport('manager', 't', false, new Date(), 1, results).passed).toBe(true);
    expect(makeReport('manager', 't', true, new Date(), 1, results).passed).toBe(false);
    expect(makeReport('manager', 't', false, new Date(), 1, [...results, result('M-A-04', 'MUST', 'fail', 'x')]).passed).toBe(false);
    expect(formatSummary(makeReport('manager', 't', true, new Date(), 1, results))).toMatch(/NOT conformant \(0 MUST case\(s\) failed, 1 SHOULD case\(s\) failed under --strict\)/);
  });

  it('JUnit: one testcase per case, skipped with its reason, a failed SHOULD case a failure only with --strict; well-formed XML', () => {
    const lax = toJUnit(makeReport('manager', 't', false, new Date(), 1, results));
    const strict = toJUnit(makeReport('manager', 't', true, new Date(), 1, results));
    expect(lax.match(/<testcase /g)).toHaveLength(3);
    expect(lax).toContain('failures="0"');
    expect(lax).toContain('<skipped message="needs proof"/>');
    expect(strict).toContain('failures="1"');
    expect(strict).toContain('<failure message="said &quot;no&quot; &amp; closed" type="SHOULD"/>');
    if (existsSync('/usr/bin/xmllint')) {
      const dir = mkdtempSync(join(tmpdir(), 'junit-'));
      try {
        writeFileSync(join(dir, 'r.xml'), strict);
        execFileSync('/usr/bin/xmllint', ['--noout', join(dir, 'r.xml')]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('JSON: every result and the counts', () => {
    const json = JSON.parse(toJson(makeReport('client', 't', false, new Date(), 1, results))) as { counts: Record<string, number>; results: unknown[] };
    expect(json.results).toHaveLength(3);
    expect(json.counts).toEqual({ pass: 1, fail: 1, skip: 1, mustFailed: 0, shouldFailed: 1 });
  });
});

describe('hooks', () => {
  it('a shell hook gets its variables and its output', async () => {
    expect((await runHook('on-ring', 'echo "line=$CONFORMANCE_LINE"', { CONFORMANCE_LINE: '701' }, 5_000)).stdout).toBe('line=701\n');
  });

  it('a hook function\'s returned text is its output (the show-call hook prints what the client shows)', async () => {
    expect((await runHook('show-call', async (env) => `state=connected\nkey=${env.CONFORMANCE_CALL_KEY}`, { CONFORMANCE_CALL_KEY: 'k/1' }, 5_000)).stdout).toBe('state=connected\nkey=k/1');
    expect((await runHook('on-dial', async () => undefined, {}, 5_000)).stdout).toBe('');
  });

  it('a failing hook fails the case with its exit status and last output', async () => {
    await expect(runHook('on-ring', 'echo no such line >&2; exit 3', {}, 5_000)).rejects.toThrow(/exited with 3: no such line/);
  });

  it('a hook past its deadline is killed with its process group, and the case fails at once', async () => {
    const started = Date.now();
    await expect(runHook('on-dial', 'sleep 30 & sleep 30', {}, 300)).rejects.toThrow(/did not finish within 300 ms/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('--prove-hook: the printed GUID is the session record; no GUID fails', async () => {
    const id = await new HookProver('echo "created {0B8C1D2E-3F40-4152-8637-48596A7B8C9D} for $CONFORMANCE_NONCE"').sessionRecord('n1', 'tab');
    expect(id).toBe('0b8c1d2e-3f40-4152-8637-48596a7b8c9d');
    await expect(new HookProver('echo nothing').sessionRecord('n1', 'tab')).rejects.toThrow(/printed no session record id/);
  });
});
