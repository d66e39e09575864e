// Runs cases one after another, each in its own Scope and under its own
// deadline. Whatever a case or its peer does — throws, hangs, closes — the
// outcome is a CaseResult and the run goes on.
import { CaseFailure, CaseSkip, type Case, type CaseResult, type CaseTools } from './case.ts';
import { Scope } from './scope.ts';

export interface RunOptions {
  /** Per-case deadline in ms (a case may ask for more through its timeoutMs). */
  caseTimeoutMs: number;
  /** Only cases whose id starts with one of these (e.g. `M-REG`, `M-CALL-02`). */
  only?: readonly string[];
  /** Called after each case (progress output). */
  onResult?: (result: CaseResult) => void;
  /** Monotonic clock in ms (default performance.now). */
  now?: () => number;
}

export function selectCases<C>(cases: readonly Case<C>[], only: readonly string[] | undefined): Case<C>[] {
  if (only === undefined || only.length === 0) return [...cases];
  return cases.filter((c) => only.some((prefix) => c.id === prefix || c.id.startsWith(prefix.endsWith('-') ? prefix : `${prefix}-`) || c.id.startsWith(prefix)));
}

export async function runCases<C>(cases: readonly Case<C>[], ctx: C, options: RunOptions): Promise<CaseResult[]> {
  const now = options.now ?? (() => performance.now());
  const results: CaseResult[] = [];
  for (const c of selectCases(cases, options.only)) {
    const result = await runOne(c, ctx, options.caseTimeoutMs, now);
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

async function runOne<C>(c: Case<C>, ctx: C, defaultTimeoutMs: number, now: () => number): Promise<CaseResult> {
  const scope = new Scope();
  const abort = new AbortController();
  const notes: string[] = [];
  let step = 'starting';
  const tools: CaseTools = { scope, signal: abort.signal, step: (s) => (step = s), note: (n) => notes.push(n) };
  const started = now();
  let timeoutMs = defaultTimeoutMs;
  try {
    timeoutMs = c.timeoutMs?.(ctx) ?? defaultTimeoutMs;
  } catch {
    // A broken timeout function keeps the default.
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new CaseFailure(`timed out after ${timeoutMs} ms while ${step}`));
    }, timeoutMs);
  });
  let status: CaseResult['status'] = 'pass';
  let reason = '';
  try {
    await Promise.race([Promise.resolve().then(() => c.run(ctx, tools)), deadline]);
  } catch (err) {
    if (err instanceof CaseSkip) {
      status = 'skip';
      reason = err.message;
    } else {
      status = 'fail';
      reason = err instanceof CaseFailure ? err.message : `the suite failed while ${step}: ${err instanceof Error ? err.message : String(err)}`;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
    await scope.close();
  }
  return { id: c.id, group: c.group, title: c.title, clause: c.clause, level: c.level, status, reason, notes, durationMs: Math.round(now() - started) };
}
