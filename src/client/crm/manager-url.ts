// The manager's WebSocket URL, read as the manual describes: from the user's
// own line record, else its site, else the default record ("host name is
// read from the default and site records"). Pure over the rows the Web API
// returned, so every inheritance case is unit-tested.
import { ClientError } from '../errors.ts';
import { LINE_CONFIG_KIND, type ClientSchemaNames } from '../schema-names.ts';
import { bareGuid, type CrmHost } from './host.ts';

export type LineRow = Record<string, unknown>;

function text(row: LineRow | undefined, key: string): string | undefined {
  const v = row?.[key];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** The first URL on the path user line → site → default; undefined if none is set. */
export function resolveManagerUrl(rows: readonly LineRow[], userId: string, names: ClientSchemaNames): string | undefined {
  const f = names.lineConfig;
  const byId = new Map(rows.map((r) => [String(r[f.id] ?? '').toLowerCase(), r]));
  const me = bareGuid(userId);
  const own = rows.filter((r) => r[f.kind] === LINE_CONFIG_KIND.userLine && typeof r[f.userValue] === 'string' && bareGuid(r[f.userValue] as string) === me);
  const starts = own.length > 0 ? own : rows.filter((r) => r[f.kind] === LINE_CONFIG_KIND.site);
  for (const start of starts) {
    let row: LineRow | undefined = start;
    for (let depth = 0; row !== undefined && depth < 5; depth += 1) {
      const url = text(row, f.webSocketUrl);
      if (url !== undefined) return url;
      const parent: unknown = row[f.parentValue];
      row = typeof parent === 'string' ? byId.get(parent.toLowerCase()) : undefined;
    }
  }
  return text(rows.find((r) => r[f.kind] === LINE_CONFIG_KIND.default), f.webSocketUrl);
}

/** Reads the line records the user may see and resolves the URL; throws ClientError('no-manager-url'). */
export async function readManagerUrl(crm: CrmHost, userId: string, names: ClientSchemaNames): Promise<string> {
  const f = names.lineConfig;
  const select = [f.id, f.kind, f.webSocketUrl, f.userValue, f.parentValue].join(',');
  const filter = `${f.kind} ne ${LINE_CONFIG_KIND.userLine} or ${f.userValue} eq ${bareGuid(userId)}`;
  const rows = await crm.retrieveMultiple(f.logicalName, `?$select=${select}&$filter=${encodeURIComponent(filter)}`);
  const url = resolveManagerUrl(rows, userId, names);
  if (url === undefined) throw new ClientError('no-manager-url', 'no manager URL ("Server Tapi-Manager") is set in your line, site or default record');
  return url;
}
