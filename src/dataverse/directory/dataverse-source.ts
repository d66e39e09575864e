// Directory records from the Dataverse Web API. A full read asks for change
// tracking (`Prefer: odata.track-changes`) and keeps the delta link; where an
// entity has change tracking off it reads plainly and polls `modifiedon`
// afterwards (which never sees deletions: the daily rebuild does).
import { STANDARD } from '../schema.ts';
import { DataverseError } from '../web-api/errors.ts';
import { normalizeGuid } from '../web-api/odata.ts';
import type { DataverseApi } from '../web-api/types.ts';
import { DirectoryError } from './errors.ts';
import type { EntityPhoneFields } from './phone-fields.ts';
import type { DirectorySource, EntityCursor, SourceChange, SourceRecord } from './source.ts';

/** Where an entity lives in the Web API. */
export interface EntityInfo {
  readonly entitySet: string;
  readonly idAttribute: string;
  readonly nameAttribute: string;
}

export interface DataverseSourceOptions {
  /** `Prefer: odata.maxpagesize` (default 5000, the Dataverse maximum). */
  readonly pageSize?: number;
  /** Entities beyond account/contact/lead; otherwise their EntityDefinitions are read once. */
  readonly entities?: Readonly<Record<string, EntityInfo>>;
}

const KNOWN: Record<string, EntityInfo> = {
  account: { entitySet: STANDARD.account.entitySet, idAttribute: STANDARD.account.primaryId, nameAttribute: STANDARD.account.primaryName },
  contact: { entitySet: STANDARD.contact.entitySet, idAttribute: STANDARD.contact.primaryId, nameAttribute: STANDARD.contact.primaryName },
  lead: { entitySet: STANDARD.lead.entitySet, idAttribute: STANDARD.lead.primaryId, nameAttribute: STANDARD.lead.primaryName },
};

type Row = Record<string, unknown>;

export class DataverseDirectorySource implements DirectorySource {
  private readonly pageSize: number;
  private readonly infos = new Map<string, EntityInfo>();

  constructor(
    private readonly api: DataverseApi,
    options: DataverseSourceOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 5000;
    for (const [entity, info] of Object.entries({ ...KNOWN, ...options.entities })) this.infos.set(entity, info);
  }

  async readAll(spec: EntityPhoneFields, onPage: (records: readonly SourceRecord[]) => void | Promise<void>): Promise<EntityCursor> {
    const info = await this.info(spec.entity);
    const select = [info.idAttribute, info.nameAttribute, ...spec.fields, 'modifiedon'];
    try {
      let deltaLink: string | undefined;
      let seen = new Date(0).toISOString();
      for await (const page of this.api.pages<Row>(info.entitySet, { select }, { maxPageSize: this.pageSize, trackChanges: true })) {
        await onPage(this.records(page.value, info, spec));
        deltaLink = page.deltaLink ?? deltaLink;
        seen = newest(page.value, seen);
      }
      if (deltaLink !== undefined) return { kind: 'delta', link: deltaLink };
      // A server that ignored the preference: poll modifiedon from the newest record read.
      return { kind: 'modifiedon', since: seen };
    } catch (err) {
      if (!(err instanceof DataverseError && err.code === 'change-tracking-disabled')) throw err;
    }
    let since = new Date(0).toISOString();
    for await (const page of this.api.pages<Row>(info.entitySet, { select }, { maxPageSize: this.pageSize })) {
      await onPage(this.records(page.value, info, spec));
      since = newest(page.value, since);
    }
    return { kind: 'modifiedon', since };
  }

  async readSettled(spec: EntityPhoneFields, since: string, onRecords: (records: readonly SourceRecord[]) => void | Promise<void>, onIds: (ids: readonly string[]) => void): Promise<void> {
    const info = await this.info(spec.entity);
    const select = [info.idAttribute, info.nameAttribute, ...spec.fields, 'modifiedon'];
    for await (const page of this.api.pages<Row>(info.entitySet, { select, filter: `modifiedon ge ${since}` }, { maxPageSize: this.pageSize })) {
      await onRecords(this.records(page.value, info, spec));
    }
    for await (const page of this.api.pages<Row>(info.entitySet, { select: [info.idAttribute] }, { maxPageSize: this.pageSize })) {
      const ids: string[] = [];
      for (const row of page.value) {
        const raw = row[info.idAttribute];
        const id = typeof raw === 'string' ? normalizeGuid(raw) : undefined;
        if (id !== undefined) ids.push(id);
      }
      onIds(ids);
    }
  }

  async readChanges(spec: EntityPhoneFields, cursor: EntityCursor, onPage: (changes: readonly SourceChange[]) => void): Promise<EntityCursor> {
    const info = await this.info(spec.entity);
    if (cursor.kind === 'modifiedon') {
      // `ge`, not `gt`: records saved in the same instant as the newest one seen
      // are read again rather than missed; applying them twice changes nothing.
      const select = [info.idAttribute, info.nameAttribute, ...spec.fields, 'modifiedon'];
      let since = cursor.since;
      for await (const page of this.api.pages<Row>(info.entitySet, { select, filter: `modifiedon ge ${cursor.since}` }, { maxPageSize: this.pageSize })) {
        onPage(this.records(page.value, info, spec).map((record) => ({ kind: 'upsert', record })));
        since = newest(page.value, since);
      }
      return { kind: 'modifiedon', since };
    }
    try {
      let link = cursor.link;
      for await (const page of this.api.delta<Row>(cursor.link, { maxPageSize: this.pageSize })) {
        const changes: SourceChange[] = this.records(page.changed, info, spec).map((record) => ({ kind: 'upsert', record }));
        for (const id of page.deleted) changes.push({ kind: 'delete', id: normalizeGuid(id) ?? id });
        onPage(changes);
        link = page.deltaLink ?? link;
      }
      return { kind: 'delta', link };
    } catch (err) {
      if (err instanceof DataverseError && err.code === 'delta-expired') {
        throw new DirectoryError('delta-expired', `the delta token of ${spec.entity} expired`, { cause: err });
      }
      throw err;
    }
  }

  private records(rows: readonly Row[], info: EntityInfo, spec: EntityPhoneFields): SourceRecord[] {
    const out: SourceRecord[] = [];
    for (const row of rows) {
      const rawId = row[info.idAttribute];
      const id = typeof rawId === 'string' ? normalizeGuid(rawId) : undefined;
      if (id === undefined) continue; // a row without a usable id cannot be updated or deleted later
      const name = row[info.nameAttribute];
      out.push({
        id,
        name: typeof name === 'string' ? name : '',
        phones: spec.fields.map((field) => {
          const value = row[field];
          return typeof value === 'string' ? value : undefined;
        }),
      });
    }
    return out;
  }

  private async info(entity: string): Promise<EntityInfo> {
    const known = this.infos.get(entity);
    if (known !== undefined) return known;
    let definition: Row | null = null;
    try {
      definition = await this.api.retrieve<Row>('EntityDefinitions', { LogicalName: entity }, ['EntitySetName', 'PrimaryIdAttribute', 'PrimaryNameAttribute']);
    } catch (err) {
      if (!(err instanceof DataverseError && err.code === 'not-found')) throw err;
    }
    const set = definition?.EntitySetName;
    const id = definition?.PrimaryIdAttribute;
    const name = definition?.PrimaryNameAttribute;
    if (typeof set !== 'string' || typeof id !== 'string' || typeof name !== 'string') {
      throw new DirectoryError('invalid-phone-fields', `IncallPhoneFields names entity "${entity}", which the CRM does not know`);
    }
    const info = { entitySet: set, idAttribute: id, nameAttribute: name };
    this.infos.set(entity, info);
    return info;
  }
}

function newest(rows: readonly Row[], since: string): string {
  let best = since;
  for (const row of rows) {
    const at = row.modifiedon;
    if (typeof at === 'string' && Date.parse(at) > Date.parse(best)) best = new Date(Date.parse(at)).toISOString();
  }
  return best;
}
