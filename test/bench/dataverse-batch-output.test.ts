// bench/dataverse-batch.ts: the Dataverse client's CPU per record, one request per record beside records
// in a $batch, against the stand-in Web API (bench/lib/webapi-child.ts) — which must serve $batch as
// Dataverse does, part by part, refusing what Dataverse refuses. Small sizes: the output, not the figures.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataverseError } from '../../src/dataverse/web-api/errors.ts';
import { startWebApi, type WebApi } from '../../bench/lib/webapi.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('bench/dataverse-batch.ts output', () => {
  it('prints each size\'s CPU per record beside one request per record, every record created, and a verdict on the largest size', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/dataverse-batch.ts', '--records', '40', '--rounds', '2', '--sizes', '10,4'], { cwd: ROOT, timeout: 90_000 });
    // Size 1 is always measured (the baseline), first.
    const rows = [...stdout.matchAll(/^ +(\d+) {3} +(\d+) {3} +([\d.]+)x {3}(\d+), (\d+)$/gm)].map((m) => ({ size: Number(m[1]), us: Number(m[2]), ratio: Number(m[3]) }));
    expect(rows.map((r) => r.size)).toEqual([1, 10, 4]);
    expect(rows[0]!.ratio).toBe(1);
    for (const r of rows) expect(r.us).toBeGreaterThan(0);
    // 40 records per size and round, 2 rounds (after a warm-up): 40 + 4 + 10 requests per round.
    expect(stdout).toMatch(/^the stand-in took 108 requests \(108 expected\) and created 240 records; /m);
    const verdict = /^requirement not checked \(a diagnostic: issue 18 sets no target for it\): 10 records per \$batch cost (\d+) µs of CPU per record, ([\d.]+)x less than one request per record \((\d+) µs\); nothing refused or lost$/m.exec(stdout);
    expect(verdict).not.toBeNull();
    expect(Number(verdict![1])).toBe(rows[1]!.us);
    expect(Number(verdict![3])).toBe(rows[0]!.us);
  }, 120_000);

  it('refuses --sizes it cannot send', async () => {
    const failed = await run(process.execPath, ['--import', 'tsx', 'bench/dataverse-batch.ts', '--sizes', '1,1001'], { cwd: ROOT, timeout: 30_000 }).catch((e: unknown) => e as { code: number; stderr: string });
    // A usage error, as bench/run.ts answers one: status 2 and one line, no stack trace.
    expect((failed as { code: number }).code).toBe(2);
    expect((failed as { stderr: string }).stderr).toMatch(/^error: invalid-option: --sizes must be whole numbers from 1 to 1000 .*\n$/);
  }, 40_000);
});

describe('the stand-in Web API\'s $batch', () => {
  let api: WebApi;
  beforeAll(async () => {
    api = await startWebApi('loop');
  }, 60_000);
  afterAll(async () => api.stop());

  const upsert = (body: unknown = { ctapi_name: 'x' }, headers: Record<string, string> = { 'If-None-Match': '*' }) => ({ method: 'PATCH' as const, path: `ctapi_calllogs(${randomUUID()})`, body, headers });

  it('answers part by part; a refused part stops the rest unless continue-on-error, as Dataverse does', async () => {
    const before = await api.stats();
    const bad = upsert({ ctapi_name: 'x' }, {});
    const all = await api.client.batch([upsert(), bad, upsert()], { continueOnError: true });
    expect(all.map((a) => a.status)).toEqual([204, 400, 204]);
    expect((all[1]!.body as { error: { message: string } }).error.message).toMatch(/create-only upserts/);
    // Without it the stand-in stops after the refused part: the client reports the part's failure.
    const stopped = await api.client.batch([upsert(), bad, upsert()]).catch((e: unknown) => e as DataverseError);
    expect((stopped as DataverseError).status).toBe(400);
    const after = await api.stats();
    expect(after.created - before.created).toBe(3);
    expect(after.refused - before.refused).toBe(2);
    expect(after.requests - before.requests).toBe(2);
  });

  it('refuses a change set (the bench sends none) and a batch without the bearer token', async () => {
    const atomic = await api.client.batch([upsert(), upsert()], { atomic: true }).catch((e: unknown) => e as DataverseError);
    expect((atomic as DataverseError).status).toBe(400);
    expect((atomic as DataverseError).message).toMatch(/no change sets/);
  });
});
