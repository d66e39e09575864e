// Accounting as Jepsen's queue checker does, for the hostile-input cases:
// every call the test makes is counted where it must arrive — the CRM's call
// log and each entitled client — as lost (never arrived), duplicated (an
// offering or a call log entry twice) or unexpected (something arrived that
// no call of the test made).
import { createSchema } from '../../../src/dataverse/schema.ts';
import type { E2eClient } from '../../e2e/support/client.ts';
import type { Stack } from '../../e2e/support/stack.ts';
import { until } from '../../e2e/support/wait.ts';

const log = createSchema().callLog;

export interface Tally {
  lost: number;
  duplicated: number;
  unexpected: number;
  /** Slowest PBX event → offering at the client, ms. */
  slowestPopupMs: number;
}

export interface MadeCall {
  callKey: string;
  number: string;
}

/** Rings `count` calls on `ext` one after the other, each ended after its popup; returns what was made. */
export async function ringCalls(stack: Stack, client: E2eClient, ext: string, numbers: readonly string[], budgetMs = 2_000): Promise<{ made: MadeCall[]; slowestPopupMs: number }> {
  const made: MadeCall[] = [];
  let slowest = 0;
  for (const number of numbers) {
    const started = performance.now();
    const call = stack.pbx.incoming({ number }, ext);
    const callId = call.callIds[0] as string;
    const callKey = stack.callKey(callId);
    made.push({ callKey, number });
    await client.next('callNotification', (n) => n.callKey === callKey && n.state === 'offering', budgetMs * 5);
    slowest = Math.max(slowest, performance.now() - started);
    stack.pbx.drop(callId);
    await client.next('callNotification', (n) => n.callKey === callKey && n.state === 'idle');
  }
  return { made, slowestPopupMs: slowest };
}

/**
 * Counts, once every made call has its call log entry (or the wait ran out):
 * the client's offerings and the CRM's entries per made call, and what the
 * client got for calls the test did not make since `sinceIndex` of its messages.
 */
export async function account(stack: Stack, clients: readonly E2eClient[], made: readonly MadeCall[], sinceIndex: readonly number[], slowestPopupMs = 0): Promise<Tally> {
  const keys = new Set(made.map((c) => c.callKey));
  const entries = async (key: string): Promise<{ number: unknown }[]> => stack.admin.list(log.entitySet, `$select=${log.fields.number}&$filter=${log.fields.callKey} eq '${key}'`) as Promise<{ number: unknown }[]>;
  await until(async () => (await Promise.all(made.map((c) => entries(c.callKey)))).every((e) => e.length > 0), 'a call log entry for every call', 20_000).catch(() => undefined);
  const tally: Tally = { lost: 0, duplicated: 0, unexpected: 0, slowestPopupMs };
  for (const c of made) {
    const n = (await entries(c.callKey)).length;
    if (n === 0) tally.lost += 1;
    if (n > 1) tally.duplicated += n - 1;
  }
  clients.forEach((client, i) => {
    const notes = client.received.slice(sinceIndex[i] ?? 0).map((r) => r.message).filter((m) => m.command === 'callNotification');
    for (const c of made) {
      const offerings = notes.filter((m) => m.callKey === c.callKey && m.state === 'offering').length;
      if (offerings === 0) tally.lost += 1;
      if (offerings > 1) tally.duplicated += offerings - 1;
    }
    tally.unexpected += notes.filter((m) => !keys.has(m.callKey)).length;
  });
  return tally;
}

/** The number stored in the call log entry of a call (the CRM keeps the number). */
export async function loggedNumber(stack: Stack, callKey: string): Promise<string | undefined> {
  let value: string | undefined;
  await until(async () => {
    const [row] = await stack.admin.list(log.entitySet, `$select=${log.fields.number}&$filter=${log.fields.callKey} eq '${callKey}'`);
    value = row?.[log.fields.number] as string | undefined;
    return row !== undefined;
  }, `the call log entry of ${callKey}`, 20_000);
  return value;
}
