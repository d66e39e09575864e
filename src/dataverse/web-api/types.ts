// The public shape of the Dataverse Web API client: what the repositories,
// the phone directory and the outbox code against. The implementation is
// DataverseClient (client.ts); tests may substitute anything that satisfies
// `DataverseApi`.

/** One HTTP exchange as the auth layer sends it; bodies are small JSON or multipart text. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * How credentials get onto a request. Bearer schemes (MSAL, AD FS) add a
 * token and on a 401 fetch ONE fresh token shared by all waiting requests;
 * NTLM does its handshake on a kept-alive connection. `send` returns the
 * final response (a 401 only when a fresh sign-in did not help) and throws
 * AuthError when signing in itself fails.
 */
export interface AuthScheme {
  readonly kind: 'msal' | 'adfs' | 'ntlm' | 'static';
  send(request: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

export interface RetryPolicy {
  /** Attempts including the first (default 6). */
  readonly maxAttempts: number;
  /** Longest single wait, also the clamp for absurd Retry-After values (default 30 s). */
  readonly maxWaitMs: number;
  /** Total time a request may spend waiting and retrying (default 120 s). */
  readonly budgetMs: number;
  /** First back-off when the server gives no usable Retry-After (default 500 ms, doubled per attempt). */
  readonly baseDelayMs: number;
}

export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Structured logger subset (pino-compatible). Messages never contain secrets. */
export interface DataverseLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** OData query options; values are encoded by the client. */
export interface Query {
  readonly select?: readonly string[];
  /** An OData $filter expression; build literals with odataString()/odataGuid(). */
  readonly filter?: string;
  readonly orderby?: string;
  readonly top?: number;
  readonly expand?: string;
  readonly count?: boolean;
}

export interface PageOptions {
  /** `Prefer: odata.maxpagesize` (default 5000, the Dataverse maximum). */
  readonly maxPageSize?: number;
  /** `Prefer: odata.track-changes`: the last page carries a delta link. */
  readonly trackChanges?: boolean;
  /** `Prefer: odata.include-annotations="OData.Community.Display.V1.FormattedValue"`. */
  readonly formattedValues?: boolean;
  readonly signal?: AbortSignal;
}

export interface Page<T> {
  readonly value: T[];
  /** Present on the last page of a change-tracked read. */
  readonly deltaLink?: string;
}

export interface DeltaPage<T> {
  /** New or changed records. */
  readonly changed: T[];
  /** Ids of records deleted since the previous delta link. */
  readonly deleted: string[];
  readonly deltaLink?: string;
}

/**
 * Writing on behalf of a user (Dataverse impersonation): online the client
 * sends `CallerObjectId` with the user's Entra object id when known, else
 * (and on-premises) `MSCRMCallerID` with the systemuser id.
 */
export interface OnBehalfOf {
  readonly systemUserId: string;
  readonly entraObjectId?: string | null;
}

export interface WriteOptions {
  readonly onBehalfOf?: OnBehalfOf;
  readonly signal?: AbortSignal;
}

export interface CreateOptions extends WriteOptions {
  /**
   * The body carries a client-generated primary key, so repeating the POST
   * after a lost response cannot create a duplicate (it fails with a
   * duplicate-key error instead). Without it a POST is never retried once it
   * may have reached the server.
   */
  readonly bodyHasId?: boolean;
  readonly returnRepresentation?: boolean;
}

export interface UpsertOptions extends WriteOptions {
  /** `If-None-Match: *`: create only; an existing record gives `precondition-failed` (412). */
  readonly createOnly?: boolean;
  /** `If-Match: *`: update only; a missing record gives `not-found`. */
  readonly updateOnly?: boolean;
}

/** A record key: a GUID or alternate-key values. */
export type RecordKey = string | Readonly<Record<string, string | number>>;

export interface BatchRequest {
  readonly method: HttpRequest['method'];
  /** Path relative to the Web API root, e.g. `contacts(<id>)` or `phonecalls`. */
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface BatchOptions {
  readonly atomic?: boolean;
  readonly signal?: AbortSignal;
  /** The user every part runs as (the impersonation header goes on the $batch request itself). */
  readonly onBehalfOf?: OnBehalfOf;
  /**
   * Independent parts only: `Prefer: odata.continue-on-error`, so a failed part does not stop the ones after
   * it and every part gets its own answer (without it Dataverse stops at the first failure).
   */
  readonly continueOnError?: boolean;
}

export interface BatchResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export interface WhoAmIResult {
  readonly UserId: string;
  readonly BusinessUnitId: string;
  readonly OrganizationId: string;
}

export interface RolePrivilege {
  readonly PrivilegeName: string;
  readonly PrivilegeId: string;
  readonly Depth: string;
  readonly BusinessUnitId?: string;
}

export interface OrganizationDetail {
  readonly OrganizationId: string;
  readonly FriendlyName: string;
  readonly UniqueName: string;
  readonly UrlName?: string;
  readonly OrganizationVersion?: string;
}

export interface DataverseApi {
  readonly webApiUrl: string;
  pages<T>(entitySet: string, query?: Query, options?: PageOptions): AsyncIterable<Page<T>>;
  /** All records of a query (follows every nextLink). */
  list<T>(entitySet: string, query?: Query, options?: PageOptions): Promise<T[]>;
  delta<T>(deltaLink: string, options?: PageOptions): AsyncIterable<DeltaPage<T>>;
  /** null when the record does not exist. */
  retrieve<T>(entitySet: string, key: RecordKey, select?: readonly string[], options?: { signal?: AbortSignal }): Promise<T | null>;
  /** Returns the new record's id (from OData-EntityId), and its representation when asked. */
  create<T = unknown>(entitySet: string, body: object, options?: CreateOptions): Promise<{ id: string; record?: T }>;
  update(entitySet: string, key: RecordKey, body: object, options?: WriteOptions): Promise<void>;
  upsert(entitySet: string, key: RecordKey, body: object, options?: UpsertOptions): Promise<void>;
  /** Create-only upsert by id: 'exists' when the record was already there (412), so a retry never duplicates. */
  createIfAbsent(entitySet: string, id: string, body: object, options?: WriteOptions): Promise<'created' | 'exists'>;
  delete(entitySet: string, key: RecordKey, options?: WriteOptions): Promise<void>;
  /**
   * `$batch`: reads and writes in one round trip; `atomic` puts the writes into one change set.
   * Impersonation is per batch (`onBehalfOf`), never per part: Dataverse ignores it inside a part.
   */
  batch(requests: readonly BatchRequest[], options?: BatchOptions): Promise<BatchResponse[]>;
  whoAmI(): Promise<WhoAmIResult>;
  retrieveVersion(): Promise<string>;
  retrieveCurrentOrganization(): Promise<OrganizationDetail>;
  retrieveUserPrivileges(userId: string): Promise<RolePrivilege[]>;
  close(): Promise<void>;
}
