// Where directory records come from. The Dataverse implementation is
// dataverse-source.ts; the benchmark and unit tests feed pages from memory.
import type { EntityPhoneFields } from './phone-fields.ts';

/** One CRM record as the directory needs it; `phones` is aligned with the entity's fields. */
export interface SourceRecord {
  readonly id: string;
  readonly name: string;
  readonly phones: readonly (string | null | undefined)[];
}

export type SourceChange = { readonly kind: 'upsert'; readonly record: SourceRecord } | { readonly kind: 'delete'; readonly id: string };

/**
 * Where the next incremental read of an entity starts: a change-tracking delta
 * link, or — when change tracking is off for the entity — the newest
 * `modifiedon` seen (polling that never sees deletions; the daily rebuild does).
 */
export type EntityCursor = { readonly kind: 'delta'; readonly link: string } | { readonly kind: 'modifiedon'; readonly since: string };

export interface DirectorySource {
  /**
   * Reads every record of the entity page by page and returns the cursor for
   * the next incremental read. Pages are handed over as they arrive so a
   * million records never sit in memory twice. When `onPage` returns a
   * promise, the source awaits it before reading on: the directory digests a
   * page in slices between which the event loop runs, and this keeps pages
   * from piling up meanwhile.
   */
  readAll(spec: EntityPhoneFields, onPage: (records: readonly SourceRecord[]) => void | Promise<void>): Promise<EntityCursor>;
  /**
   * Reads what changed since the cursor. Throws DirectoryError `delta-expired`
   * when the server no longer knows the delta token (the caller resyncs).
   */
  readChanges(spec: EntityPhoneFields, cursor: EntityCursor, onPage: (changes: readonly SourceChange[]) => void): Promise<EntityCursor>;
  /**
   * After a full read: the records modified since `since` (ISO time) and then
   * the ids the entity has now (ids only). A paged read sees each page at a
   * different moment and its delta token may be issued at its end, so an
   * edit, a deletion or a record created behind the page cursor while it
   * paged would stay unseen until the next full build; this lets the build
   * catch up before it is served (issue 11, case 5). Optional.
   */
  readSettled?(spec: EntityPhoneFields, since: string, onRecords: (records: readonly SourceRecord[]) => void | Promise<void>, onIds: (ids: readonly string[]) => void): Promise<void>;
}
