// The diagnose page behind the command bar's "Diagnose TAPI Manager" and
// "Aktualisieren Telefonnummern": the manager's report as tables (connectors
// and their lines, lines in the CRM, sockets, the outbox with every dead
// letter), the refresh result and refusals as one sentence, German or English.
import type { DiagnoseOutbox, DiagnoseReportMessage, RefreshResultMessage } from '../../protocol/index.ts';
import type { Language } from '../i18n.ts';
import { h } from './dom.ts';

const en = {
  title: 'Diagnose TAPI Manager',
  loading: 'Asking the TAPI manager…',
  manager: 'TAPI manager',
  connectors: 'Connectors',
  host: 'Host', peer: 'Peer', version: 'Version', line: 'Line', inService: 'In service', users: 'Users',
  yes: 'yes', no: 'no', none: 'none', noUser: '(no user)',
  entityLines: 'Lines in the CRM',
  sockets: 'Sockets',
  kind: 'Kind', created: 'Created', lastReceive: 'Last receive', user: 'User',
  outbox: 'Outbox',
  pending: 'Writes waiting for the CRM',
  oldest: 'Oldest waiting',
  deadLetters: 'Dead letters',
  failedAt: 'Failed', why: 'Why', attempts: 'Attempts', table: 'Table',
  refresh: 'Refresh phone numbers',
  refreshing: 'Refreshing the phone numbers…',
  refreshed: (n: number) => `Phone numbers refreshed: ${n} number(s) in the directory.`,
  notRefreshed: (why: string) => `The phone numbers were not refreshed: ${why}.`,
  notAdmin: 'The TAPI manager refused: this page is only for TapiInterface Admin and System Administrator.',
  refused: (why: string) => `The TAPI manager refused: ${why}.`,
  failed: (why: string) => `No answer from the TAPI manager: ${why}.`,
};
type DiagnoseStrings = typeof en;

const de: DiagnoseStrings = {
  title: 'Diagnose TAPI Manager',
  loading: 'Der TAPI-Manager wird gefragt…',
  manager: 'TAPI-Manager',
  connectors: 'Konnektoren',
  host: 'Host', peer: 'Gegenstelle', version: 'Version', line: 'Leitung', inService: 'In Betrieb', users: 'Benutzer',
  yes: 'ja', no: 'nein', none: 'keine', noUser: '(kein Benutzer)',
  entityLines: 'Leitungen im CRM',
  sockets: 'Sockets',
  kind: 'Art', created: 'Erstellt', lastReceive: 'Zuletzt empfangen', user: 'Benutzer',
  outbox: 'Ausgang',
  pending: 'Schreibvorgänge, die auf das CRM warten',
  oldest: 'Ältester wartender',
  deadLetters: 'Unzustellbare Schreibvorgänge',
  failedAt: 'Fehlgeschlagen', why: 'Grund', attempts: 'Versuche', table: 'Tabelle',
  refresh: 'Aktualisieren Telefonnummern',
  refreshing: 'Die Telefonnummern werden aktualisiert…',
  refreshed: (n: number) => `Telefonnummern aktualisiert: ${n} Nummer(n) im Verzeichnis.`,
  notRefreshed: (why: string) => `Die Telefonnummern wurden nicht aktualisiert: ${why}.`,
  notAdmin: 'Der TAPI-Manager lehnt ab: diese Seite ist nur für TapiInterface Admin und Systemadministrator.',
  refused: (why: string) => `Der TAPI-Manager lehnt ab: ${why}.`,
  failed: (why: string) => `Keine Antwort vom TAPI-Manager: ${why}.`,
};

export function diagnoseStrings(language: Language): DiagnoseStrings {
  return language === 'de' ? de : en;
}

function table(doc: Document, testId: string, head: string[], rows: string[][], none: string): HTMLElement {
  if (rows.length === 0) return h(doc, 'p', { 'data-testid': testId }, none);
  return h(doc, 'table', { 'data-testid': testId },
    h(doc, 'thead', {}, h(doc, 'tr', {}, ...head.map((c) => h(doc, 'th', {}, c)))),
    h(doc, 'tbody', {}, ...rows.map((r) => h(doc, 'tr', {}, ...r.map((c) => h(doc, 'td', {}, c))))));
}

function outboxSection(doc: Document, s: DiagnoseStrings, o: DiagnoseOutbox): HTMLElement[] {
  const w = o.oldestWaiting;
  return [
    h(doc, 'h2', {}, s.outbox),
    h(doc, 'p', { 'data-testid': 'diag-outbox' }, `${s.pending}: ${o.pending}; ${s.deadLetters}: ${o.deadLetterCount}`),
    w === undefined ? undefined : h(doc, 'p', {}, `${s.oldest}: ${w.kind} ${w.id}, ${w.enqueuedAt}, ${s.attempts} ${w.attempts}${w.lastErrorCode ? `, ${w.lastErrorCode}: ${w.lastError ?? ''}` : ''}`),
    table(doc, 'diag-dead-letters', ['Id', s.kind, s.table, s.failedAt, s.attempts, s.why],
      o.deadLetters.map((d) => [d.id, d.kind, d.entitySet, d.failedAt, String(d.attempts), `${d.errorCode}${d.status === undefined ? '' : ` (HTTP ${d.status})`}: ${d.errorMessage}`]), s.none),
  ].filter((e): e is HTMLElement => e !== undefined);
}

/** The report as headings and tables; text goes in as text nodes (names and peers are outside input). `userNames`: systemuserid → full name for the lines in the CRM, which the manager lists by id. */
export function renderReport(doc: Document, s: DiagnoseStrings, r: DiagnoseReportMessage, userNames: ReadonlyMap<string, string> = new Map()): HTMLElement {
  const who = (id: string): string => userNames.get(id.toLowerCase()) ?? id;
  const lines = r.connectors.flatMap((c) => c.lines.map((l) => [c.host, c.peer, c.connectorVersion, l.line, l.inService ? s.yes : s.no, String(l.users)]));
  const bare = r.connectors.filter((c) => c.lines.length === 0).map((c) => [c.host, c.peer, c.connectorVersion, '', '', '']);
  return h(doc, 'div', { 'data-testid': 'diag-report' },
    h(doc, 'p', { 'data-testid': 'diag-version' }, `${s.manager} ${r.version} (${r.edition})`),
    h(doc, 'h2', {}, `${s.connectors} (${r.connectors.length})`),
    table(doc, 'diag-connectors', [s.host, s.peer, s.version, s.line, s.inService, s.users], [...lines, ...bare], s.none),
    h(doc, 'h2', {}, `${s.entityLines} (${r.entityLines.length})`),
    table(doc, 'diag-entity-lines', [s.line, s.users], r.entityLines.map((l) => [l.line, l.users.length === 0 ? s.noUser : l.users.map(who).join(', ')]), s.none),
    h(doc, 'h2', {}, `${s.sockets} (${r.sockets.length})`),
    table(doc, 'diag-sockets', [s.kind, s.peer, s.created, s.lastReceive, s.line, s.user], r.sockets.map((k) => [k.kind, k.peer, k.created, k.lastReceive, k.line ?? '', k.user ?? '']), s.none),
    ...(r.outbox === undefined ? [] : outboxSection(doc, s, r.outbox)));
}

export function refreshSentence(s: DiagnoseStrings, r: RefreshResultMessage): string {
  return r.ok ? s.refreshed(r.numbers ?? 0) : s.notRefreshed(`${r.error?.code ?? 'error'}: ${r.error?.message ?? ''}`);
}

export const DIAGNOSE_CSS = `
.ctapi-diag{font:13px system-ui,sans-serif;color:#201f1e}
.ctapi-diag table{border-collapse:collapse;margin:.3em 0 1em}
.ctapi-diag th,.ctapi-diag td{border:1px solid #c8c6c4;padding:.2em .5em;text-align:left;vertical-align:top}
.ctapi-diag th{background:#f3f2f1}
.ctapi-diag h2{font-size:1.1em;margin:1em 0 .3em}
.ctapi-diag [data-testid=diag-message]{font-weight:600}
.ctapi-diag button{font:inherit;padding:.3em .7em;border:1px solid #8a8886;border-radius:4px;background:#f3f2f1;cursor:pointer}
`;
