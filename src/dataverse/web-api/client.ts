// A thin typed client for the Dataverse Web API (OData v4 JSON) on undici.
// It owns what every request needs: retries that honour 429/503 and
// Retry-After within a bounded budget, request timeouts, paging through
// @odata.nextLink, change tracking, impersonation headers and typed errors.
// Credentials are the AuthScheme's business (MSAL / AD FS bearer, NTLM).
import { DataverseError } from './errors.ts';
import { describeRequest, entityIdFromHeader, formatKey, formatQuery } from './odata.ts';
import { realClock, sendWithRetries, type LoopContext, type SendOptions } from './request-loop.ts';
import { DEFAULT_RETRY } from './retry.ts';
import { buildBatch, inRequestOrder, parseBatch } from './batch.ts';
import { statusError } from './status.ts';
import type {
  AuthScheme, BatchOptions, BatchRequest, BatchResponse, Clock, CreateOptions, DataverseApi, DataverseLogger, DeltaPage, HttpRequest,
  HttpResponse, OnBehalfOf, OrganizationDetail, Page, PageOptions, Query, RecordKey, RetryPolicy, RolePrivilege, UpsertOptions,
  WhoAmIResult, WriteOptions,
} from './types.ts';

export { realClock };

const IMPERSONATION_HEADERS = new Set(['callerobjectid', 'mscrmcallerid']);

export interface DataverseClientOptions {
  /** e.g. `https://org.crm4.dynamics.com/api/data/v9.2/` (a trailing slash is added when missing). */
  readonly webApiUrl: string;
  readonly auth: AuthScheme;
  /** Per attempt (default 30 s). */
  readonly fetchTimeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Which impersonation header to send: `CallerObjectId` (Dataverse online,
   * with the Entra object id) or `MSCRMCallerID` (on-premises, systemuser id).
   */
  readonly impersonation?: 'CallerObjectId' | 'MSCRMCallerID';
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly logger?: DataverseLogger;
}

const silent: DataverseLogger = { debug() {}, info() {}, warn() {}, error() {} };

const JSON_HEADERS = {
  Accept: 'application/json',
  'OData-MaxVersion': '4.0',
  'OData-Version': '4.0',
} as const;

export class DataverseClient implements DataverseApi {
  readonly webApiUrl: string;
  private readonly origin: string;
  private readonly auth: AuthScheme;
  private readonly loop: LoopContext;
  private readonly impersonation: 'CallerObjectId' | 'MSCRMCallerID';

  constructor(options: DataverseClientOptions) {
    this.webApiUrl = options.webApiUrl.endsWith('/') ? options.webApiUrl : `${options.webApiUrl}/`;
    this.origin = new URL(this.webApiUrl).origin;
    this.auth = options.auth;
    this.loop = {
      auth: options.auth,
      timeoutMs: options.fetchTimeoutMs ?? 30_000,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      clock: options.clock ?? realClock,
      random: options.random ?? Math.random,
      log: options.logger ?? silent,
    };
    this.impersonation = options.impersonation ?? 'MSCRMCallerID';
  }

  // ---- reads ----

  async *pages<T>(entitySet: string, query?: Query, options: PageOptions = {}): AsyncIterable<Page<T>> {
    let url: string | undefined = `${this.webApiUrl}${entitySet}${formatQuery(query)}`;
    const headers = { Prefer: preferHeader(options) };
    while (url !== undefined) {
      const res = await this.send('GET', url, { headers, idempotent: true, signal: options.signal });
      const page = this.parseCollection(res, 'GET', url);
      url = page.nextLink;
      yield { value: page.value as T[], ...(page.deltaLink === undefined ? {} : { deltaLink: page.deltaLink }) };
    }
  }

  async list<T>(entitySet: string, query?: Query, options?: PageOptions): Promise<T[]> {
    const all: T[] = [];
    for await (const page of this.pages<T>(entitySet, query, options)) all.push(...page.value);
    return all;
  }

  async *delta<T>(deltaLink: string, options: PageOptions = {}): AsyncIterable<DeltaPage<T>> {
    let url: string | undefined = this.sameOrigin(deltaLink, 'GET');
    const headers = { Prefer: preferHeader({ ...options, trackChanges: true }) };
    while (url !== undefined) {
      const res = await this.send('GET', url, { headers, idempotent: true, signal: options.signal });
      const page = this.parseCollection(res, 'GET', url);
      url = page.nextLink;
      const changed: T[] = [];
      const deleted: string[] = [];
      for (const item of page.value) {
        const context = item['@odata.context'];
        if (typeof context === 'string' && context.includes('$deletedEntity')) {
          if (typeof item.id === 'string') deleted.push(item.id.toLowerCase());
        } else {
          changed.push(item as T);
        }
      }
      yield { changed, deleted, ...(page.deltaLink === undefined ? {} : { deltaLink: page.deltaLink }) };
    }
  }

  async retrieve<T>(entitySet: string, key: RecordKey, select?: readonly string[], options: { signal?: AbortSignal } = {}): Promise<T | null> {
    const url = `${this.webApiUrl}${entitySet}${formatKey(key)}${formatQuery(select === undefined ? undefined : { select })}`;
    try {
      const res = await this.send('GET', url, { idempotent: true, signal: options.signal });
      return this.parseJson(res, 'GET', url) as T;
    } catch (err) {
      if (err instanceof DataverseError && err.code === 'not-found' && err.odataCode !== undefined && err.odataCode !== '0x8006088a') return null;
      throw err;
    }
  }

  // ---- writes ----

  async create<T = unknown>(entitySet: string, body: object, options: CreateOptions = {}): Promise<{ id: string; record?: T }> {
    const url = `${this.webApiUrl}${entitySet}`;
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...this.callerHeaders(options.onBehalfOf) };
    if (options.returnRepresentation === true) headers.Prefer = 'return=representation';
    const res = await this.send('POST', url, { headers, body: JSON.stringify(body), idempotent: options.bodyHasId === true, signal: options.signal });
    const id = entityIdFromHeader(res.headers['odata-entityid']);
    if (id === undefined) {
      throw new DataverseError('bad-response', `${describeRequest('POST', url)}: the server did not return the new record's id (OData-EntityId)`, { status: res.status });
    }
    if (options.returnRepresentation === true && res.status === 201) return { id, record: this.parseJson(res, 'POST', url) as T };
    return { id };
  }

  async update(entitySet: string, key: RecordKey, body: object, options: WriteOptions = {}): Promise<void> {
    await this.upsert(entitySet, key, body, { ...options, updateOnly: true });
  }

  async upsert(entitySet: string, key: RecordKey, body: object, options: UpsertOptions = {}): Promise<void> {
    const url = `${this.webApiUrl}${entitySet}${formatKey(key)}`;
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...this.callerHeaders(options.onBehalfOf) };
    if (options.createOnly === true) headers['If-None-Match'] = '*';
    if (options.updateOnly === true) headers['If-Match'] = '*';
    // PATCH with a key is idempotent: repeating it yields the same record.
    await this.send('PATCH', url, { headers, body: JSON.stringify(body), idempotent: true, signal: options.signal });
  }

  async createIfAbsent(entitySet: string, id: string, body: object, options: WriteOptions = {}): Promise<'created' | 'exists'> {
    try {
      await this.upsert(entitySet, id, body, { ...options, createOnly: true });
      return 'created';
    } catch (err) {
      if (err instanceof DataverseError && err.code === 'precondition-failed') return 'exists';
      throw err;
    }
  }

  async delete(entitySet: string, key: RecordKey, options: WriteOptions = {}): Promise<void> {
    const url = `${this.webApiUrl}${entitySet}${formatKey(key)}`;
    await this.send('DELETE', url, { headers: this.callerHeaders(options.onBehalfOf), idempotent: true, signal: options.signal });
  }

  async batch(requests: readonly BatchRequest[], options: BatchOptions = {}): Promise<BatchResponse[]> {
    if (requests.length === 0) return [];
    // Dataverse decides who acts from the $batch request's own headers and ignores an
    // impersonation header inside a part: a part that names one would silently run as the
    // batch's caller, so it is refused here and `onBehalfOf` applies to the whole batch.
    const perPart = requests.find((r) => Object.keys(r.headers ?? {}).some((h) => IMPERSONATION_HEADERS.has(h.toLowerCase())));
    if (perPart !== undefined) {
      throw new DataverseError('bad-request', `${describeRequest(perPart.method, perPart.path)}: an impersonation header inside a $batch part is ignored by Dataverse; pass onBehalfOf for the whole batch`);
    }
    const built = buildBatch(requests, this.webApiUrl, options.atomic === true);
    const url = `${this.webApiUrl}$batch`;
    // Only a batch of reads (or one atomic change set of idempotent writes) may be repeated blindly.
    const idempotent = requests.every((r) => r.method === 'GET' || r.method === 'PATCH' || r.method === 'PUT' || r.method === 'DELETE');
    const res = await this.send('POST', url, {
      headers: { 'Content-Type': built.contentType, ...(options.continueOnError === true ? { Prefer: 'odata.continue-on-error' } : {}), ...this.callerHeaders(options.onBehalfOf) },
      body: built.body, idempotent, signal: options.signal,
    });
    const parsed = parseBatch(res.headers['content-type'] ?? '', res.body);
    if (parsed === undefined) throw new DataverseError('bad-response', `${describeRequest('POST', url)}: the batch response is not multipart/mixed`, { status: res.status });
    if (parsed.length === built.order.length) return inRequestOrder(parsed, built.order);
    // A failed change set answers with one error part for the whole set: nothing of it was written.
    const failed = parsed.find((p) => p.status >= 400);
    if (failed !== undefined) {
      throw statusError({ status: failed.status, headers: failed.headers, body: JSON.stringify(failed.body ?? {}) }, `${describeRequest('POST', url)} (change set)`, 1);
    }
    throw new DataverseError('bad-response', `${describeRequest('POST', url)}: ${parsed.length} answers for ${built.order.length} requests`, { status: res.status });
  }

  // ---- functions ----

  async whoAmI(): Promise<WhoAmIResult> {
    const url = `${this.webApiUrl}WhoAmI`;
    const body = this.parseJson(await this.send('GET', url, { idempotent: true }), 'GET', url);
    return requireStrings(body, ['UserId', 'BusinessUnitId', 'OrganizationId'], url) as unknown as WhoAmIResult;
  }

  async retrieveVersion(): Promise<string> {
    const url = `${this.webApiUrl}RetrieveVersion`;
    const body = this.parseJson(await this.send('GET', url, { idempotent: true }), 'GET', url);
    return requireStrings(body, ['Version'], url).Version as string;
  }

  async retrieveCurrentOrganization(): Promise<OrganizationDetail> {
    const url = `${this.webApiUrl}RetrieveCurrentOrganization(AccessType=@p1)?@p1=Microsoft.Dynamics.CRM.EndpointAccessType'Default'`;
    const body = this.parseJson(await this.send('GET', url, { idempotent: true }), 'GET', url);
    const detail = body.Detail;
    if (typeof detail !== 'object' || detail === null) throw new DataverseError('bad-response', `${describeRequest('GET', url)}: no organisation detail in the answer`);
    return requireStrings(detail as Record<string, unknown>, ['OrganizationId', 'UniqueName', 'FriendlyName'], url) as unknown as OrganizationDetail;
  }

  async retrieveUserPrivileges(userId: string): Promise<RolePrivilege[]> {
    const url = `${this.webApiUrl}systemusers${formatKey(userId)}/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()`;
    const body = this.parseJson(await this.send('GET', url, { idempotent: true }), 'GET', url);
    const list = body.RolePrivileges;
    if (!Array.isArray(list)) throw new DataverseError('bad-response', `${describeRequest('GET', url)}: no RolePrivileges in the answer`);
    return list.filter((p): p is RolePrivilege => typeof p === 'object' && p !== null && typeof (p as RolePrivilege).PrivilegeName === 'string');
  }

  /**
   * Calls an unbound action (`POST <name>` with a JSON body), e.g. ImportSolution or
   * PublishAllXml; resolves with the answer's JSON object, or undefined for 204.
   * Not repeated once it may have reached the server: actions need not be idempotent.
   */
  async invoke(name: string, body: object = {}, options: { signal?: AbortSignal } = {}): Promise<Record<string, unknown> | undefined> {
    const url = `${this.webApiUrl}${name}`;
    const res = await this.send('POST', url, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), idempotent: false, signal: options.signal });
    return res.status === 204 || res.body === '' ? undefined : this.parseJson(res, 'POST', url);
  }

  async close(): Promise<void> {
    await this.auth.close();
  }

  /** Sends a request with retries; resolves only with a 2xx/3xx response. */
  send(method: HttpRequest['method'], url: string, options: SendOptions): Promise<HttpResponse> {
    return sendWithRetries(this.loop, method, url, { ...options, headers: { ...JSON_HEADERS, ...options.headers } });
  }

  // ---- helpers ----

  private callerHeaders(onBehalfOf: OnBehalfOf | undefined): Record<string, string> {
    if (onBehalfOf === undefined) return {};
    if (this.impersonation === 'CallerObjectId' && onBehalfOf.entraObjectId) return { CallerObjectId: onBehalfOf.entraObjectId };
    return { MSCRMCallerID: onBehalfOf.systemUserId };
  }

  /** Paging and delta links are followed only on our own server: a token must never travel elsewhere. */
  private sameOrigin(link: string, method: string): string {
    let parsed: URL;
    try {
      parsed = new URL(link, this.webApiUrl);
    } catch {
      throw new DataverseError('bad-response', `${method}: the server sent an unusable link`);
    }
    if (parsed.origin !== this.origin) {
      throw new DataverseError('bad-response', `${method}: the server sent a link to another host (${parsed.host}); not followed`);
    }
    return parsed.href;
  }

  private parseJson(res: HttpResponse, method: string, url: string): Record<string, unknown> {
    try {
      const parsed = JSON.parse(res.body) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new DataverseError('bad-response', `${describeRequest(method, url)}: the answer is not a JSON object (HTTP ${res.status})`, { status: res.status });
  }

  private parseCollection(res: HttpResponse, method: string, url: string): { value: Record<string, unknown>[]; nextLink?: string; deltaLink?: string } {
    const body = this.parseJson(res, method, url);
    if (!Array.isArray(body.value)) {
      throw new DataverseError('bad-response', `${describeRequest(method, url)}: the answer has no "value" array`, { status: res.status });
    }
    const next = body['@odata.nextLink'];
    const delta = body['@odata.deltaLink'];
    return {
      value: body.value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null),
      ...(typeof next === 'string' ? { nextLink: this.sameOrigin(next, method) } : {}),
      ...(typeof delta === 'string' ? { deltaLink: this.sameOrigin(delta, method) } : {}),
    };
  }
}

function preferHeader(options: PageOptions): string {
  const parts = [`odata.maxpagesize=${Math.min(5000, Math.max(1, Math.floor(options.maxPageSize ?? 5000)))}`];
  if (options.trackChanges === true) parts.push('odata.track-changes');
  if (options.formattedValues === true) parts.push('odata.include-annotations="OData.Community.Display.V1.FormattedValue"');
  return parts.join(',');
}

function requireStrings(body: Record<string, unknown>, keys: readonly string[], url: string): Record<string, unknown> {
  for (const key of keys) {
    if (typeof body[key] !== 'string') {
      throw new DataverseError('bad-response', `${describeRequest('GET', url)}: "${key}" missing in the answer`);
    }
  }
  return body;
}
