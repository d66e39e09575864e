// The outbox store: the durable part of the outbox. Every implementation
// passes test/dataverse/outbox/store-contract.ts. Methods are synchronous:
// when `enqueue` returns, the write is on disk (the caller may tell the PBX
// side "logged" and crash the next instant without losing it). A store may
// also offer `enqueueLater` and `deliveredLater`, which commit without this
// thread waiting for the disk and settle a promise once done (writer.ts).
import { normalizeGuid } from '../web-api/odata.ts';
import type { OnBehalfOf } from '../web-api/types.ts';
import { OutboxError } from './errors.ts';

/** One record to create in Dataverse. */
export interface OutboxWrite {
  /** The record's primary key, chosen when enqueued: the idempotency key of every attempt. */
  readonly id: string;
  /** What it is (`callLog`, `phoneCall`, `eventLog`, …): for diagnostics. */
  readonly kind: string;
  readonly entitySet: string;
  readonly body: Readonly<Record<string, unknown>>;
  /** Create the record on behalf of this user (Dataverse impersonation). */
  readonly onBehalfOf?: OnBehalfOf;
  /** Id of another write that must reach Dataverse first (a call log refers to its phone call). */
  readonly dependsOn?: string;
  /**
   * When the record already exists (someone else created it under the same
   * id), update just these fields (`PATCH` with `If-Match: *`) instead of
   * leaving it alone. Repeating it writes the same values: idempotent, and
   * always after the create-if-absent of the same attempt.
   */
  readonly ifExists?: Readonly<Record<string, unknown>>;
}

export interface OutboxItem extends OutboxWrite {
  /** Enqueue order. */
  readonly seq: number;
  readonly attempts: number;
  /** Epoch ms before which it is not sent (back-off). */
  readonly nextAttemptAt: number;
  readonly enqueuedAt: number;
  readonly lastErrorCode?: string;
  readonly lastError?: string;
}

export interface Failure {
  /** Stable code, e.g. the DataverseError code `bad-request`. */
  readonly code: string;
  readonly message: string;
  readonly status?: number;
}

export interface DeadLetter extends OutboxWrite {
  readonly seq: number;
  readonly attempts: number;
  readonly enqueuedAt: number;
  readonly failedAt: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly status?: number;
}

export interface OutboxStore {
  /**
   * Adds a write, durable on return (a store may confirm power-cut safety later, through `whenDurable`).
   * Returns the stored item with the write's own body (what `get` and `due` return is what was stored).
   * Throws OutboxError `duplicate-id` when the id is taken.
   */
  enqueue(write: OutboxWrite, now: number): OutboxItem;
  /**
   * Up to `limit` writes ready at `now`, oldest first, leaving out those in
   * `exclude` (being sent) and those whose dependency is still waiting.
   */
  due(now: number, limit: number, exclude: ReadonlySet<string>): OutboxItem[];
  /** When the earliest ready write not in `exclude` becomes due; undefined when none waits. */
  nextDueAt(exclude: ReadonlySet<string>): number | undefined;
  /**
   * These writes reached Dataverse: forget them, in one transaction (one disk
   * flush for many). A write delivered but not yet forgotten when the process
   * dies is sent again and answered 412: harmless.
   */
  delivered(ids: readonly string[]): void;
  /**
   * Runs `fn` (a few `enqueue`s) as one transaction: one commit for all, all or none of them stored
   * (an `enqueue` that throws inside and is caught leaves the others). Absent: `fn` runs as is.
   */
  atomically?<T>(fn: () => T): T;
  /** Runs `run` once every write made so far survives a power cut; absent: on return of each write. */
  whenDurable?(run: () => void): void;
  /**
   * Adds writes without making the caller wait for the disk (a store may commit them off the event loop):
   * the promise resolves, per write `true` stored or `false` id taken (as `duplicate-id`), once all of
   * them survive a power cut, and rejects (OutboxError) when the store refused them: none is stored then.
   * Until it resolves they may be missing from `due`, `get` and `pending`. Absent: `enqueue` and `whenDurable`.
   */
  enqueueLater?(writes: readonly OutboxWrite[], now: number): Promise<boolean[]>;
  /** As `delivered`, without waiting for the disk: resolves once they are forgotten. Until then `due` may still return them. */
  deliveredLater?(ids: readonly string[]): Promise<void>;
  /** An attempt failed: counts it, remembers why, and makes the write due again at `at`. */
  reschedule(id: string, at: number, failure: Failure): void;
  /** An attempt failed for good: counts it and moves the write to the dead letters; it is never sent again unless retried. */
  deadLetter(id: string, failure: Failure, now: number): void;
  deadLetters(): DeadLetter[];
  /** Puts a dead letter back into the outbox, due at `now`. Throws OutboxError `not-found`. */
  retryDeadLetter(id: string, now: number): OutboxItem;
  /** Forgets a dead letter for good (an operator decided it); returns what it was. Throws OutboxError `not-found`. */
  dropDeadLetter(id: string): DeadLetter;
  /** The write that has waited longest (lowest seq) and is not in `exclude` (being forgotten), or undefined when none waits. */
  oldest(exclude?: ReadonlySet<string>): OutboxItem | undefined;
  get(id: string): OutboxItem | undefined;
  /** Writes waiting (not dead). */
  pending(): number;
  close(): void;
  /** Resolves once the threads the store started have exited (after `close`); at once when it has none. */
  exited(): Promise<void>;
}

/** The write with its ids normalised; throws OutboxError `invalid-record` when it cannot become a record. */
export function checkedWrite(write: OutboxWrite): OutboxWrite {
  const id = normalizeGuid(write.id);
  if (id === undefined) throw new OutboxError('invalid-record', `write id ${JSON.stringify(write.id).slice(0, 60)} is not a GUID`);
  const dependsOn = write.dependsOn === undefined ? undefined : normalizeGuid(write.dependsOn);
  if (write.dependsOn !== undefined && dependsOn === undefined) throw new OutboxError('invalid-record', `dependsOn of write ${id} is not a GUID`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(write.entitySet)) throw new OutboxError('invalid-record', `entity set ${JSON.stringify(write.entitySet)} of write ${id} is not an entity set name`);
  return { ...write, id, ...(dependsOn === undefined ? {} : { dependsOn }) };
}
