// Public face of the durable outbox (issue 5, item 6).
export { Outbox } from './outbox.ts';
export type { OutboxOptions } from './outbox.ts';
export type { OutboxEvent, OutboxLogger } from './events.ts';
export { SqliteOutboxStore } from './sqlite-store.ts';
export type { SqliteOutboxStoreOptions } from './sqlite-store.ts';
export type { DeadLetter, Failure, OutboxItem, OutboxStore, OutboxWrite } from './store.ts';
export { dataverseTransport } from './transport.ts';
export type { OutboxTransport } from './transport.ts';
export { DEFAULT_BACKOFF, judge, nextDelay } from './policy.ts';
export type { BackoffPolicy, Verdict } from './policy.ts';
export { callLogWrite, DEFAULT_TIME_FIELDS, eventLogWrite, parsePhoneTimeFields, phoneCallWrite } from './records.ts';
export type { CallLogEntry, EventLogEntry, PhoneCallActivity, PhoneTimeFields, RecordRef } from './records.ts';
export { OutboxError } from './errors.ts';
export type { OutboxErrorCode } from './errors.ts';
export { WalCheckpointer } from './checkpointer.ts';
export type { CheckpointerOptions } from './checkpointer.ts';
