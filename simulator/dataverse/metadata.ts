// Entity definitions of the simulated Dataverse, read from every `metadata*.json` of a seed
// directory (format: docs/simulated-dataverse.md#metadata-format). The simulator knows exactly
// what these files declare: an attribute or entity set missing here answers like real Dataverse
// answers an unknown one.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../../src/config/file.ts';
import { SimulatorError } from './errors.ts';

export const ATTRIBUTE_TYPES = [
  'string', 'memo', 'int', 'bigint', 'decimal', 'money', 'double', 'datetime', 'boolean',
  'picklist', 'lookup', 'uniqueidentifier',
] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

const attributeSchema = z.strictObject({
  type: z.enum(ATTRIBUTE_TYPES),
  /** string/memo: the longest accepted value (Dataverse rejects longer ones). */
  maxLength: z.int().positive().optional(),
  /** picklist: value → label (English); `labels1031` gives German labels. */
  options: z.record(z.string().regex(/^-?\d+$/), z.string()).optional(),
  labels1031: z.record(z.string().regex(/^-?\d+$/), z.string()).optional(),
  /** lookup: logical names of the target entities; ["*"] = any entity (principalobjectaccess). */
  targets: z.array(z.string().min(1)).min(1).optional(),
  /** lookup: navigation property per target; default: the attribute name for one target, `<attr>_<target>` for several. */
  navigation: z.record(z.string(), z.string()).optional(),
  /** Read-only for clients (set by the server, e.g. fullname, statecode defaults). */
  readOnly: z.boolean().optional(),
  /** Required on create (ApplicationRequired). */
  required: z.boolean().optional(),
  /** Value on create when the client sends none. */
  default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  /** Computed from other string attributes joined by a space (contact.fullname). */
  join: z.array(z.string()).optional(),
});
export type AttributeDefinition = z.infer<typeof attributeSchema>;

const entitySchema = z.strictObject({
  logicalName: z.string().regex(/^[a-z][a-z0-9_]*$/),
  entitySetName: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/),
  primaryIdAttribute: z.string(),
  primaryNameAttribute: z.string().optional(),
  /** Dataverse's OwnershipType: UserOwned adds ownerid/owninguser/owningteam/owningbusinessunit. */
  ownership: z.enum(['UserOwned', 'BusinessOwned', 'OrganizationOwned', 'None']).default('None'),
  /** Adds createdon/modifiedon/createdby/modifiedby/createdonbehalfby/modifiedonbehalfby/versionnumber. */
  auditFields: z.boolean().default(true),
  changeTracking: z.boolean().default(false),
  /** Name used in privilege names (prvCreate<privilegeName>); default: the logical name. Activities share "Activity". */
  privilegeName: z.string().optional(),
  /** Object type code shown in privilege errors; optional. */
  objectTypeCode: z.int().optional(),
  attributes: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), attributeSchema),
  alternateKeys: z.array(z.strictObject({ name: z.string(), attributes: z.array(z.string()).min(1) })).default([]),
  /** One-to-many relationships usable for deep insert: `navigation` on this entity → child entity's lookup `referencingAttribute`. */
  oneToMany: z.array(z.strictObject({ navigation: z.string(), entity: z.string(), referencingAttribute: z.string() })).default([]),
});
export type EntityDefinition = z.infer<typeof entitySchema>;

export const metadataFileSchema = z.strictObject({
  $comment: z.string().optional(),
  entities: z.array(entitySchema),
});

const SYSTEM_ATTRIBUTES: Record<string, AttributeDefinition> = {
  createdon: { type: 'datetime', readOnly: true },
  modifiedon: { type: 'datetime', readOnly: true },
  createdby: { type: 'lookup', targets: ['systemuser'], readOnly: true },
  modifiedby: { type: 'lookup', targets: ['systemuser'], readOnly: true },
  createdonbehalfby: { type: 'lookup', targets: ['systemuser'], readOnly: true },
  modifiedonbehalfby: { type: 'lookup', targets: ['systemuser'], readOnly: true },
  versionnumber: { type: 'bigint', readOnly: true },
  // Valid for create only; see writes.ts (stamp) for what it does.
  overriddencreatedon: { type: 'datetime' },
};

const OWNER_ATTRIBUTES: Record<string, AttributeDefinition> = {
  ownerid: { type: 'lookup', targets: ['systemuser', 'team'], navigation: { systemuser: 'ownerid', team: 'ownerid' } },
  owninguser: { type: 'lookup', targets: ['systemuser'], readOnly: true },
  owningteam: { type: 'lookup', targets: ['team'], readOnly: true },
  owningbusinessunit: { type: 'lookup', targets: ['businessunit'], readOnly: true },
};

export class Metadata {
  private readonly byLogical = new Map<string, EntityDefinition>();
  private readonly bySet = new Map<string, EntityDefinition>();
  private readonly navigation = new Map<string, Map<string, { attribute: string; target: string }>>();

  constructor(entities: readonly EntityDefinition[]) {
    for (const raw of entities) {
      const entity = withImplicitAttributes(raw);
      if (this.byLogical.has(entity.logicalName)) {
        throw new SimulatorError('sim-metadata-invalid', `entity "${entity.logicalName}" is defined twice`);
      }
      this.byLogical.set(entity.logicalName, entity);
      this.bySet.set(entity.entitySetName, entity);
    }
    for (const entity of this.byLogical.values()) this.check(entity);
  }

  /**
   * Adds or replaces entities at run time (a solution import): checked first, then
   * applied all together, so a bad definition changes nothing.
   */
  define(entities: readonly EntityDefinition[]): void {
    // An unmanaged import adds and changes columns but never deletes one.
    const next = entities.map((raw) => {
      const before = this.byLogical.get(raw.logicalName);
      return withImplicitAttributes(before ? { ...raw, attributes: { ...before.attributes, ...raw.attributes } } : raw);
    });
    for (const entity of next) this.check(entity);
    for (const entity of next) {
      const before = this.byLogical.get(entity.logicalName);
      if (before) this.bySet.delete(before.entitySetName);
      this.byLogical.set(entity.logicalName, entity);
      this.bySet.set(entity.entitySetName, entity);
      this.navigation.delete(entity.logicalName);
    }
  }

  entity(logicalName: string): EntityDefinition | undefined {
    return this.byLogical.get(logicalName);
  }

  entityBySet(setName: string): EntityDefinition | undefined {
    return this.bySet.get(setName);
  }

  entities(): EntityDefinition[] {
    return [...this.byLogical.values()];
  }

  /** Navigation property name → target logical name for every lookup of an entity. */
  navigationOf(entity: EntityDefinition): Map<string, { attribute: string; target: string }> {
    const cached = this.navigation.get(entity.logicalName);
    if (cached) return cached;
    const map = new Map<string, { attribute: string; target: string }>();
    this.navigation.set(entity.logicalName, map);
    for (const [name, attr] of Object.entries(entity.attributes)) {
      if (attr.type !== 'lookup') continue;
      const targets = attr.targets ?? [];
      for (const target of targets) {
        const nav = attr.navigation?.[target] ?? (targets.length === 1 ? name : `${name}_${target}`);
        map.set(nav, { attribute: name, target });
      }
    }
    return map;
  }

  private check(entity: EntityDefinition): void {
    const where = `entity "${entity.logicalName}"`;
    if (entity.attributes[entity.primaryIdAttribute]?.type !== 'uniqueidentifier') {
      throw new SimulatorError('sim-metadata-invalid', `${where}: primaryIdAttribute "${entity.primaryIdAttribute}" must be an attribute of type uniqueidentifier`);
    }
    if (entity.primaryNameAttribute !== undefined && entity.attributes[entity.primaryNameAttribute] === undefined) {
      throw new SimulatorError('sim-metadata-invalid', `${where}: primaryNameAttribute "${entity.primaryNameAttribute}" is not an attribute`);
    }
    for (const [name, attr] of Object.entries(entity.attributes)) {
      if (attr.type === 'lookup' && (attr.targets === undefined || attr.targets.length === 0)) {
        throw new SimulatorError('sim-metadata-invalid', `${where}: lookup "${name}" needs "targets"`);
      }
      if (attr.type === 'picklist' && attr.options === undefined) {
        throw new SimulatorError('sim-metadata-invalid', `${where}: picklist "${name}" needs "options"`);
      }
    }
    for (const key of entity.alternateKeys) {
      for (const a of key.attributes) {
        if (entity.attributes[a] === undefined) {
          throw new SimulatorError('sim-metadata-invalid', `${where}: alternate key "${key.name}" names unknown attribute "${a}"`);
        }
      }
    }
  }
}

function withImplicitAttributes(entity: EntityDefinition): EntityDefinition {
  const attributes = { ...entity.attributes };
  if (entity.auditFields) Object.assign(attributes, SYSTEM_ATTRIBUTES, entity.attributes);
  if (entity.ownership === 'UserOwned') Object.assign(attributes, OWNER_ATTRIBUTES, entity.attributes);
  if (entity.ownership === 'BusinessOwned' && attributes['owningbusinessunit'] === undefined && attributes['businessunitid'] === undefined) {
    attributes['owningbusinessunit'] = { type: 'lookup', targets: ['businessunit'], readOnly: true };
  }
  return { ...entity, attributes };
}

/** Validates one parsed metadata file; `origin` names it in messages. */
export function parseMetadataFile(value: unknown, origin: string): EntityDefinition[] {
  const parsed = metadataFileSchema.safeParse(value);
  if (!parsed.success) {
    throw new SimulatorError('sim-metadata-invalid', describeIssues(parsed.error, origin).message);
  }
  return parsed.data.entities;
}

/** Files of our solution (metadata-ctapi.json, seed/05-roles-ctapi.json): left out for an org without it. */
export const SOLUTION_FILE = /ctapi/;

/** Reads every `metadata*.json` of `dir` (sorted by name) into one Metadata; `withoutSolution` skips our solution's file. */
export async function loadMetadata(dir: string, options: { withoutSolution?: boolean } = {}): Promise<Metadata> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^metadata.*\.json$/.test(n) && !(options.withoutSolution === true && SOLUTION_FILE.test(n))).sort();
  } catch (err) {
    throw new SimulatorError('sim-seed-unreadable', `${dir}: cannot read the seed directory (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  if (names.length === 0) throw new SimulatorError('sim-metadata-invalid', `${dir}: no metadata*.json file`);
  const entities: EntityDefinition[] = [];
  for (const name of names) entities.push(...parseMetadataFile(await readJson(join(dir, name)), join(dir, name)));
  return new Metadata(entities);
}

export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SimulatorError('sim-seed-unreadable', `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SimulatorError('sim-seed-invalid', `${path}: invalid JSON: ${(err as Error).message}`);
  }
}
