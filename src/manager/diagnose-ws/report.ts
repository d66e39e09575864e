// The diagnose report of spec/vendor-manual.md §4 over the WebSocket `diagnose`
// channel: version and edition (no licensing yet: "open edition"), the lines
// connectors report beside the lines in the entity with their users, and
// every socket with kind, peer, created and last receive.
import { carryableText, type DiagnoseOutbox, type DiagnoseReportMessage, type DiagnoseSocket, type RefreshResultMessage } from '../../protocol/index.ts';
import type { ConnectorSide } from '../contracts.ts';
import type { EntitlementTable } from '../entitlements/table.ts';

export const EDITION = 'open edition';

/** Catalogue limits of the report's lists. */
const MAX_SOCKETS = 4096;
const MAX_ENTITY_LINES = 4096;
const MAX_USERS = 1024;

export interface ReportInput {
  requestId?: string;
  version: string;
  connectorSide: ConnectorSide;
  table: EntitlementTable;
  clientSockets: DiagnoseSocket[];
  nameOf: (userId: string) => string | undefined;
  /** The outbox of CRM writes (diagnose-ws/outbox.ts); absent: not reported. */
  outbox?: DiagnoseOutbox;
}

export function diagnoseReport(input: ReportInput): DiagnoseReportMessage {
  const { connectors, sockets } = input.connectorSide.diagnose();
  const entityLines = [...input.table.entityLines.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_ENTITY_LINES)
    .map(([line, users]) => ({ line, users: users.slice(0, MAX_USERS).map((u) => carryableText(input.nameOf(u) ?? u, 256)) }));
  return {
    channel: 'diagnose',
    command: 'diagnoseReport',
    ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
    version: input.version.slice(0, 32) || '0.0.0',
    edition: EDITION,
    connectors: connectors.slice(0, 1024),
    entityLines,
    sockets: [...sockets, ...input.clientSockets].slice(0, MAX_SOCKETS),
    ...(input.outbox === undefined ? {} : { outbox: input.outbox }),
  };
}

export async function refreshResult(requestId: string | undefined, refresh: () => Promise<{ numbers: number }>): Promise<RefreshResultMessage> {
  const base = { channel: 'diagnose' as const, command: 'refreshResult' as const, ...(requestId === undefined ? {} : { requestId }) };
  try {
    const { numbers } = await refresh();
    return { ...base, ok: true, numbers: Math.max(0, Math.trunc(numbers)) };
  } catch (err) {
    const code = typeof (err as { code?: unknown }).code === 'string' ? ((err as { code: string }).code.slice(0, 64) || 'refresh-failed') : 'refresh-failed';
    return { ...base, ok: false, error: { code, message: `the phone numbers could not be refreshed: ${(err as Error).message ?? String(err)}`.slice(0, 1024) } };
  }
}
