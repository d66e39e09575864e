// Create, update, upsert and delete with the server-side rules of Dataverse: a client-chosen
// primary key is honoured, a duplicate one is refused, created/modified on/by and
// versionnumber are set by the server from the caller and the clock, impersonation records the
// real caller in *onbehalfby, alternate keys stay unique, deep inserts are atomic.
import { randomUUID } from 'node:crypto';
import { isoSeconds } from './clock.ts';
import { DV, ODataError } from './errors.ts';
import type { EntityDefinition, Metadata } from './metadata.ts';
import type { RecordAccess } from './access.ts';
import { privilegeName, type Operation } from './privileges.ts';
import { OVERRIDDEN_CREATED_ON, OVERRIDE_PRIVILEGE, refuseSystemTable } from './system-columns.ts';
import { parsePayload } from './records.ts';
import type { RecordStore, StoredRecord, StoredValue } from './store.ts';
import { isLookup } from './store.ts';

export interface Actor {
  /** The authenticated principal (systemuserid). */
  callerId: string;
  /** The user the request acts for: the impersonated user, or the caller. */
  userId: string;
  now: number;
  /** A fixed id generator for tests; default crypto.randomUUID. */
  newId?: () => string;
}

/** Seed loading writes read-only columns and needs no privileges. */
export interface SeedOptions {
  skipPrivileges?: boolean;
  allowReadOnly?: boolean;
}

export class WriteService {
  constructor(
    private readonly metadata: Metadata,
    private readonly store: RecordStore,
    /** Throws the 403 when a user lacks a privilege (PrivilegeResolver.demand); absent = no checks. */
    private readonly demandPrivilege?: (name: string, userIds: readonly string[], entity: string, otc: number | undefined) => void,
    /** The access check on single records (depth, ownership, sharing); absent = none. */
    private readonly access?: RecordAccess,
  ) {}

  /** Throws the access-check 403 unless every principal of `actor` may do `op` on `record`. */
  demandRecord(op: Operation, entity: EntityDefinition, record: StoredRecord, actor: Actor): void {
    this.access?.demand(op, entity, record, this.principals(actor));
  }

  /** A predicate for the rows of a query: may `actor` read this record? */
  readable(entity: EntityDefinition, actor: Actor): (record: StoredRecord) => boolean {
    return this.access ? this.access.filter('Read', entity, this.principals(actor)) : () => true;
  }

  /**
   * Binding a lookup needs Append on the record that gets the lookup and AppendTo on the record
   * it points to; setting `ownerid` to another principal is an assignment and needs Assign.
   * https://learn.microsoft.com/power-platform/admin/security-roles-privileges#record-level-privileges
   */
  private demandBinds(entity: EntityDefinition, record: StoredRecord, values: StoredRecord, actor: Actor, previous: StoredRecord | undefined): void {
    for (const [name, value] of Object.entries(values)) {
      if (!isLookup(value) || entity.attributes[name]?.type !== 'lookup') continue;
      const before = previous?.[name];
      if (isLookup(before) && before.id === value.id) continue;
      if (name === 'ownerid') {
        if (value.id === (isLookup(before) ? before.id : actor.userId)) continue;
        this.demand('Assign', entity, actor);
        if (previous) this.demandRecord('Assign', entity, previous, actor);
        continue;
      }
      this.demand('Append', entity, actor);
      this.demandRecord('Append', entity, record, actor);
      const target = this.metadata.entity(value.logicalName);
      const targetRecord = this.store.get(value.logicalName, value.id);
      if (!target || !targetRecord) continue;
      this.demand('AppendTo', target, actor);
      this.demandRecord('AppendTo', target, targetRecord, actor);
    }
  }

  /** Users whose privileges must hold: with impersonation both caller and impersonated user. */
  principals(actor: Actor): string[] {
    return actor.callerId === actor.userId ? [actor.userId] : [actor.callerId, actor.userId];
  }

  demand(op: Parameters<typeof privilegeName>[0], entity: EntityDefinition, actor: Actor): void {
    const name = privilegeName(op, entity);
    if (this.demandPrivilege && name) this.demandPrivilege(name, this.principals(actor), entity.logicalName, entity.objectTypeCode);
  }

  /** A privilege without a table (prvImportCustomizations, prvPublishCustomizations). */
  demandMisc(name: string, actor: Actor): void {
    if (this.demandPrivilege) this.demandPrivilege(name, this.principals(actor), 'none', undefined);
  }

  create(entity: EntityDefinition, body: unknown, actor: Actor, idFromUrl?: string, seed?: SeedOptions): StoredRecord {
    return this.store.transaction(() => this.createInner(entity, body, actor, idFromUrl, undefined, seed));
  }

  private createInner(entity: EntityDefinition, body: unknown, actor: Actor, idFromUrl: string | undefined, parent: { attribute: string; id: string; logicalName: string } | undefined, seed: SeedOptions | undefined): StoredRecord {
    if (!seed?.skipPrivileges) refuseSystemTable(entity, 'Create');
    if (!seed?.skipPrivileges) this.demand('Create', entity, actor);
    const { values, children } = parsePayload(this.metadata, this.store, entity, body, { allowReadOnly: seed?.allowReadOnly === true });
    const overridden = values[OVERRIDDEN_CREATED_ON];
    if (overridden !== undefined && overridden !== null && !seed?.skipPrivileges) this.demandMisc(OVERRIDE_PRIVILEGE, actor);
    const bodyId = values[entity.primaryIdAttribute];
    const id = (idFromUrl ?? (typeof bodyId === 'string' ? bodyId : undefined) ?? (actor.newId ?? randomUUID)()).toLowerCase();
    if (this.store.get(entity.logicalName, id)) {
      throw new ODataError(412, DV.duplicateRecord, 'A record with matching key values already exists.');
    }
    const record: StoredRecord = {};
    for (const [name, attr] of Object.entries(entity.attributes)) {
      if (attr.default !== undefined) record[name] = attr.default;
    }
    Object.assign(record, values);
    if (parent) record[parent.attribute] = { id: parent.id, logicalName: parent.logicalName };
    record[entity.primaryIdAttribute] = id;
    for (const [name, attr] of Object.entries(entity.attributes)) {
      if (attr.required && (record[name] === undefined || record[name] === null) && name !== entity.primaryIdAttribute) {
        throw new ODataError(400, '0x80040200', `Attribute '${name}' cannot be NULL. A value is required to create a(n) ${entity.logicalName}.`);
      }
    }
    this.stamp(entity, record, actor, true);
    if (!seed?.skipPrivileges) this.demandBinds(entity, record, values, actor, undefined);
    this.checkAlternateKeys(entity, record);
    this.store.put(entity.logicalName, id, record);
    for (const child of children) {
      const childEntity = this.metadata.entity(child.entity);
      if (!childEntity) throw new ODataError(400, DV.badRequestSyntax, `Navigation property '${child.navigation}' refers to unknown entity '${child.entity}'.`);
      for (const payload of child.payloads) {
        this.createInner(childEntity, payload, actor, undefined, { attribute: child.referencingAttribute, id, logicalName: entity.logicalName }, seed);
      }
    }
    return record;
  }

  update(entity: EntityDefinition, id: string, body: unknown, actor: Actor, ifMatch?: string): StoredRecord {
    return this.store.transaction(() => {
      const existing = this.store.get(entity.logicalName, id);
      if (!existing) throw notFound(entity, id);
      checkIfMatch(existing, ifMatch);
      refuseSystemTable(entity, 'Update');
      this.demand('Write', entity, actor);
      this.demandRecord('Write', entity, existing, actor);
      const { values, children } = parsePayload(this.metadata, this.store, entity, body);
      if (children.length > 0) throw new ODataError(400, DV.badRequestSyntax, 'Deep update of collection-valued navigation properties is not supported; create the related records separately.');
      delete values[entity.primaryIdAttribute];
      // overriddencreatedon is valid for create only (IsValidForUpdate false): ignored here.
      delete values[OVERRIDDEN_CREATED_ON];
      const record: StoredRecord = { ...existing, ...values };
      this.stamp(entity, record, actor, false);
      this.demandBinds(entity, record, values, actor, existing);
      this.checkAlternateKeys(entity, record);
      this.store.put(entity.logicalName, id, record);
      return record;
    });
  }

  /**
   * PATCH semantics: update when the record exists, else create it with this id. `If-Match: *`
   * forbids the create (404), `If-None-Match: *` forbids the update (412).
   */
  upsert(entity: EntityDefinition, id: string, body: unknown, actor: Actor, headers: { ifMatch?: string | undefined; ifNoneMatch?: string | undefined }): { record: StoredRecord; created: boolean } {
    const exists = this.store.get(entity.logicalName, id) !== undefined;
    if (headers.ifNoneMatch === '*' && exists) {
      throw new ODataError(412, DV.duplicateRecord, 'A record with matching key values already exists.');
    }
    if (exists) return { record: this.update(entity, id, body, actor, headers.ifMatch), created: false };
    if (headers.ifMatch !== undefined) throw notFound(entity, id);
    return { record: this.create(entity, body, actor, id), created: true };
  }

  delete(entity: EntityDefinition, id: string, actor: Actor, ifMatch?: string): void {
    this.store.transaction(() => {
      const existing = this.store.get(entity.logicalName, id);
      if (!existing) throw notFound(entity, id);
      checkIfMatch(existing, ifMatch);
      refuseSystemTable(entity, 'Delete');
      this.demand('Delete', entity, actor);
      this.demandRecord('Delete', entity, existing, actor);
      this.store.remove(entity.logicalName, id, actor.now);
      // Child rows of one-to-many relationships go with the parent (cascade delete).
      for (const rel of entity.oneToMany) {
        for (const child of [...this.store.all(rel.entity)]) {
          const ref = child[rel.referencingAttribute];
          const childDef = this.metadata.entity(rel.entity);
          if (childDef && isLookup(ref) && ref.id === id.toLowerCase()) this.store.remove(rel.entity, String(child[childDef.primaryIdAttribute]), actor.now);
        }
      }
    });
  }

  /** The record matching every attribute of an alternate key, if any. */
  findByKey(entity: EntityDefinition, key: Record<string, StoredValue>): StoredRecord | undefined {
    for (const r of this.store.all(entity.logicalName)) {
      if (Object.entries(key).every(([a, v]) => sameValue(r[a] ?? null, v))) return r;
    }
    return undefined;
  }

  private stamp(entity: EntityDefinition, record: StoredRecord, actor: Actor, created: boolean): void {
    for (const [name, attr] of Object.entries(entity.attributes)) {
      if (attr.join) {
        const parts = attr.join.map((p) => record[p]).filter((v): v is string => typeof v === 'string' && v.trim() !== '');
        record[name] = parts.length > 0 ? parts.join(' ') : null;
      }
    }
    const now = isoSeconds(actor.now);
    const user = { id: actor.userId, logicalName: 'systemuser' };
    const behalf = actor.callerId === actor.userId ? null : { id: actor.callerId, logicalName: 'systemuser' };
    if (entity.auditFields) {
      if (created) {
        // https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/account#BKMK_OverriddenCreatedOn
        // "Date and time that the record was migrated": a migrated record keeps its original
        // createdon (the value sent) and overriddencreatedon records when it really arrived.
        const overridden = record[OVERRIDDEN_CREATED_ON];
        record['createdon'] = typeof overridden === 'string' ? overridden : now;
        if (typeof overridden === 'string') record[OVERRIDDEN_CREATED_ON] = now;
        record['createdby'] = user;
        record['createdonbehalfby'] = behalf;
      }
      record['modifiedon'] = now;
      record['modifiedby'] = user;
      record['modifiedonbehalfby'] = behalf;
    }
    if (entity.auditFields || entity.changeTracking) record['versionnumber'] = this.store.nextVersion();
    if (entity.ownership === 'UserOwned') {
      const owner = record['ownerid'];
      if (!isLookup(owner)) record['ownerid'] = user;
      const o = record['ownerid'];
      if (isLookup(o)) {
        record['owninguser'] = o.logicalName === 'systemuser' ? o : null;
        record['owningteam'] = o.logicalName === 'team' ? o : null;
        const principal = this.store.get(o.logicalName, o.id);
        const bu = principal?.['businessunitid'];
        record['owningbusinessunit'] = isLookup(bu) ? bu : null;
      }
    }
  }

  private checkAlternateKeys(entity: EntityDefinition, record: StoredRecord): void {
    for (const key of entity.alternateKeys) {
      const values = key.attributes.map((a) => record[a] ?? null);
      if (values.some((v) => v === null)) continue;
      for (const other of this.store.all(entity.logicalName)) {
        if (other[entity.primaryIdAttribute] === record[entity.primaryIdAttribute]) continue;
        if (key.attributes.every((a, i) => sameValue(other[a] ?? null, values[i] ?? null))) {
          throw new ODataError(412, DV.duplicateRecord, `A record that has the attribute values ${key.attributes.map((a, i) => `${a}=${String(values[i])}`).join(', ')} already exists. The entity key ${key.name} requires that this set of attributes contains unique values. Select unique values and try again.`);
        }
      }
    }
  }
}

export function notFound(entity: EntityDefinition, id: string): ODataError {
  return new ODataError(404, DV.objectDoesNotExist, `${entity.logicalName} With Id = ${id.toLowerCase()} Does Not Exist`);
}

function checkIfMatch(existing: StoredRecord, ifMatch: string | undefined): void {
  if (ifMatch === undefined || ifMatch === '*') return;
  const tags = ifMatch.split(',').map((t) => t.trim());
  const current = `W/"${String(existing['versionnumber'] ?? 0)}"`;
  if (!tags.includes(current)) {
    throw new ODataError(412, DV.concurrencyVersionMismatch, "The version of the existing record doesn't match the RowVersion property provided.");
  }
}

function sameValue(a: StoredValue, b: StoredValue): boolean {
  if (isLookup(a) && isLookup(b)) return a.id === b.id;
  if (isLookup(a)) return a.id === b;
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}
