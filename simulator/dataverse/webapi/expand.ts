// Writing expanded navigation properties into a record's representation: a single-valued one
// as the related record (or null), a collection-valued one as the array of child records
// filtered, ordered and cut to `$top` as its nested options say. The caller needs Read on every
// table it expands, as for a query on that table, and sees only the rows it may read.
import type { EntityDefinition } from '../metadata.ts';
import { evaluate } from '../odata/filter.ts';
import type { ResolvedExpand } from '../odata/expand.ts';
import type { RepresentationOptions } from '../records.ts';
import { isLookup, type StoredRecord } from '../store.ts';
import { compareValues, propertyValue } from './values.ts';
import type { WebApiContext } from './context.ts';

/** Demands Read on every table an expansion reads (before any record is written out). */
export function demandExpandReads(ctx: WebApiContext, expand: readonly ResolvedExpand[]): void {
  for (const e of expand) {
    for (const t of e.targets) ctx.writes.demand('Read', t, ctx.actor);
    demandExpandReads(ctx, e.nested);
  }
}

function related(ctx: WebApiContext, e: ResolvedExpand, record: StoredRecord): { entity: EntityDefinition; record: StoredRecord } | undefined {
  const value = record[e.attribute];
  if (!isLookup(value)) return undefined;
  const entity = e.targets.find((t) => t.logicalName === value.logicalName);
  const target = entity ? ctx.store.get(entity.logicalName, value.id) : undefined;
  // A related record the caller may not read is left out as a query leaves it out.
  return entity && target && ctx.writes.readable(entity, ctx.actor)(target) ? { entity, record: target } : undefined;
}

function children(ctx: WebApiContext, e: ResolvedExpand, parentId: string): StoredRecord[] {
  const child = e.child as EntityDefinition;
  const q = e.query;
  const readable = ctx.writes.readable(child, ctx.actor);
  const rows = [...ctx.store.all(child.logicalName)].filter((r) => {
    const ref = r[e.attribute];
    return readable(r) && isLookup(ref) && ref.id === parentId && (!q.filter || evaluate(q.filter, (p) => propertyValue(child, r, p)));
  });
  const idOf = (r: StoredRecord): string => String(r[child.primaryIdAttribute]);
  rows.sort((a, b) => {
    for (const o of q.orderBy) {
      const c = compareValues(propertyValue(child, a, o.property), propertyValue(child, b, o.property));
      if (c !== 0) return o.descending ? -c : c;
    }
    return idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0;
  });
  return q.top === undefined ? rows : rows.slice(0, q.top);
}

/** Adds the expansions of `record` (of `entity`) to its representation `out`. */
export function addExpansions(ctx: WebApiContext, entity: EntityDefinition, record: StoredRecord, out: Record<string, unknown>, expand: readonly ResolvedExpand[], repr: RepresentationOptions): void {
  for (const e of expand) {
    const nestedRepr = { ...repr, select: e.query.select };
    if (e.kind === 'single') {
      const found = related(ctx, e, record);
      if (!found) { out[e.navigation] = null; continue; }
      const row = ctx.represent(found.entity, found.record, nestedRepr);
      addExpansions(ctx, found.entity, found.record, row, e.nested, repr);
      out[e.navigation] = row;
      continue;
    }
    const child = e.child as EntityDefinition;
    out[e.navigation] = children(ctx, e, String(record[entity.primaryIdAttribute])).map((r) => {
      const row = ctx.represent(child, r, nestedRepr);
      addExpansions(ctx, child, r, row, e.nested, repr);
      return row;
    });
  }
}
