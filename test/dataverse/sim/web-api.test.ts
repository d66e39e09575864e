// The Web API client against the simulated Dataverse: paging, change
// tracking with deletions and expired tokens, $batch, create-only upserts,
// lost responses and timeouts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ControllableClock, startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { connect, type Connection } from '../../../src/dataverse/connection.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';
import type { DataverseError } from '../../../src/dataverse/web-api/errors.ts';
import type { DataverseClient } from '../../../src/dataverse/web-api/client.ts';
import { onPremise } from '../support/sim.ts';

let dv: SimulatedDataverse;
const simClock = new ControllableClock();
let conn: Connection;
let api: DataverseClient;
/** System Administrator: edits CRM data the way users do (the manager's account may not). */
let admin: Connection;
const schema = createSchema();
type Row = Record<string, unknown>;

beforeAll(async () => {
  dv = await startSimulatedDataverse({ port: 0, clock: simClock });
  conn = await connect(parseConnectionConfig({ ...onPremise(dv), CrmRequestTimeout: 1 }, 'test'), { retry: { maxAttempts: 3, baseDelayMs: 10, maxWaitMs: 50 } });
  api = conn.client;
  admin = await connect(parseConnectionConfig(onPremise(dv, 'CONTOSO\\phoffmann', 'Test-only-phoffmann-1!'), 'test'));
});
afterAll(async () => {
  await api.close();
  await admin.client.close();
  await dv.close();
});

describe('paging', () => {
  it('reads every contact across pages of 5, each page within the size, without duplicates', async () => {
    const sizes: number[] = [];
    const ids: string[] = [];
    for await (const page of api.pages<Row>('contacts', { select: ['contactid', 'fullname'], orderby: 'fullname asc' }, { maxPageSize: 5 })) {
      sizes.push(page.value.length);
      ids.push(...page.value.map((r) => String(r.contactid)));
    }
    const all = await api.list<Row>('contacts', { select: ['contactid'] });
    expect(sizes.length).toBeGreaterThan(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(all.length);
  });
});

describe('change tracking', () => {
  it('a delta read reports a changed and a deleted record, then nothing', async () => {
    let deltaLink: string | undefined;
    const before: Row[] = [];
    for await (const page of api.pages<Row>('contacts', { select: ['contactid', 'telephone1'] }, { trackChanges: true, maxPageSize: 20 })) {
      before.push(...page.value);
      deltaLink = page.deltaLink ?? deltaLink;
    }
    expect(deltaLink).toBeDefined();
    const [changed, deleted] = before as [Row, Row];
    await admin.client.update('contacts', String(changed.contactid), { telephone1: '+49 30 9999999' });
    await admin.client.delete('contacts', String(deleted.contactid));
    const pages = [];
    for await (const p of api.delta<Row>(deltaLink ?? '')) pages.push(p);
    const changedRows = pages.flatMap((p) => p.changed);
    expect(changedRows.map((r) => r.contactid)).toContain(changed.contactid);
    expect(changedRows.find((r) => r.contactid === changed.contactid)?.telephone1).toBe('+49 30 9999999');
    expect(pages.flatMap((p) => p.deleted)).toEqual([String(deleted.contactid)]);
    const next = pages.at(-1)?.deltaLink;
    expect(next).toBeDefined();
    const quiet = [];
    for await (const p of api.delta<Row>(next ?? '')) quiet.push(p);
    expect(quiet.flatMap((p) => [...p.changed, ...p.deleted])).toEqual([]);
  });

  it('an expired delta token and a table without change tracking have their own codes', async () => {
    let deltaLink: string | undefined;
    for await (const page of api.pages<Row>('leads', { select: ['leadid'] }, { trackChanges: true })) deltaLink = page.deltaLink ?? deltaLink;
    simClock.advance((dv.settings.changeTrackingRetentionSeconds + 3600) * 1000);
    const expired = await (async () => {
      for await (const _ of api.delta(deltaLink ?? '')) void _;
    })().catch((e: unknown) => e);
    expect((expired as DataverseError).code).toBe('delta-expired');

    const off = await api.list(schema.callLog.entitySet, {}, { trackChanges: true }).catch((e: unknown) => e);
    expect((off as DataverseError).code).toBe('change-tracking-disabled');
  });
});

describe('writes', () => {
  it('createIfAbsent creates once; a repeat reports "exists" and no duplicate appears', async () => {
    const id = randomUUID();
    const f = schema.eventLog.fields;
    const body = { [f.name]: 'manager started', [f.source]: 'test' };
    expect(await api.createIfAbsent(schema.eventLog.entitySet, id, body)).toBe('created');
    expect(await api.createIfAbsent(schema.eventLog.entitySet, id, body)).toBe('exists');
    const rows = await api.list<Row>(schema.eventLog.entitySet, { select: [f.id], filter: `${f.id} eq ${id}` });
    expect(rows).toHaveLength(1);
  });

  it('a create-only upsert whose answer was lost is repeated and ends as exactly one record', async () => {
    const id = randomUUID();
    const f = schema.eventLog.fields;
    dv.faults.add({ kind: 'lose-response', times: 1, method: 'PATCH', path: schema.eventLog.entitySet, mode: 'reset' });
    const outcome = await api.createIfAbsent(schema.eventLog.entitySet, id, { [f.name]: 'lost answer' });
    expect(outcome).toBe('exists'); // the repeat found the record the first attempt wrote
    expect(await api.list(schema.eventLog.entitySet, { filter: `${f.id} eq ${id}` })).toHaveLength(1);
  });

  it('a POST whose answer was lost is not repeated (no duplicate), and says so', async () => {
    const f = schema.eventLog.fields;
    const marker = `post-${randomUUID()}`;
    dv.faults.add({ kind: 'lose-response', times: 1, method: 'POST', path: schema.eventLog.entitySet, mode: '504' });
    const err = (await api.create(schema.eventLog.entitySet, { [f.name]: marker }).catch((e: unknown) => e)) as DataverseError;
    expect(err.code).toBe('server-error');
    expect(err.status).toBe(504);
    expect(await api.list(schema.eventLog.entitySet, { filter: `${f.name} eq '${marker}'` })).toHaveLength(1);
  });

  it('a request slower than the timeout ends with timeout', async () => {
    dv.faults.add({ kind: 'latency', latencyMs: 3000, times: 3, path: 'RetrieveVersion' });
    const err = (await api.retrieveVersion().catch((e: unknown) => e)) as DataverseError;
    expect(err.code).toBe('timeout');
    expect(err.attempts).toBe(3);
    dv.faults.clear();
  });
});

describe('$batch', () => {
  it('reads and an atomic change set in one round trip; a failing change set writes nothing', async () => {
    const f = schema.eventLog.fields;
    const a = randomUUID();
    const b = randomUUID();
    const before = dv.requestLog.length;
    const res = await api.batch([
      { method: 'GET', path: 'WhoAmI' },
      { method: 'PATCH', path: `${schema.eventLog.entitySet}(${a})`, body: { [f.name]: 'batch a' }, headers: { 'If-None-Match': '*' } },
      { method: 'POST', path: schema.eventLog.entitySet, body: { [f.id]: b, [f.name]: 'batch b' } },
    ], { atomic: true });
    expect(res.map((r) => r.status)).toEqual([200, 204, 204]);
    expect((res[0]?.body as Row).UserId).toBeDefined();
    // One exchange: the simulator logs the $batch and its parts, but only one answered POST $batch
    // (a 401 before it is an NTLM handshake on a fresh connection).
    expect(dv.requestLog.slice(before).filter((e) => e.path.endsWith('$batch') && e.status !== 401)).toHaveLength(1);
    expect(dv.requestLog.slice(before).filter((e) => !e.path.endsWith('$batch') && e.method === 'GET' && !e.path.endsWith('WhoAmI'))).toHaveLength(0);

    const c = randomUUID();
    const failed = await api.batch([
      { method: 'PATCH', path: `${schema.eventLog.entitySet}(${c})`, body: { [f.name]: 'batch c' }, headers: { 'If-None-Match': '*' } },
      { method: 'PATCH', path: `${schema.eventLog.entitySet}(${a})`, body: { [f.name]: 'again' }, headers: { 'If-None-Match': '*' } },
    ], { atomic: true }).catch((e: unknown) => e);
    expect((failed as DataverseError).code).toBe('precondition-failed');
    expect(await api.retrieve(schema.eventLog.entitySet, c, [f.id])).toBeNull();
  });

  it('independent parts with continueOnError: a failed part (412) answers for itself and the parts after it still run', async () => {
    const f = schema.eventLog.fields;
    const taken = randomUUID();
    await api.createIfAbsent(schema.eventLog.entitySet, taken, { [f.name]: 'taken' });
    const [x, y] = [randomUUID(), randomUUID()];
    const parts = [x, taken, y].map((id) => ({ method: 'PATCH' as const, path: `${schema.eventLog.entitySet}(${id})`, body: { [f.name]: `part ${id}` }, headers: { 'If-None-Match': '*' } }));
    const res = await api.batch(parts, { continueOnError: true });
    expect(res.map((r) => r.status)).toEqual([204, 412, 204]);
    expect(await api.retrieve(schema.eventLog.entitySet, y, [f.id])).not.toBeNull();
    // Without it Dataverse stops at the first failure: fewer answers than parts, the failure reported.
    const z = randomUUID();
    const stopped = await api.batch([parts[1]!, { ...parts[0]!, path: `${schema.eventLog.entitySet}(${z})` }]).catch((e: unknown) => e);
    expect((stopped as DataverseError).code).toBe('precondition-failed');
    expect(await api.retrieve(schema.eventLog.entitySet, z, [f.id])).toBeNull();
  });
});
