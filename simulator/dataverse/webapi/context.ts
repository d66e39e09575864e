// What one Web API request works with: the organisation's state, the resolved caller, the
// base URL the client used (so links point back the same way), and response helpers.
import { randomUUID } from 'node:crypto';
import type { Metadata, EntityDefinition } from '../metadata.ts';
import { represent, type RepresentationOptions } from '../records.ts';
import type { RecordStore, StoredRecord } from '../store.ts';
import type { Actor, WriteService } from '../writes.ts';
import type { PrivilegeResolver } from '../privileges.ts';
import type { Directory } from '../directory.ts';

export interface WebApiContext {
  metadata: Metadata;
  store: RecordStore;
  writes: WriteService;
  privileges: PrivilegeResolver;
  directory: Directory;
  actor: Actor;
  now: number;
  /** e.g. `http://127.0.0.1:4711/contoso/api/data/v9.2/` */
  baseUrl: string;
  /** The version segment the client used: v9.0, v9.1 or v9.2. */
  version: string;
  /** The user's UI language (usersettings.uilanguageid) for formatted values. */
  language: number;
  /** The user's time zone (IANA, from usersettings.timezonecode) for formatted date-times. */
  timeZone: string;
  changeTrackingRetentionMs: number;
  represent(entity: EntityDefinition, record: StoredRecord, opts: RepresentationOptions): Record<string, unknown>;
  json(status: number, body: unknown, headers?: Record<string, string>): Response;
}

export function odataHeaders(extra: Record<string, string> = {}): Headers {
  const h = new Headers({ 'OData-Version': '4.0', 'REQ_ID': randomUUID(), 'x-ms-service-request-id': randomUUID() });
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return h;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const h = odataHeaders(headers);
  h.set('Content-Type', 'application/json; odata.metadata=minimal');
  return new Response(JSON.stringify(body), { status, headers: h });
}

export function makeRepresent(metadata: Metadata, store: RecordStore): WebApiContext['represent'] {
  return (entity, record, opts) => represent(metadata, store, entity, record, opts);
}
