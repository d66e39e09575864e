import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evaluate, parseFilter, type FilterNode } from '../../simulator/dataverse/odata/filter.ts';
import { ODataError } from '../../simulator/dataverse/errors.ts';

type Row = Record<string, string | number | null>;
const PROPS = ['a', 'b', 'n'] as const;

const literal = fc.oneof(
  fc.string({ maxLength: 6 }).map((s) => ({ text: `'${s.replace(/'/g, "''")}'`, value: s as string | number | null })),
  fc.integer({ min: -50, max: 50 }).map((n) => ({ text: String(n), value: n as string | number | null })),
  fc.constant({ text: 'null', value: null as string | number | null }),
);

/**
 * Random filter text together with an independent reference predicate in SQL's three-valued
 * logic (null = unknown): Dataverse returns a row only when its filter is true, "not if the
 * expression evaluates to false or null" (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/filter-rows).
 */
type Truth = boolean | null;
type Gen = { text: string; test: (r: Row) => Truth };
const filterArb: fc.Arbitrary<Gen> = fc.letrec((tie) => ({
  leaf: fc.tuple(fc.constantFrom(...PROPS), fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le'), literal).map(([p, op, lit]) => ({
    text: `${p} ${op} ${lit.text}`,
    test: (r: Row) => reference(r[p] ?? null, op, lit.value),
  })),
  fn: fc.tuple(fc.constantFrom('a', 'b'), fc.constantFrom('contains', 'startswith', 'endswith'), fc.string({ maxLength: 3 })).map(([p, fn, s]) => ({
    text: `${fn}(${p},'${s.replace(/'/g, "''")}')`,
    test: (r: Row): Truth => {
      const v = r[p];
      if (v === null || v === undefined) return null;
      if (typeof v !== 'string') return false;
      const h = v.toLowerCase();
      const n = s.toLowerCase();
      return fn === 'contains' ? h.includes(n) : fn === 'startswith' ? h.startsWith(n) : h.endsWith(n);
    },
  })),
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    tie('leaf') as fc.Arbitrary<Gen>,
    tie('fn') as fc.Arbitrary<Gen>,
    fc.tuple(tie('node') as fc.Arbitrary<Gen>, fc.constantFrom('and', 'or'), tie('node') as fc.Arbitrary<Gen>).map(([l, op, r]) => ({
      text: `(${l.text}) ${op} (${r.text})`,
      test: (row: Row): Truth => {
        const a = l.test(row);
        const b = r.test(row);
        if (op === 'and') return a === false || b === false ? false : a === null || b === null ? null : true;
        return a === true || b === true ? true : a === null || b === null ? null : false;
      },
    })),
    (tie('node') as fc.Arbitrary<Gen>).map((inner) => ({ text: `not (${inner.text})`, test: (row: Row): Truth => { const v = inner.test(row); return v === null ? null : !v; } })),
  ),
})).node;

function reference(v: string | number | null, op: string, lit: string | number | null): Truth {
  if (lit === null) return op === 'eq' ? v === null : op === 'ne' ? v !== null : null;
  if (v === null) return null;
  let c: number;
  if (typeof v === 'string' && typeof lit === 'string') c = v.toLowerCase() < lit.toLowerCase() ? -1 : v.toLowerCase() > lit.toLowerCase() ? 1 : 0;
  else c = Number(v) < Number(lit) ? -1 : Number(v) > Number(lit) ? 1 : 0;
  return { eq: c === 0, ne: c !== 0, gt: c > 0, ge: c >= 0, lt: c < 0, le: c <= 0 }[op] as boolean;
}

const rowArb: fc.Arbitrary<Row> = fc.record({ a: fc.option(fc.string({ maxLength: 6 }), { nil: null }), b: fc.option(fc.string({ maxLength: 6 }), { nil: null }), n: fc.option(fc.integer({ min: -50, max: 50 }), { nil: null }) });

describe('$filter parser and evaluator', () => {
  it('agrees with a reference evaluation on random filters and rows (property)', () => {
    fc.assert(fc.property(filterArb, fc.array(rowArb, { maxLength: 8 }), (f, rows) => {
      const ast: FilterNode = parseFilter(f.text);
      for (const row of rows) expect(evaluate(ast, (p) => row[p] ?? null)).toBe(f.test(row) === true);
    }), { numRuns: 400 });
  });

  it('random text is parsed or refused with a 400 ODataError, never anything else (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (text) => {
      try {
        parseFilter(text);
      } catch (err) {
        expect(err).toBeInstanceOf(ODataError);
        expect((err as ODataError).status).toBe(400);
      }
    }), { numRuns: 2000 });
  });

  it('reads GUID, date-time, negative and quoted literals', () => {
    const ast = parseFilter("_x_value eq 6E1F3A52-0000-4000-8000-000000000001 and modifiedon ge 2025-03-30T01:00:00+02:00 and n gt -3 and s eq 'O''Connor'");
    const row: Record<string, string | number> = { _x_value: '6e1f3a52-0000-4000-8000-000000000001', modifiedon: Date.parse('2025-03-29T23:00:00Z'), n: -2, s: "o'connor" };
    expect(evaluate(ast, (p) => row[p] ?? null)).toBe(true);
  });
});
