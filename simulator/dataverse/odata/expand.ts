// `$expand` as Dataverse accepts it (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables):
// single-valued navigation properties (lookups) with `$select` and a nested `$expand`, and
// collection-valued ones (one-to-many relationships) with `$select`, `$filter`, `$orderby` and
// `$top` — `$orderby` and `$top` not together with a nested `$expand`; at most 15 expansions in
// one query; `$skip`, `$count`, `$search` and `$levels` are refused. Resolved against the metadata
// once per request.
import { DV, ODataError } from '../errors.ts';
import type { EntityDefinition, Metadata } from '../metadata.ts';
import type { Aliases } from './filter.ts';
import { parseQuery, unknownProperty, type QueryOptions } from './query.ts';

export const MAX_EXPANSIONS = 15;

export interface ResolvedExpand {
  navigation: string;
  kind: 'single' | 'collection';
  /** single: the lookup attribute and its targets under this navigation property. */
  attribute: string;
  targets: EntityDefinition[];
  /** collection: the child entity and its lookup that points back. */
  child?: EntityDefinition;
  /** The nested options, parsed against the target (for single-valued: the first target). */
  query: QueryOptions;
  nested: ResolvedExpand[];
}

function bad(message: string): ODataError {
  return new ODataError(400, DV.badRequestSyntax, message);
}

/** Splits at `sep` outside parentheses and quotes. */
function splitTop(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === "'") quote = !quote;
    else if (!quote && ch === '(') depth += 1;
    else if (!quote && ch === ')') depth -= 1;
    else if (!quote && depth === 0 && ch === sep) { out.push(text.slice(start, i)); start = i + 1; }
    if (depth < 0) throw bad(`Syntax error in $expand: unbalanced ')' in '${text}'.`);
  }
  if (depth !== 0 || quote) throw bad(`Syntax error in $expand: unbalanced parentheses or quotes in '${text}'.`);
  out.push(text.slice(start));
  return out.map((s) => s.trim());
}

interface RawItem { navigation: string; options: Map<string, string> }

function parseItems(text: string): RawItem[] {
  return splitTop(text, ',').map((item) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$/s.exec(item);
    if (!m?.[1]) throw bad(`Syntax error in $expand at '${item}'.`);
    const options = new Map<string, string>();
    if (m[2] !== undefined && m[2].trim() !== '') {
      for (const opt of splitTop(m[2], ';')) {
        const eq = opt.indexOf('=');
        const name = eq < 0 ? opt : opt.slice(0, eq).trim();
        if (!['$select', '$filter', '$orderby', '$top', '$expand'].includes(name)) {
          throw bad(`The query option '${name}' is not supported inside $expand (Dataverse accepts $select, $filter, $orderby, $top and $expand).`);
        }
        options.set(name, eq < 0 ? '' : opt.slice(eq + 1).trim());
      }
    }
    return { navigation: m[1], options };
  });
}

function navigationTargets(metadata: Metadata, entity: EntityDefinition, nav: string): { attribute: string; targets: EntityDefinition[] } | undefined {
  let attribute: string | undefined;
  const targets: EntityDefinition[] = [];
  for (const [name, attr] of Object.entries(entity.attributes)) {
    if (attr.type !== 'lookup') continue;
    const all = attr.targets ?? [];
    for (const t of all) {
      const navName = attr.navigation?.[t] ?? (all.length === 1 ? name : `${name}_${t}`);
      const def = metadata.entity(t);
      if (navName === nav && def) { attribute = name; targets.push(def); }
    }
  }
  return attribute === undefined ? undefined : { attribute, targets };
}

/** Resolves the text of `$expand` for `entity`; `budget` counts expansions across nesting levels. */
export function resolveExpand(metadata: Metadata, entity: EntityDefinition, text: string, aliases: Aliases, budget = { left: MAX_EXPANSIONS }): ResolvedExpand[] {
  return parseItems(text).map((item) => {
    budget.left -= 1;
    if (budget.left < 0) throw bad(`The query has more than ${MAX_EXPANSIONS} $expand options; Dataverse allows at most ${MAX_EXPANSIONS}.`);
    const params = new URLSearchParams();
    for (const [k, v] of item.options) if (k !== '$expand') params.set(k, v);
    const nestedText = item.options.get('$expand');
    const single = navigationTargets(metadata, entity, item.navigation);
    if (single) {
      for (const k of ['$filter', '$orderby', '$top']) {
        if (item.options.has(k)) throw bad(`The query option '${k}' is not allowed on the single-valued navigation property '${item.navigation}'; it applies only to collection-valued navigation properties.`);
      }
      const first = single.targets[0] as EntityDefinition;
      return {
        navigation: item.navigation, kind: 'single' as const, attribute: single.attribute, targets: single.targets,
        query: parseQuery(first, params, aliases),
        nested: nestedText === undefined ? [] : resolveExpand(metadata, first, nestedText, aliases, budget),
      };
    }
    const rel = entity.oneToMany.find((r) => r.navigation === item.navigation);
    const child = rel ? metadata.entity(rel.entity) : undefined;
    if (!rel || !child) throw unknownProperty(entity, item.navigation);
    if (nestedText !== undefined && (item.options.has('$orderby') || item.options.has('$top'))) {
      throw bad(`$orderby and $top are not supported together with a nested $expand on the collection-valued navigation property '${item.navigation}'.`);
    }
    return {
      navigation: item.navigation, kind: 'collection' as const, attribute: rel.referencingAttribute, targets: [child], child,
      query: parseQuery(child, params, aliases),
      nested: nestedText === undefined ? [] : resolveExpand(metadata, child, nestedText, aliases, budget),
    };
  });
}

/** The part of an `@odata.context` URL for a selection and its expansions: `(name,primarycontactid(fullname))`. */
export function contextSelection(select: readonly string[] | undefined, expand: readonly ResolvedExpand[]): string {
  const parts = [...(select ?? [])];
  for (const e of expand) parts.push(`${e.navigation}${contextSelection(e.query.select, e.nested) || '()'}`);
  return parts.length === 0 ? '' : `(${parts.join(',')})`;
}
