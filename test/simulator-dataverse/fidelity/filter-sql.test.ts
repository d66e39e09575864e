// Fidelity: $filter returns what SQL returns. Dataverse runs a filter as SQL and returns a row
// only when the condition is true — "Records aren't returned if the expression evaluates to
// false or null" (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/filter-rows).
// So `ne` does not match a null column, and `not` of an unknown stays unknown. The reference
// here is a real SQL engine (SQLite, case-insensitive collation like Dataverse's) over the same
// random rows; the simulator is asked over HTTP.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFidelity, type Fidelity } from './client.ts';

let f: Fidelity;
let db: Database.Database;

beforeAll(async () => {
  f = await startFidelity();
  db = new Database(':memory:');
  db.exec('CREATE TABLE t (id TEXT, name TEXT COLLATE NOCASE, telephone1 TEXT COLLATE NOCASE, numberofemployees INTEGER)');
});
afterAll(async () => {
  db.close();
  await f.dv.close();
});

interface Gen { odata: string; sql: string }
type Row = { name: string | null; telephone1: string | null; numberofemployees: number | null };

// ASCII letters only: SQLite's NOCASE folds ASCII, as the simulator's comparison does.
const text = (min: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom('a', 'B', 'c'), minLength: min, maxLength: 3 });
const quote = (s: string): string => `'${s}'`;

const leaf: fc.Arbitrary<Gen> = fc.oneof(
  fc.tuple(fc.constantFrom('name', 'telephone1'), fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le'), text(0)).map(([p, op, v]) => ({
    odata: `${p} ${op} ${quote(v)}`, sql: `${p} ${{ eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' }[op]} ${quote(v)}`,
  })),
  fc.tuple(fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le'), fc.integer({ min: -3, max: 3 })).map(([op, n]) => ({
    odata: `numberofemployees ${op} ${n}`, sql: `numberofemployees ${{ eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' }[op]} ${n}`,
  })),
  fc.tuple(fc.constantFrom('name', 'telephone1', 'numberofemployees'), fc.constantFrom('eq', 'ne')).map(([p, op]) => ({
    odata: `${p} ${op} null`, sql: `${p} IS ${op === 'eq' ? '' : 'NOT '}NULL`,
  })),
  fc.tuple(fc.constantFrom('contains', 'startswith', 'endswith'), fc.constantFrom('name', 'telephone1'), text(1)).map(([fn, p, v]) => ({
    odata: `${fn}(${p},${quote(v)})`, sql: `${p} LIKE '${fn === 'startswith' ? '' : '%'}${v}${fn === 'endswith' ? '' : '%'}'`,
  })),
);

const filterArb: fc.Arbitrary<Gen> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(tie('node') as fc.Arbitrary<Gen>, fc.constantFrom('and', 'or'), tie('node') as fc.Arbitrary<Gen>).map(([l, op, r]) => ({
      odata: `(${l.odata}) ${op} (${r.odata})`, sql: `(${l.sql}) ${op.toUpperCase()} (${r.sql})`,
    })),
    (tie('node') as fc.Arbitrary<Gen>).map((g) => ({ odata: `not (${g.odata})`, sql: `NOT (${g.sql})` })),
  ),
})).node;

const rowArb: fc.Arbitrary<Row> = fc.record({
  name: fc.option(text(1), { nil: null }),
  telephone1: fc.option(text(1), { nil: null }),
  numberofemployees: fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }),
});

describe('$filter against a SQL reference', () => {
  it('returns exactly the rows SQL returns for random filters over random rows with nulls (property)', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(filterArb, fc.array(rowArb, { minLength: 1, maxLength: 8 }), async (filter, rows) => {
      run += 1;
      const marker = `sql-run-${run}-${randomUUID()}`;
      db.exec('DELETE FROM t');
      const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
      for (const row of rows) {
        const id = randomUUID();
        f.dv.store.put('account', id, { accountid: id, description: marker, ...row });
        insert.run(id, row.name, row.telephone1, row.numberofemployees);
      }
      const expected = (db.prepare(`SELECT id FROM t WHERE ${filter.sql} ORDER BY id`).all() as { id: string }[]).map((r) => r.id);
      const res = await f.raw(`accounts?$select=accountid&$orderby=accountid&$filter=${encodeURIComponent(`description eq '${marker}' and (${filter.odata})`)}`);
      expect(res.status).toBe(200);
      expect(res.body.value.map((r: { accountid: string }) => r.accountid)).toEqual(expected);
    }), { numRuns: 60 });
  });

  it('`ne` leaves out rows whose column is null; `ne null` is IS NOT NULL', async () => {
    const marker = randomUUID();
    const withPhone = randomUUID();
    const without = randomUUID();
    f.dv.store.put('account', withPhone, { accountid: withPhone, description: marker, name: 'ne with', telephone1: '+49 1' });
    f.dv.store.put('account', without, { accountid: without, description: marker, name: 'ne without', telephone1: null });
    const ids = async (filter: string): Promise<string[]> => ((await f.raw(`accounts?$select=accountid&$filter=${encodeURIComponent(`description eq '${marker}' and (${filter})`)}`)).body.value as { accountid: string }[]).map((r) => r.accountid);
    expect(await ids("telephone1 ne '+49 2'")).toEqual([withPhone]);
    expect(await ids("not (telephone1 eq '+49 2')")).toEqual([withPhone]);
    expect(await ids('telephone1 ne null')).toEqual([withPhone]);
    expect(await ids('telephone1 eq null')).toEqual([without]);
  });
});
