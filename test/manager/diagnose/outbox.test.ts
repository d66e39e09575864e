// Failed CRM writes, visible and retryable (issue 16 item 4): a whole manager
// against the simulated Dataverse whose outbox holds writes left over from an
// earlier run — two the CRM refuses for good (an entity set it does not have:
// 404) and one it accepts. `crm-tapi diagnose` shows them (what, why, when),
// `crm-tapi outbox retry|drop` act on them through the diagnose channel, and
// every act is audited in the CRM's event log.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import { eventLogWrite } from '../../../src/dataverse/outbox/records.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';
import { requestDiagnose } from '../../../src/manager/diagnose-client.ts';
import type { RunningManager } from '../../../src/manager/manager.ts';
import type { DiagnoseReportMessage } from '../../../src/protocol/index.ts';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { runCli } from '../support/cli.ts';
import { managerConfig, runManager } from '../support/manager.ts';

const KEY = 'operator-diagnose-key-for-outbox-tests-4';
const BAD_1 = '11111111-2222-4333-8444-555555555501';
const BAD_2 = '11111111-2222-4333-8444-555555555502';
const GOOD = '11111111-2222-4333-8444-555555555503';
const schema = createSchema();
let dv: SimulatedDataverse;
let manager: RunningManager;
let url: string;

/** Polls an asynchronous condition every 50 ms until it holds or the budget is spent. */
async function eventually(predicate: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function report(): Promise<DiagnoseReportMessage> {
  const answer = await requestDiagnose({ url, key: KEY, action: 'diagnose' });
  if (answer.command !== 'diagnoseReport') throw new Error(`expected a report, got ${answer.command}`);
  return answer;
}

const cli = (...args: string[]) => runCli({ CRM_TAPI_DIAGNOSE_KEY: KEY }, ...args);

async function auditEntries(): Promise<string[]> {
  const f = schema.eventLog.fields;
  const rows = [...dv.store.all(schema.eventLog.logicalName)];
  return rows.map((r) => `${String(r[f.name])}\n${String(r[f.message])}`).filter((t) => t.includes('failed CRM write'));
}

beforeAll(async () => {
  dv = await startSimulatedDataverse({ port: 0 });
  const dataDir = mkdtempSync(join(tmpdir(), 'crm-tapi-outbox-diag-'));
  // Writes an earlier run of the manager left behind.
  const store = new SqliteOutboxStore(join(dataDir, 'outbox.sqlite'));
  const t0 = Date.now() - 60_000;
  store.enqueue({ id: BAD_1, kind: 'callLog', entitySet: 'ctapi_nosuchtables', body: { ctapi_name: 'a' } }, t0);
  store.enqueue({ id: BAD_2, kind: 'phoneCall', entitySet: 'ctapi_nosuchtables', body: { ctapi_name: 'b' } }, t0 + 1);
  store.enqueue(eventLogWrite(schema, { id: GOOD, name: 'left over', level: 'information', source: 'test', message: 'from an earlier run', occurredOn: new Date(t0) }), t0 + 2);
  store.close();
  manager = (await runManager(managerConfig(dv.url, { DiagnoseKey: KEY }, dataDir))).manager;
  url = `ws://127.0.0.1:${manager.ports.webSocket}`;
  await eventually(async () => { const o = (await report()).outbox; return o?.deadLetterCount === 2 && o.pending === 0; }, 'two dead letters, nothing waiting', 45_000);
}, 60_000); // the delivery worker's start took over 20 s with two files at a time and two busy loops on 2 cores

afterAll(async () => {
  await manager?.stop();
  await dv?.close();
});

describe('dead letters in crm-tapi diagnose', () => {
  it('the report lists every dead letter with what, why and when, and nothing waiting', async () => {
    const outbox = (await report()).outbox!;
    expect(outbox).toMatchObject({ pending: 0, deadLetterCount: 2 });
    expect(outbox.oldestWaiting).toBeUndefined();
    expect(outbox.deadLetters.map((d) => [d.id, d.kind, d.entitySet, d.status])).toEqual([
      [BAD_1, 'callLog', 'ctapi_nosuchtables', 404],
      [BAD_2, 'phoneCall', 'ctapi_nosuchtables', 404],
    ]);
    for (const d of outbox.deadLetters) {
      expect(d.errorCode).toMatch(/not-found|bad-request/);
      expect(d.errorMessage.length).toBeGreaterThan(0);
      expect(Date.parse(d.failedAt)).toBeGreaterThanOrEqual(Date.parse(d.enqueuedAt));
    }
  });

  it('prints them on the terminal', async () => {
    const { status, out } = await cli('diagnose', '--manager', url);
    expect(status).toBe(0);
    expect(out).toContain('Outbox: 0 write(s) waiting for the CRM, 2 dead letter(s)');
    expect(out).toMatch(new RegExp(`${BAD_1}\\s+callLog → ctapi_nosuchtables\\s+failed \\S+ after 1 attempt\\(s\\)`));
    expect(out).toMatch(/why: (not-found|bad-request) \(HTTP 404\): /);
  });

  it('shows the oldest waiting write while the CRM refuses to take it', async () => {
    const rule = dv.faults.unavailable({ path: schema.eventLog.entitySet, retryAfter: '1' });
    try {
      const { status } = await cli('outbox', 'retry', '--manager', url, '--id', BAD_1);
      expect(status).toBe(0);
      // The retried letter fails again at once (404); its audit entry waits (503, Retry-After 1 s).
      await eventually(async () => { const w = (await report()).outbox?.oldestWaiting; return w?.kind === 'eventLog' && w.lastErrorCode !== undefined; }, 'the audit entry waits with its error', 10_000);
      const waiting = (await report()).outbox!.oldestWaiting!;
      expect(waiting).toMatchObject({ kind: 'eventLog', attempts: expect.any(Number) });
      expect(waiting.lastErrorCode).toMatch(/unavailable|server/);
      const { out } = await cli('diagnose', '--manager', url);
      expect(out).toMatch(/oldest waiting: eventLog \S+ since \S+ \(\d+ s ago\), \d+ attempt\(s\), last error /);
    } finally {
      dv.faults.remove(rule);
    }
  });

  it('retry --id puts one back; it fails again and is a dead letter with one more attempt; audited', async () => {
    await eventually(async () => (await report()).outbox?.deadLetters.find((d) => d.id === BAD_1)?.attempts === 2, 'BAD_1 dead again after a second attempt', 20_000);
    await eventually(async () => (await auditEntries()).some((t) => t.includes('queued again') && t.includes(BAD_1)), 'the audit entry in the event log', 20_000);
    const entry = (await auditEntries()).find((t) => t.includes(BAD_1))!;
    expect(entry).toContain('operator (DiagnoseKey) queued again');
  });

  it('drop --id forgets one for good; audited with what it was', async () => {
    const { status, out } = await cli('outbox', 'drop', '--manager', url, '--id', BAD_2);
    expect([status, out]).toEqual([0, 'dropped 1 dead letter(s)\n']);
    expect((await report()).outbox!.deadLetters.map((d) => d.id)).toEqual([BAD_1]);
    await eventually(async () => (await auditEntries()).some((t) => t.includes('dropped') && t.includes(BAD_2)), 'the drop in the event log', 20_000);
    const entry = (await auditEntries()).find((t) => t.includes(BAD_2))!;
    expect(entry).toMatch(/1 failed CRM write\(s\) dropped/);
    expect(entry).toContain(`phoneCall ${BAD_2} (ctapi_nosuchtables)`);
  });

  it('retry --all puts every one back', async () => {
    const { status, out } = await cli('outbox', 'retry', '--manager', url, '--all');
    expect([status, out]).toEqual([0, 'queued 1 dead letter(s) again\n']);
  });

  it('refuses an unknown id (status 1) and a bad command line (status 2)', async () => {
    const unknown = await cli('outbox', 'drop', '--manager', url, '--id', GOOD);
    expect(unknown.status).toBe(1);
    expect(unknown.out).toMatch(/^nothing done: not-found: no dead letter with id/);
    const neither = await cli('outbox', 'retry', '--manager', url);
    expect(neither.status).toBe(2);
    expect(neither.err).toBe('error: invalid-option: give either --id ID (one dead letter) or --all\n');
    const both = await cli('outbox', 'retry', '--manager', url, '--id', BAD_1, '--all');
    expect(both.status).toBe(2);
    const notGuid = await cli('outbox', 'drop', '--manager', url, '--id', 'abc');
    expect(notGuid.status).toBe(2);
    expect(notGuid.err).toMatch(/^error: invalid-option: --id must be the dead letter's GUID/);
  });
});
