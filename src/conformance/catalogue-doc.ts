// The case tables of spec/conformance.md, rendered from the case lists so the
// document and the suite cannot drift apart (test/conformance/doc.test.ts).
import type { Case } from './case.ts';
import { CLIENT_CASES } from './client-role/index.ts';
import { CONNECTOR_CASES } from './connector-role/index.ts';
import { MANAGER_CASES } from './manager-role/index.ts';

function table(cases: readonly Case<never>[]): string {
  const rows = cases.map((c) => `| ${c.id} | ${c.level} | ${c.clause} | ${c.group} | ${c.title.replace(/\|/g, '\\|')}${c.needs?.length ? ` *(needs: ${c.needs.join(', ')})*` : ''} |`);
  return ['| case | level | clause | group | what is checked |', '|---|---|---|---|---|', ...rows].join('\n');
}

export function renderCaseTables(): string {
  return [
    '### Manager role (`crm-tapi conformance manager`)', '', table(MANAGER_CASES as readonly Case<never>[]), '',
    '### Connector role (`crm-tapi conformance connector`)', '', table(CONNECTOR_CASES as readonly Case<never>[]), '',
    '### Client role (`crm-tapi conformance client`)', '', table(CLIENT_CASES as readonly Case<never>[]),
  ].join('\n');
}

export const BEGIN = '<!-- cases:begin -->';
export const END = '<!-- cases:end -->';

/** `doc` with the part between the markers replaced by the current tables. */
export function withCaseTables(doc: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) return doc;
  return `${doc.slice(0, a + BEGIN.length)}\n${renderCaseTables()}\n${doc.slice(b)}`;
}
