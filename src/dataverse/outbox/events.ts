// What the outbox tells: an event per outcome of a write (OutboxOptions.onEvent, and the diagnostics
// channel below for metrics outside the core), and its log lines through a pino-compatible logger.
import { channel } from 'node:diagnostics_channel';

/** pino-compatible subset. */
export interface OutboxLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export type OutboxEvent =
  | { readonly type: 'delivered'; readonly id: string; readonly kind: string; readonly attempts: number; readonly existed: boolean }
  | { readonly type: 'retry' | 'wait'; readonly id: string; readonly kind: string; readonly attempts: number; readonly code: string; readonly delayMs: number }
  | { readonly type: 'dead'; readonly id: string; readonly kind: string; readonly attempts: number; readonly code: string };

/** Every OutboxEvent is also published here (node:diagnostics_channel) for metrics outside the core. */
export const outboxEvents = channel('crm-tapi:outbox:event');

export const silentLogger: OutboxLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
