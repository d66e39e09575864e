// The operator's acts on dead letters (outboxRetry / outboxDrop) on a real
// outbox: refusals for a request that names both or neither, ids in any of the
// spellings a GUID has, and the audit entry in the CRM's event log (its level,
// and at most 100 letters spelled out). outbox.test.ts runs the same acts
// through a whole manager and the CLI.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../../src/dataverse/outbox/outbox.ts';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';
import { DataverseError } from '../../../src/dataverse/web-api/errors.ts';
import { outboxAction, outboxReport } from '../../../src/manager/diagnose-ws/outbox.ts';

const schema = createSchema();

/** An outbox whose CRM refuses every write except event-log entries, with `n` dead letters. */
async function withDeadLetters(n: number): Promise<{ box: Outbox; ids: string[]; audits: () => { level: unknown; message: string }[] }> {
  const audits: { level: unknown; message: string }[] = [];
  const box = new Outbox({
    store: new SqliteOutboxStore(':memory:'),
    concurrency: 8,
    transport: {
      deliver: async (w) => {
        if (w.entitySet !== schema.eventLog.entitySet) throw new DataverseError('forbidden', 'HTTP 403', { status: 403 });
        const f = schema.eventLog.fields;
        audits.push({ level: w.body[f.level], message: String(w.body[f.message]) });
        return 'created';
      },
    },
  });
  box.start();
  const ids = Array.from({ length: n }, () => box.enqueue({ id: randomUUID(), kind: 'callLog', entitySet: 'ctapi_calllogs', body: { ctapi_name: 'x' } }).id);
  for (let i = 0; i < 500 && box.deadLetters().length < n; i += 1) await new Promise((r) => setTimeout(r, 5));
  expect(box.deadLetters()).toHaveLength(n);
  return { box, ids, audits: () => audits };
}

const logger = { info: () => {}, warn: () => {} };

async function settle(box: Outbox, audits: () => unknown[], count: number): Promise<void> {
  for (let i = 0; i < 500 && audits().length < count; i += 1) await new Promise((r) => setTimeout(r, 5));
  await box.close();
}

describe("the operator's acts on dead letters", () => {
  it('refuses a retry that names both an id and all, or neither', async () => {
    const { box, ids } = await withDeadLetters(1);
    const context = { outbox: box, schema, actor: 'operator (DiagnoseKey)', logger };
    expect(outboxAction(context, { channel: 'diagnose', command: 'outboxRetry', requestId: 'r1', id: ids[0], all: true })).toEqual({
      channel: 'diagnose', command: 'outboxResult', requestId: 'r1', ok: false, error: { code: 'invalid-request', message: 'give either id or all, not both' },
    });
    expect(outboxAction(context, { channel: 'diagnose', command: 'outboxRetry', requestId: 'r2' }).error?.code).toBe('invalid-request');
    expect(box.deadLetters()).toHaveLength(1);
    await box.close();
  });

  it.each([
    ['upper case', (id: string) => id.toUpperCase()],
    ['braces', (id: string) => `{${id.toUpperCase()}}`],
  ])('takes an id written in %s, counts it and audits it', async (_name, spell) => {
    const { box, ids, audits } = await withDeadLetters(1);
    const id = ids[0] as string;
    const result = outboxAction({ outbox: box, schema, actor: 'Anna Admin', logger }, { channel: 'diagnose', command: 'outboxRetry', requestId: 'r', id: spell(id) });
    expect(result).toEqual({ channel: 'diagnose', command: 'outboxResult', requestId: 'r', ok: true, count: 1 });
    await settle(box, audits, 1);
    expect(audits()[0]?.message).toContain(id);
  });

  it('audits a drop as a warning and a retry as information, spelling out at most 100 letters', async () => {
    const { box, ids, audits } = await withDeadLetters(102);
    const context = { outbox: box, schema, actor: 'Anna Admin', logger };
    expect(outboxAction(context, { channel: 'diagnose', command: 'outboxDrop', id: ids[0] as string }).count).toBe(1);
    expect(outboxAction(context, { channel: 'diagnose', command: 'outboxRetry', all: true }).count).toBe(101);
    await settle(box, audits, 2);
    const [drop, retry] = audits();
    expect(drop?.level).not.toBe(retry?.level);
    expect(drop?.message).toMatch(/^Anna Admin dropped \(will never be written\):\n/);
    expect(retry?.message).toMatch(/^Anna Admin queued again:\n/);
    expect(retry?.message.split('\n').filter((l) => l.startsWith('callLog '))).toHaveLength(100);
    expect(retry?.message.endsWith('\n… and 1 more')).toBe(true);
  });

  it('reports the HTTP status a dead letter failed with', async () => {
    const { box } = await withDeadLetters(1);
    expect(outboxReport(box).deadLetters[0]?.status).toBe(403);
    await box.close();
  });
});
