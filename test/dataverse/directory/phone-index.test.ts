import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhoneIndex, type DirectoryEntry } from '../../../src/dataverse/directory/phone-index.ts';
import { entityRank, type EntityPhoneFields } from '../../../src/dataverse/directory/phone-fields.ts';

const FIELDS: EntityPhoneFields[] = [
  { entity: 'account', fields: ['telephone1', 'telephone2'] },
  { entity: 'contact', fields: ['telephone1', 'mobilephone', 'home2'] },
  { entity: 'lead', fields: ['telephone1'] },
  { entity: 'new_site', fields: ['new_phone'] },
];

describe('PhoneIndex', () => {
  it('returns every record of a number ordered contact, account, lead, others; by name within a kind', () => {
    const index = new PhoneIndex(FIELDS);
    index.upsert('new_site', 's1', 'Site', ['+49301']);
    index.upsert('lead', 'l1', 'Lead', ['+49301']);
    index.upsert('account', 'a2', 'Zeta GmbH', ['+49301', undefined]);
    index.upsert('account', 'a1', 'Alpha AG', [undefined, '+49301']);
    index.upsert('contact', 'c1', 'Carla', [undefined, '+49301', '+49301']);
    expect(index.get('+49301')).toEqual([
      { entity: 'contact', id: 'c1', name: 'Carla', field: 'mobilephone' },
      { entity: 'account', id: 'a1', name: 'Alpha AG', field: 'telephone2' },
      { entity: 'account', id: 'a2', name: 'Zeta GmbH', field: 'telephone1' },
      { entity: 'lead', id: 'l1', name: 'Lead', field: 'telephone1' },
      { entity: 'new_site', id: 's1', name: 'Site', field: 'new_phone' },
    ]);
    expect(index.size).toEqual({ records: 5, keys: 1, entries: 6 });
  });

  it('a changed number stops matching, a removed record disappears, slots are reused', () => {
    const index = new PhoneIndex(FIELDS);
    index.upsert('contact', 'c1', 'Carla', ['+1', '+2', undefined]);
    index.upsert('contact', 'c1', 'Carla B.', ['+3', undefined, undefined]);
    expect(index.get('+1')).toEqual([]);
    expect(index.get('+2')).toEqual([]);
    expect(index.get('+3')).toEqual([{ entity: 'contact', id: 'c1', name: 'Carla B.', field: 'telephone1' }]);
    expect(index.remove('contact', 'c1')).toBe(true);
    expect(index.remove('contact', 'c1')).toBe(false);
    expect(index.remove('unknown', 'c1')).toBe(false);
    expect(index.size).toEqual({ records: 0, keys: 0, entries: 0 });
    index.upsert('lead', 'l9', 'Lena', ['+3']);
    expect(index.get('+3')).toEqual([{ entity: 'lead', id: 'l9', name: 'Lena', field: 'telephone1' }]);
  });

  it('refuses entities that are not configured', () => {
    const index = new PhoneIndex(FIELDS);
    expect(() => index.upsert('opportunity', 'o1', 'x', ['+1'])).toThrow(/not configured/);
  });

  it('agrees with a plain model under any sequence of upserts and removals', () => {
    const entity = fc.constantFrom(...FIELDS.map((f) => f.entity));
    const key = fc.option(fc.constantFrom('+1', '+2', '+3', '+4', '+5'), { nil: undefined });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('upsert' as const), entity, id: fc.constantFrom('a', 'b', 'c', 'd'), name: fc.constantFrom('N1', 'N2', 'N0'), keys: fc.array(key, { minLength: 3, maxLength: 3 }) }),
      fc.record({ kind: fc.constant('remove' as const), entity, id: fc.constantFrom('a', 'b', 'c', 'd') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const index = new PhoneIndex(FIELDS);
        const model = new Map<string, { entity: string; id: string; name: string; keys: (string | undefined)[] }>();
        for (const o of ops) {
          const width = FIELDS.find((f) => f.entity === o.entity)!.fields.length;
          if (o.kind === 'upsert') {
            const keys = o.keys.slice(0, width);
            index.upsert(o.entity, o.id, o.name, keys);
            model.set(`${o.entity}/${o.id}`, { entity: o.entity, id: o.id, name: o.name, keys });
          } else {
            expect(index.remove(o.entity, o.id)).toBe(model.delete(`${o.entity}/${o.id}`));
          }
        }
        for (const k of ['+1', '+2', '+3', '+4', '+5']) expect(index.get(k)).toEqual(expected(model, k));
        expect(index.size.records).toBe(model.size);
        const dumped = [...index.records()].map((r) => `${r.entity}/${r.id}:${r.name}:${r.keys.join(',')}`).sort();
        expect(dumped).toEqual([...model.values()].map((r) => `${r.entity}/${r.id}:${r.name}:${r.keys.join(',')}`).sort());
      }),
      { numRuns: 300 },
    );
  });
});

function expected(model: Map<string, { entity: string; id: string; name: string; keys: (string | undefined)[] }>, key: string): DirectoryEntry[] {
  const out: DirectoryEntry[] = [];
  for (const r of model.values()) {
    const i = r.keys.indexOf(key);
    if (i >= 0) out.push({ entity: r.entity, id: r.id, name: r.name, field: FIELDS.find((f) => f.entity === r.entity)!.fields[i]! });
  }
  return out.sort((a, b) => entityRank(a.entity) - entityRank(b.entity) || a.entity.localeCompare(b.entity) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.id < b.id ? -1 : 1));
}
