// The three forms of a run's outcome: a readable summary, JUnit XML for CI
// systems and a JSON report; and the verdict (exit 0 only when every MUST
// case passed, and with --strict every SHOULD case too).
import type { CaseResult, Role } from './case.ts';

export interface Report {
  role: Role;
  target: string;
  strict: boolean;
  startedAt: string;
  durationMs: number;
  results: CaseResult[];
  passed: boolean;
  counts: { pass: number; fail: number; skip: number; mustFailed: number; shouldFailed: number };
}

export function makeReport(role: Role, target: string, strict: boolean, startedAt: Date, durationMs: number, results: CaseResult[]): Report {
  const count = (test: (r: CaseResult) => boolean): number => results.filter(test).length;
  const mustFailed = count((r) => r.status === 'fail' && r.level === 'MUST');
  const shouldFailed = count((r) => r.status === 'fail' && r.level === 'SHOULD');
  return {
    role, target, strict, startedAt: startedAt.toISOString(), durationMs, results,
    passed: mustFailed === 0 && (!strict || shouldFailed === 0),
    counts: { pass: count((r) => r.status === 'pass'), fail: count((r) => r.status === 'fail'), skip: count((r) => r.status === 'skip'), mustFailed, shouldFailed },
  };
}

export function formatResult(r: CaseResult): string {
  const mark = r.status === 'pass' ? 'pass' : r.status === 'skip' ? 'skip' : 'FAIL';
  const head = `${mark.padEnd(4)}  ${r.id.padEnd(11)} ${r.level.padEnd(6)} ${r.clause.padEnd(8)} ${r.title} (${r.durationMs} ms)`;
  return r.reason === '' ? head : `${head}\n      ${r.reason}`;
}

export function formatSummary(report: Report): string {
  const c = report.counts;
  const lines = [
    `conformance ${report.role} ${report.target}: ${c.pass} passed, ${c.fail} failed (${c.mustFailed} MUST, ${c.shouldFailed} SHOULD), ${c.skip} skipped in ${(report.durationMs / 1000).toFixed(1)} s`,
    report.passed
      ? `verdict: conformant${report.strict ? ' (strict: every MUST and SHOULD case passed)' : ' (every MUST case passed)'}`
      : `verdict: NOT conformant (${c.mustFailed} MUST case(s) failed${report.strict && c.shouldFailed > 0 ? `, ${c.shouldFailed} SHOULD case(s) failed under --strict` : ''})`,
  ];
  return lines.join('\n');
}

function xmlEscape(s: string): string {
  // Control characters are not allowed in XML 1.0; a peer's garbage may carry them into a reason.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '?').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JUnit XML: one testsuite per role, one testcase per case; a failed SHOULD case counts as a failure only with --strict. */
export function toJUnit(report: Report): string {
  const failing = (r: CaseResult): boolean => r.status === 'fail' && (r.level === 'MUST' || report.strict);
  const failures = report.results.filter(failing).length;
  const cases = report.results.map((r) => {
    const open = `    <testcase classname="conformance.${report.role}.${xmlEscape(r.group)}" name="${xmlEscape(`${r.id} ${r.title} [${r.level} ${r.clause}]`)}" time="${(r.durationMs / 1000).toFixed(3)}"`;
    if (r.status === 'skip') return `${open}>\n      <skipped message="${xmlEscape(r.reason)}"/>\n    </testcase>`;
    if (failing(r)) return `${open}>\n      <failure message="${xmlEscape(r.reason)}" type="${r.level}"/>\n    </testcase>`;
    if (r.status === 'fail') return `${open}>\n      <system-out>${xmlEscape(`SHOULD case failed (not decisive without --strict): ${r.reason}`)}</system-out>\n    </testcase>`;
    return `${open}/>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="crm-tapi conformance" tests="${report.results.length}" failures="${failures}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="conformance ${report.role}" tests="${report.results.length}" failures="${failures}" skipped="${report.counts.skip}" timestamp="${report.startedAt}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function toJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
