// The outbox in the diagnose report, and the operator's two acts on its dead
// letters (crm-tapi outbox retry | drop). Each act is audited twice: in the
// manager's log and, through the outbox itself, in the CRM's event log
// ("Ereignisprotokoll") with who did it, so the trace survives the manager.
import type { Outbox } from '../../dataverse/outbox/outbox.ts';
import { eventLogWrite } from '../../dataverse/outbox/records.ts';
import { normalizeGuid } from '../../dataverse/web-api/odata.ts';
import type { DeadLetter } from '../../dataverse/outbox/store.ts';
import type { Schema } from '../../dataverse/schema.ts';
import { MAX_REPORTED_DEAD_LETTERS } from '../../protocol/catalogue.ts';
import type { DiagnoseOutbox, OutboxDropMessage, OutboxResultMessage, OutboxRetryMessage } from '../../protocol/index.ts';

const clip = (text: string, max: number): string => (text.length > max ? text.slice(0, max) : text);
const iso = (epochMs: number): string => new Date(epochMs).toISOString();

export function outboxReport(outbox: Outbox): DiagnoseOutbox {
  const dead = outbox.deadLetters();
  const oldest = outbox.oldestWaiting();
  return {
    pending: outbox.stats().pending,
    ...(oldest === undefined
      ? {}
      : {
          oldestWaiting: {
            id: oldest.id, kind: clip(oldest.kind, 128), enqueuedAt: iso(oldest.enqueuedAt), attempts: oldest.attempts,
            ...(oldest.lastErrorCode === undefined ? {} : { lastErrorCode: clip(oldest.lastErrorCode, 64) }),
            ...(oldest.lastError === undefined ? {} : { lastError: clip(oldest.lastError, 1024) }),
          },
        }),
    deadLetters: dead.slice(0, MAX_REPORTED_DEAD_LETTERS).map((d) => ({
      id: d.id, kind: clip(d.kind, 128), entitySet: clip(d.entitySet, 128), attempts: d.attempts, enqueuedAt: iso(d.enqueuedAt), failedAt: iso(d.failedAt),
      errorCode: clip(d.errorCode, 64) || 'error', errorMessage: clip(d.errorMessage, 1024),
      ...(d.status === undefined || d.status < 0 || d.status > 999 ? {} : { status: d.status }),
    })),
    deadLetterCount: dead.length,
  };
}

export interface OutboxActionContext {
  outbox: Outbox;
  schema: Schema;
  /** Who asked: the admin's name, or "operator (DiagnoseKey)". */
  actor: string;
  /** pino-compatible. */
  logger: { info(details: object, message: string): void; warn(details: object, message: string): void };
  now?: () => Date;
}

function describe(d: DeadLetter): string {
  return `${d.kind} ${d.id} (${d.entitySet}), failed ${iso(d.failedAt)} with ${d.errorCode}${d.status === undefined ? '' : ` (HTTP ${d.status})`}: ${d.errorMessage}`;
}

/** Carries out outboxRetry / outboxDrop; never throws (a refusal is an `outboxResult` with `ok: false`). */
export function outboxAction(context: OutboxActionContext, m: OutboxRetryMessage | OutboxDropMessage): OutboxResultMessage {
  const base = { channel: 'diagnose' as const, command: 'outboxResult' as const, ...(m.requestId === undefined ? {} : { requestId: m.requestId }) };
  const refuse = (code: string, message: string): OutboxResultMessage => ({ ...base, ok: false, error: { code, message: clip(message, 1024) } });
  const { outbox } = context;
  let affected: DeadLetter[];
  try {
    if (m.command === 'outboxDrop') {
      affected = [outbox.dropDeadLetter(m.id)];
    } else if (m.id !== undefined && m.all === true) {
      return refuse('invalid-request', 'give either id or all, not both');
    } else if (m.id !== undefined) {
      // Spelled as the outbox stores it, so the letter found for the audit is the one retried ({…}, upper case).
      const id = normalizeGuid(m.id) ?? m.id.toLowerCase();
      const letter = outbox.deadLetters().find((d) => d.id === id);
      outbox.retryDeadLetter(id);
      affected = letter === undefined ? [] : [letter];
    } else if (m.all === true) {
      affected = outbox.deadLetters();
      for (const d of affected) outbox.retryDeadLetter(d.id);
    } else {
      return refuse('invalid-request', 'outboxRetry needs id (one dead letter) or all');
    }
  } catch (err) {
    const code = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'outbox-failed';
    return refuse(code, (err as Error).message);
  }
  if (affected.length > 0) audit(context, m.command === 'outboxDrop' ? 'dropped' : 'queued again', affected);
  return { ...base, ok: true, count: affected.length };
}

function audit(context: OutboxActionContext, verb: 'dropped' | 'queued again', letters: DeadLetter[]): void {
  const { logger, actor } = context;
  for (const d of letters) logger.info({ id: d.id, kind: d.kind, by: actor, action: verb }, `dead letter ${verb} by ${actor}`);
  const shown = letters.slice(0, 100).map(describe);
  const more = letters.length > shown.length ? `\n… and ${letters.length - shown.length} more` : '';
  try {
    context.outbox.enqueue(eventLogWrite(context.schema, {
      name: `${letters.length} failed CRM write(s) ${verb}`,
      level: verb === 'dropped' ? 'warning' : 'information',
      source: 'crm-tapi manager (diagnose)',
      occurredOn: (context.now ?? (() => new Date()))(),
      message: `${actor} ${verb === 'dropped' ? 'dropped (will never be written)' : 'queued again'}:\n${shown.join('\n')}${more}`,
    }));
  } catch (err) {
    logger.warn({ code: (err as { code?: unknown }).code }, `the audit entry could not be queued for the event log: ${(err as Error).message}`);
  }
}
