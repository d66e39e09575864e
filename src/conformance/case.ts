// The shape of one conformance case and its outcome. A case cites the clause
// of spec/protocol.md it tests and has a level: MUST cases decide the verdict,
// SHOULD cases are reported (and decide it only with --strict).
import { CrmTapiError } from '../protocol/errors.ts';
import type { Scope } from './scope.ts';

export type Level = 'MUST' | 'SHOULD';
export type Role = 'manager' | 'connector' | 'client';
export type Status = 'pass' | 'fail' | 'skip';

export interface CaseTools {
  /** Sockets, servers and timers opened by the case; all closed when it ends, whatever the outcome. */
  scope: Scope;
  /** Names what the case is doing now; a timeout reports the step it hung in. */
  step(text: string): void;
  /** A note kept in the report (what was seen, measured). */
  note(text: string): void;
  /** Aborted when the case timed out: long waits stop early. */
  signal: AbortSignal;
}

export interface Case<Ctx> {
  /** Stable id, e.g. `M-REG-01`: role letter, group, number. New cases get new numbers; ids are never reused. */
  id: string;
  group: string;
  title: string;
  /** Section of spec/protocol.md (or spec/vectors/ file) the case tests, e.g. `§7.1`. */
  clause: string;
  level: Level;
  /** What the implementation under test must be made to do from outside (documented; the hooks do it). */
  needs?: readonly ('proof' | 'entitled-line' | 'on-ring' | 'on-dial' | 'on-control' | 'show-call' | 'reconnect')[];
  /** Overrides the run's per-case timeout (ms) where the case waits for a configured interval. */
  timeoutMs?: (ctx: Ctx) => number;
  run(ctx: Ctx, t: CaseTools): Promise<void>;
}

export interface CaseResult {
  id: string;
  group: string;
  title: string;
  clause: string;
  level: Level;
  status: Status;
  /** Why it failed or was skipped (one or two sentences); empty on pass. */
  reason: string;
  notes: string[];
  durationMs: number;
}

/** The implementation under test did something the clause forbids (or not what it requires). */
export class CaseFailure extends CrmTapiError {
  readonly code = 'conformance-failed';
}

/** The case cannot run here (no proof credentials, no hook); reported as skip with the reason. */
export class CaseSkip extends CrmTapiError {
  readonly code = 'conformance-skipped';
}

export function fail(reason: string): never {
  throw new CaseFailure(reason);
}

export function skip(reason: string): never {
  throw new CaseSkip(reason);
}

/** Fails with `reason` unless `condition` holds. */
export function check(condition: unknown, reason: string): asserts condition {
  if (!condition) throw new CaseFailure(reason);
}
