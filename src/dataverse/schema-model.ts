// The vocabulary the schema module is written in: one attribute or entity
// definition carries both the names code uses and what the simulator's
// metadata needs (type, length, lookup targets, option values), so the two
// cannot drift apart.

export type AttributeType =
  | 'string'
  | 'memo'
  | 'int'
  | 'decimal'
  | 'datetime'
  | 'boolean'
  | 'picklist'
  | 'lookup'
  | 'uniqueidentifier';

export interface AttributeSpec {
  readonly type: AttributeType;
  /** Logical name of the attribute (lower case, as the Web API spells it). */
  readonly name: string;
  readonly maxLength?: number;
  /** Lookups: logical names of the entities the lookup may point to. */
  readonly targets?: readonly string[];
  /**
   * Lookups: the single-valued navigation property used in `<nav>@odata.bind`
   * (case sensitive in Dataverse; our own lookups are created with lower-case
   * schema names so it equals the logical name).
   */
  readonly navigation?: string;
  /** Picklists: option value per code name. */
  readonly options?: Readonly<Record<string, number>>;
  readonly required?: boolean;
  readonly description?: string;
}

export interface EntitySpec<A extends Record<string, AttributeSpec> = Record<string, AttributeSpec>> {
  readonly logicalName: string;
  readonly entitySet: string;
  readonly primaryId: string;
  readonly primaryName: string;
  readonly changeTracking: boolean;
  /** Dataverse OwnershipType: user-owned records have an owner (and can be shared). */
  readonly ownership: 'UserOwned' | 'OrganizationOwned';
  /** Alternate keys: key name → attribute logical names. */
  readonly alternateKeys?: Readonly<Record<string, readonly string[]>>;
  readonly attributes: A;
  readonly description?: string;
}

/** The property under which the Web API returns a lookup's id: `_<name>_value`. */
export function lookupValue(attribute: string): string {
  return `_${attribute}_value`;
}

/** The annotation key that binds a lookup when writing: `<navigation>@odata.bind`. */
export function bindKey(navigation: string): string {
  return `${navigation}@odata.bind`;
}

/** The value of a bind annotation: `/<entitySet>(<id>)`. */
export function bindValue(entitySet: string, id: string): string {
  return `/${entitySet}(${id})`;
}

/** Code name → logical name, derived from the attribute specs. */
export type FieldNames<A extends Record<string, AttributeSpec>> = { readonly [K in keyof A]: string };

export function fieldNames<A extends Record<string, AttributeSpec>>(attributes: A): FieldNames<A> {
  const out: Record<string, string> = {};
  for (const [key, spec] of Object.entries(attributes)) out[key] = spec.name;
  return out as FieldNames<A>;
}
