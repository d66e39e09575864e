// The typed-array phone index against a reference built the simple way (a
// Map of records, every key found by scanning them): under random sequences
// of inserts, replacements and removals — keys typed as strings or handed
// over encoded, shared by several records, E.164 and extension keys and keys
// with no numeric form — every lookup, the sizes, the ids per entity and the
// dump the snapshot writes agree. A second run pushes tens of thousands of
// keys through so that every table segment grows and deletions shift runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeKey, NO_KEY } from '../../../src/dataverse/directory/key-codes.ts';
import { entityRank, type EntityPhoneFields } from '../../../src/dataverse/directory/phone-fields.ts';
import { PhoneIndex, type DirectoryEntry } from '../../../src/dataverse/directory/phone-index.ts';

const FIELDS: EntityPhoneFields[] = [
  { entity: 'account', fields: ['telephone1', 'telephone2', 'telephone3'] },
  { entity: 'contact', fields: ['telephone1', 'mobilephone', 'home2'] },
  { entity: 'lead', fields: ['telephone1'] },
  { entity: 'new_site', fields: ['new_phone', 'new_fax'] },
];
const WIDTH = new Map(FIELDS.map((f) => [f.entity, f.fields.length]));

interface Rec {
  entity: string;
  id: string;
  name: string;
  keys: (string | undefined)[];
}

/** The reference: records in a Map, lookups by scanning them. */
class Reference {
  readonly records = new Map<string, Rec>();
  upsert(r: Rec): void {
    this.records.set(`${r.entity}\u0000${r.id}`, r);
  }
  remove(entity: string, id: string): boolean {
    return this.records.delete(`${entity}\u0000${id}`);
  }
  /** Lookups of every key at once: one scan of the records. */
  lookups(): Map<string, DirectoryEntry[]> {
    const byKey = new Map<string, DirectoryEntry[]>();
    for (const r of this.records.values()) {
      r.keys.forEach((key, i) => {
        if (key === undefined || r.keys.indexOf(key) !== i) return; // one entry per record: its first field with the key
        const list = byKey.get(key) ?? [];
        list.push({ entity: r.entity, id: r.id, name: r.name, field: FIELDS.find((f) => f.entity === r.entity)!.fields[i]! });
        byKey.set(key, list);
      });
    }
    for (const list of byKey.values()) list.sort(byRank);
    return byKey;
  }

  size(): { records: number; keys: number; entries: number } {
    const keys = new Set<string>();
    let entries = 0;
    for (const r of this.records.values()) {
      for (const k of r.keys) {
        if (k === undefined) continue;
        keys.add(k);
        entries += 1;
      }
    }
    return { records: this.records.size, keys: keys.size, entries };
  }
}

function byRank(a: DirectoryEntry, b: DirectoryEntry): number {
  return entityRank(a.entity) - entityRank(b.entity) || cmp(a.entity, b.entity) || cmp(a.name, b.name) || cmp(a.id, b.id);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One record's keys encoded as a full build hands them over from the key worker. */
function encoded(keys: readonly (string | undefined)[]): { codes: Float64Array; texts: Map<number, string> } {
  const codes = new Float64Array(keys.length);
  const texts = new Map<number, string>();
  keys.forEach((k, i) => {
    const code = k === undefined ? NO_KEY : encodeKey(k);
    if (code === undefined) {
      codes[i] = Number.NaN;
      texts.set(i, k as string);
    } else codes[i] = code;
  });
  return { codes, texts };
}

function apply(index: PhoneIndex, reference: Reference, op: Op): void {
  if (op.kind === 'remove') {
    expect(index.remove(op.entity, op.id)).toBe(reference.remove(op.entity, op.id));
    return;
  }
  const keys = op.keys.slice(0, WIDTH.get(op.entity));
  const rec = { entity: op.entity, id: op.id, name: op.name, keys };
  if (op.encoded) index.upsertEncoded(op.entity, op.id, op.name, encoded(keys), 0, keys.length);
  else index.upsert(op.entity, op.id, op.name, keys);
  reference.upsert(rec);
}

function agree(index: PhoneIndex, reference: Reference, probes: Iterable<string>): void {
  const expected = reference.lookups();
  for (const key of probes) expect(index.get(key), key).toEqual(expected.get(key) ?? []);
  expect(index.size).toEqual(reference.size());
  for (const { entity } of FIELDS) {
    expect(index.idsOf(entity).sort()).toEqual([...reference.records.values()].filter((r) => r.entity === entity).map((r) => r.id).sort());
  }
  const dump = (records: Iterable<Rec>): string[] => [...records].map((r) => `${r.entity}/${r.id}:${r.name}:${r.keys.map((k) => k ?? '').join(',')}`).sort();
  expect(dump(index.records())).toEqual(dump(reference.records.values()));
}

type Op = { kind: 'upsert'; entity: string; id: string; name: string; keys: (string | undefined)[]; encoded: boolean } | { kind: 'remove'; entity: string; id: string };

const KEY_POOL = ['+4934112345', '+4934112346', '+12125550199', '+800123456', '+999999999999999', 'ext:12', 'ext:012', 'ext:7', 'sip:alice', '+01', '+1234567890123456'];
const entity = fc.constantFrom(...FIELDS.map((f) => f.entity));
const id = fc.constantFrom('a', 'b', 'c', 'd', 'e', '00000000-0000-4000-8000-000000000001');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('upsert' as const), entity, id, name: fc.constantFrom('Anna', 'Bernd', 'anna', ''), keys: fc.array(fc.option(fc.constantFrom(...KEY_POOL), { nil: undefined }), { minLength: 3, maxLength: 3 }), encoded: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), entity, id }) },
);

describe('PhoneIndex against a reference', () => {
  it('agrees after any sequence of upserts (typed or encoded keys) and removals', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const index = new PhoneIndex(FIELDS);
        const reference = new Reference();
        for (const o of ops) apply(index, reference, o);
        agree(index, reference, KEY_POOL);
      }),
      { numRuns: 400 },
    );
  });

  it('agrees at scale: 30,000 records, every segment grown, half of them changed or removed', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        let state = seed | 0 || 1;
        const rand = (n: number): number => {
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          return (state >>> 0) % n;
        };
        const number = (): string | undefined => {
          const r = rand(20);
          if (r === 0) return undefined;
          if (r === 1) return `ext:${rand(1000)}`;
          if (r === 2) return `+49341${rand(50)}`; // shared by many records
          return `+${1 + rand(9)}${String(rand(1e9)).padStart(9, '0')}${rand(100_000)}`;
        };
        const index = new PhoneIndex(FIELDS);
        const reference = new Reference();
        const ops: Op[] = [];
        for (let i = 0; i < 30_000; i += 1) ops.push({ kind: 'upsert', entity: FIELDS[i % 4]!.entity, id: `r${i}`, name: `N${rand(100)}`, keys: [number(), number(), number()], encoded: i % 2 === 0 });
        for (let i = 0; i < 15_000; i += 1) {
          const victim = ops[rand(30_000)] as Op;
          if (rand(2) === 0) ops.push({ kind: 'remove', entity: victim.entity, id: victim.id });
          else ops.push({ kind: 'upsert', entity: victim.entity, id: victim.id, name: 'Changed', keys: [number(), undefined, number()], encoded: rand(2) === 0 });
        }
        for (const o of ops) apply(index, reference, o);
        const probes = new Set<string>();
        for (const r of reference.records.values()) for (const k of r.keys) if (k !== undefined) probes.add(k);
        for (let i = 0; i < 50; i += 1) probes.add(`+49341${i}`);
        agree(index, reference, probes);
        expect(index.size.keys).toBeGreaterThan(20_000);
      }),
      { numRuns: 2 },
    );
  }, 120_000);
});
