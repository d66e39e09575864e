// Public API of the conformance suite (spec/conformance.md): run one role
// against a live implementation and get a Report. The CLI and the tests call
// the same functions. The suite speaks only the wire protocol (src/protocol);
// it never imports the manager or the connector.
import type { Case, CaseResult, Role } from './case.ts';
import { makeReport, type Report } from './report.ts';
import { runCases } from './runner.ts';

export interface SuiteOptions {
  caseTimeoutMs?: number;
  only?: readonly string[];
  strict?: boolean;
  onResult?: (r: CaseResult) => void;
}

export const DEFAULT_CASE_TIMEOUT_MS = 30_000;

export async function runSuite<C>(role: Role, target: string, cases: readonly Case<C>[], ctx: C, options: SuiteOptions = {}): Promise<Report> {
  const startedAt = new Date();
  const t0 = performance.now();
  const results = await runCases(cases, ctx, {
    caseTimeoutMs: options.caseTimeoutMs ?? DEFAULT_CASE_TIMEOUT_MS,
    ...(options.only ? { only: options.only } : {}),
    ...(options.onResult ? { onResult: options.onResult } : {}),
  });
  return makeReport(role, target, options.strict ?? false, startedAt, Math.round(performance.now() - t0), results);
}

export type { Case, CaseResult, Level, Role, Status } from './case.ts';
export { MANAGER_CASES, ManagerContext, type ManagerTarget } from './manager-role/index.ts';
export { CONNECTOR_CASES, ConnectorContext, ConnectorListener, type ConnectorTarget } from './connector-role/index.ts';
export { CLIENT_CASES, ClientContext, ClientListener, type ClientTarget } from './client-role/index.ts';
export { DataverseProver, HookProver, type Prover } from './proof.ts';
export { formatResult, formatSummary, toJson, toJUnit, type Report } from './report.ts';
export type { Hook } from './hooks.ts';
