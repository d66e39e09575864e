// The outbox table's rows and the store's items: one mapping each way, shared by the store, its view of waiting
// writes and the writer thread's parameters.
import type { DeadLetter, OutboxItem, OutboxWrite } from './store.ts';

export interface Row {
  seq: number;
  id: string;
  kind: string;
  entity_set: string;
  body: string;
  on_behalf_of: string | null;
  depends_on: string | null;
  if_exists: string | null;
  attempts: number;
  next_attempt_at: number;
  enqueued_at: number;
  last_error_code: string | null;
  last_error: string | null;
}

export interface DeadRow extends Omit<Row, 'next_attempt_at' | 'last_error_code' | 'last_error'> {
  failed_at: number;
  error_code: string;
  error_message: string;
  status: number | null;
}

export type WaitingRow = Pick<Row, 'seq' | 'id' | 'next_attempt_at' | 'depends_on'>;

/** The item a new row holds, built from the write rather than read back. */
export function stored(write: OutboxWrite, seq: number, now: number): OutboxItem {
  return {
    seq,
    id: write.id,
    kind: write.kind,
    entitySet: write.entitySet,
    body: write.body,
    ...(write.onBehalfOf === undefined ? {} : { onBehalfOf: write.onBehalfOf }),
    ...(write.dependsOn === undefined ? {} : { dependsOn: write.dependsOn }),
    ...(write.ifExists === undefined ? {} : { ifExists: write.ifExists }),
    attempts: 0,
    nextAttemptAt: now,
    enqueuedAt: now,
  };
}

export function insertParams(write: OutboxWrite, now: number): Record<string, string | number | null> {
  return {
    id: write.id,
    kind: write.kind,
    entity_set: write.entitySet,
    body: JSON.stringify(write.body),
    on_behalf_of: write.onBehalfOf === undefined ? null : JSON.stringify(write.onBehalfOf),
    depends_on: write.dependsOn ?? null,
    if_exists: write.ifExists === undefined ? null : JSON.stringify(write.ifExists),
    now,
  };
}

export function toItem(row: Row): OutboxItem {
  return {
    ...common(row),
    nextAttemptAt: row.next_attempt_at,
    ...(row.last_error_code === null ? {} : { lastErrorCode: row.last_error_code }),
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
  };
}

export function toDeadLetter(row: DeadRow): DeadLetter {
  return {
    ...common(row),
    failedAt: row.failed_at,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    ...(row.status === null ? {} : { status: row.status }),
  };
}

function common(row: Omit<Row, 'next_attempt_at' | 'last_error_code' | 'last_error'>) {
  return {
    seq: row.seq,
    id: row.id,
    kind: row.kind,
    entitySet: row.entity_set,
    body: JSON.parse(row.body) as Record<string, unknown>,
    ...(row.on_behalf_of === null ? {} : { onBehalfOf: JSON.parse(row.on_behalf_of) as OutboxItem['onBehalfOf'] }),
    ...(row.depends_on === null ? {} : { dependsOn: row.depends_on }),
    ...(row.if_exists === null || row.if_exists === undefined ? {} : { ifExists: JSON.parse(row.if_exists) as Record<string, unknown> }),
    attempts: row.attempts,
    enqueuedAt: row.enqueued_at,
  };
}
