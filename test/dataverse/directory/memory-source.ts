// An in-memory DirectorySource for the directory's unit tests: records per
// entity, a change log with versions (delta links "mem:<entity>:<version>"),
// optional change tracking off per entity, expiring delta tokens and hooks
// that run between pages (to look up while a refresh is half done).
import { DirectoryError } from '../../../src/dataverse/directory/errors.ts';
import type { EntityPhoneFields } from '../../../src/dataverse/directory/phone-fields.ts';
import type { DirectorySource, EntityCursor, SourceChange, SourceRecord } from '../../../src/dataverse/directory/source.ts';

interface Stored {
  id: string;
  name: string;
  phones: Record<string, string | undefined>;
  version: number;
}

export class MemorySource implements DirectorySource {
  private readonly tables = new Map<string, Map<string, Stored>>();
  private readonly deleted = new Map<string, { id: string; version: number }[]>();
  private version = 0;
  readonly trackingOff = new Set<string>();
  /** Delta tokens older than this version are expired. */
  expiredBefore = 0;
  pageSize = 2;
  betweenPages: () => void | Promise<void> = () => undefined;
  failOn: ((entity: string) => Error | undefined) | undefined;
  calls: string[] = [];

  put(entity: string, id: string, name: string, phones: Record<string, string | undefined>): void {
    this.version += 1;
    this.table(entity).set(id, { id, name, phones, version: this.version });
  }

  remove(entity: string, id: string): void {
    this.version += 1;
    this.table(entity).delete(id);
    this.deleted.set(entity, [...(this.deleted.get(entity) ?? []), { id, version: this.version }]);
  }

  async readAll(spec: EntityPhoneFields, onPage: (records: readonly SourceRecord[]) => void | Promise<void>): Promise<EntityCursor> {
    this.calls.push(`all:${spec.entity}`);
    this.maybeFail(spec.entity);
    const at = this.version;
    await this.pages([...this.table(spec.entity).values()].map((s) => this.record(s, spec)), onPage);
    return this.trackingOff.has(spec.entity) ? { kind: 'modifiedon', since: String(at) } : { kind: 'delta', link: `mem:${spec.entity}:${at}` };
  }

  async readChanges(spec: EntityPhoneFields, cursor: EntityCursor, onPage: (changes: readonly SourceChange[]) => void): Promise<EntityCursor> {
    this.calls.push(`changes:${spec.entity}:${cursor.kind}`);
    this.maybeFail(spec.entity);
    const at = this.version;
    const since = cursor.kind === 'delta' ? Number(cursor.link.split(':')[2]) : Number(cursor.since);
    if (cursor.kind === 'delta' && since < this.expiredBefore) throw new DirectoryError('delta-expired', `delta token of ${spec.entity} expired`);
    const changed: SourceChange[] = [...this.table(spec.entity).values()].filter((s) => s.version > since).map((s) => ({ kind: 'upsert', record: this.record(s, spec) }));
    // Polling modifiedon never sees deletions; change tracking does.
    if (cursor.kind === 'delta') for (const d of this.deleted.get(spec.entity) ?? []) if (d.version > since) changed.push({ kind: 'delete', id: d.id });
    await this.pages(changed, onPage);
    return cursor.kind === 'delta' ? { kind: 'delta', link: `mem:${spec.entity}:${at}` } : { kind: 'modifiedon', since: String(at) };
  }

  private async pages<T>(items: T[], onPage: (page: readonly T[]) => void | Promise<void>): Promise<void> {
    for (let i = 0; i < items.length || i === 0; i += this.pageSize) {
      await onPage(items.slice(i, i + this.pageSize));
      await this.betweenPages();
      if (items.length === 0) break;
    }
  }

  private record(s: Stored, spec: EntityPhoneFields): SourceRecord {
    return { id: s.id, name: s.name, phones: spec.fields.map((f) => s.phones[f]) };
  }

  private table(entity: string): Map<string, Stored> {
    let t = this.tables.get(entity);
    if (!t) this.tables.set(entity, (t = new Map()));
    return t;
  }

  private maybeFail(entity: string): void {
    const err = this.failOn?.(entity);
    if (err) throw err;
  }
}
