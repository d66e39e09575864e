// Call load for the reliability suite: calls on a simulated PBX, each line
// one call at a time (ring, maybe answer, hang up), seeded so a failing run
// replays; and the CRM-side accounting of what they must leave behind.
import { phoneCallIdOf } from '../../../src/manager/records/ids.ts';
import { until } from '../../e2e/support/wait.ts';
import { USERS } from '../../e2e/support/webapi.ts';
import { account, type Account } from './accounting.ts';
import type { Crm, PbxConnector } from './processes.ts';

/** mulberry32: the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** RELIABILITY_SEED replays a run; otherwise a new seed each run (the tests print it). */
export function seed(): number {
  return Number(process.env.RELIABILITY_SEED ?? Date.now() % 100_000);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface MadeCall {
  callKey: string;
  ext: string;
}

export interface LoadOptions {
  calls: number;
  lines: readonly string[];
  random: () => number;
  /** How many calls may have started by now (default: all); lines wait while it is reached. */
  limit?: () => number;
  /** Called right after each hang-up. */
  onDrop?: () => void;
}

export interface Load {
  made: MadeCall[];
  started(): number;
  done: Promise<void>;
}

/** Starts the calls; `done` resolves when every one of them has ended at the PBX. */
export function startLoad(connector: PbxConnector, o: LoadOptions): Load {
  const made: MadeCall[] = [];
  let started = 0;
  const line = async (ext: string): Promise<void> => {
    while (started < o.calls) {
      if (started >= (o.limit?.() ?? o.calls)) {
        await sleep(50);
        continue;
      }
      started += 1;
      const call = connector.pbx.incoming({ number: `+49 30 555${String(started).padStart(4, '0')}` }, ext);
      const callId = call.callIds[0];
      if (callId === undefined) throw new Error(`line ${ext} did not ring: ${call.outcome}`);
      made.push({ callKey: connector.callKey(callId), ext });
      await sleep(30 + o.random() * 200);
      if (o.random() < 0.6) {
        connector.pbx.answer(callId);
        await sleep(30 + o.random() * 400);
      }
      connector.pbx.drop(callId);
      o.onDrop?.();
      await sleep(10 + o.random() * 50);
    }
  };
  return { made, started: () => started, done: Promise.all(o.lines.map(line)).then(() => undefined) };
}

export interface CrmAccount {
  callLogs: Account;
  phoneCalls: Account;
}

/**
 * Waits (at most `timeoutMs`) until the CRM has a call log entry for every
 * call and a phone call (on behalf of anna) for every call on an agent line —
 * the line default "Telefonanruf öffnen" = incoming — then counts.
 */
export async function crmAccount(crm: Crm, made: readonly MadeCall[], agentLines: ReadonlySet<string>, timeoutMs: number): Promise<CrmAccount> {
  const logKeys = made.map((c) => c.callKey);
  const phoneIds = made.filter((c) => agentLines.has(c.ext)).map((c) => phoneCallIdOf(c.callKey, USERS.anna.id));
  const read = async (): Promise<CrmAccount> => ({
    callLogs: account(logKeys, (await crm.callLogs()).map((r) => crm.callKeyOf(r))),
    phoneCalls: account(phoneIds, (await crm.phoneCalls()).map((r) => r.activityid as string)),
  });
  await until(async () => {
    const a = await read();
    return a.callLogs.lost.length === 0 && a.phoneCalls.lost.length === 0;
  }, 'every call log and phone call', timeoutMs, 500).catch(() => undefined);
  return read();
}
