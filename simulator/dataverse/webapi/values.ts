// Comparable values of Web API properties, shared by queries, paging and expansions.
import type { EntityDefinition } from '../metadata.ts';
import { isLookup, type StoredRecord } from '../store.ts';

type SortValue = string | number | boolean | null;

/** The comparable value of a Web API property: lookups by id, date-times as epoch ms. */
export function propertyValue(entity: EntityDefinition, record: StoredRecord, property: string): SortValue {
  const lookup = /^_(.+)_value$/.exec(property);
  const name = lookup?.[1] && entity.attributes[lookup[1]]?.type === 'lookup' ? lookup[1] : property;
  const value = record[name] ?? null;
  if (isLookup(value)) return value.id;
  if (entity.attributes[name]?.type === 'datetime' && typeof value === 'string') return Date.parse(value);
  return value as SortValue;
}

export function compareValues(a: SortValue, b: SortValue): number {
  // SQL Server orders NULL first ascending; strings ignore case like Dataverse's collation.
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (typeof a === 'string' && typeof b === 'string') {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0;
}
