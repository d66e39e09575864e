// The diagnose report as an operator reads it on a terminal: version, the
// lines each connector reports beside the lines in the CRM entity, and every
// socket with kind, peer, created and "last receive N seconds ago" (as the
// original manager's log put it).
import type { DiagnoseOutbox, DiagnoseReportMessage, OutboxResultMessage, RefreshResultMessage } from '../protocol/index.ts';

function ago(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return `${seconds} s ago`;
}

export function formatReport(report: DiagnoseReportMessage, now: number): string {
  const out: string[] = [`crm-tapi manager ${report.version} (${report.edition})`, ''];
  out.push(`Connectors (${report.connectors.length})`);
  if (report.connectors.length === 0) out.push('  none');
  for (const c of report.connectors) {
    out.push(`  ${c.host}  peer ${c.peer}  connector ${c.connectorVersion}  ${c.lines.length} line(s)`);
    for (const l of c.lines) out.push(`    ${l.line.padEnd(32)} ${l.inService ? 'in service    ' : 'not available '} users ${l.users}`);
  }
  out.push('', `Lines in the CRM (${report.entityLines.length})`);
  if (report.entityLines.length === 0) out.push('  none');
  for (const l of report.entityLines) out.push(`  ${l.line.padEnd(32)} ${l.users.length === 0 ? '(no user)' : l.users.join(', ')}`);
  out.push('', `Sockets (${report.sockets.length})`);
  if (report.sockets.length === 0) out.push('  none');
  for (const s of report.sockets) {
    const who = [s.user ? `user ${s.user}` : '', s.line ? `line ${s.line}` : ''].filter(Boolean).join('  ');
    out.push(`  ${s.kind.padEnd(10)} ${s.peer.padEnd(24)} created ${s.created}  last receive ${ago(s.lastReceive, now)}${who ? `  ${who}` : ''}`);
  }
  if (report.outbox !== undefined) out.push('', ...formatOutbox(report.outbox, now));
  return `${out.join('\n')}\n`;
}

/** Writes waiting for the CRM, the oldest of them, and every dead letter: what, why, when. */
export function formatOutbox(outbox: DiagnoseOutbox, now: number): string[] {
  const out = [`Outbox: ${outbox.pending} write(s) waiting for the CRM, ${outbox.deadLetterCount} dead letter(s)`];
  const w = outbox.oldestWaiting;
  if (w !== undefined) {
    out.push(`  oldest waiting: ${w.kind} ${w.id} since ${w.enqueuedAt} (${ago(w.enqueuedAt, now)}), ${w.attempts} attempt(s)${w.lastErrorCode === undefined ? '' : `, last error ${w.lastErrorCode}: ${w.lastError ?? ''}`}`);
  }
  if (outbox.deadLetters.length > 0) out.push('', `Dead letters (${outbox.deadLetterCount}; crm-tapi outbox retry --id ID | --all, crm-tapi outbox drop --id ID)`);
  for (const d of outbox.deadLetters) {
    out.push(`  ${d.id}  ${d.kind} → ${d.entitySet}  failed ${d.failedAt} after ${d.attempts} attempt(s), queued ${d.enqueuedAt}`);
    out.push(`    why: ${d.errorCode}${d.status === undefined ? '' : ` (HTTP ${d.status})`}: ${d.errorMessage}`);
  }
  if (outbox.deadLetterCount > outbox.deadLetters.length) out.push(`  … ${outbox.deadLetterCount - outbox.deadLetters.length} more (--json lists the same first ${outbox.deadLetters.length})`);
  return out;
}

export function formatOutboxResult(result: OutboxResultMessage, command: 'outboxRetry' | 'outboxDrop'): string {
  if (!result.ok) return `nothing done: ${result.error?.code ?? 'error'}: ${result.error?.message ?? ''}\n`;
  return command === 'outboxDrop' ? `dropped ${result.count ?? 0} dead letter(s)\n` : `queued ${result.count ?? 0} dead letter(s) again\n`;
}

export function formatRefresh(result: RefreshResultMessage): string {
  if (result.ok) return `phone numbers refreshed: ${result.numbers ?? 0} number(s) in the directory\n`;
  return `phone numbers not refreshed: ${result.error?.code ?? 'error'}: ${result.error?.message ?? ''}\n`;
}
