// The status icon (connected / connecting / error) and, on Ctrl+click, the
// diagnostic log like the manual's OutCallLog: the effective settings first,
// then every connect / send / receive step, errors in red.
import type { WelcomeMessage } from '../../protocol/index.ts';
import type { Strings } from '../i18n.ts';
import type { ConnectionStatus } from '../connection.ts';
import type { DiagnosticLog } from '../log.ts';
import { h } from './dom.ts';

export function settingsLines(managerUrl: string | undefined, welcome: WelcomeMessage | undefined): string[] {
  const out = [`manager: ${managerUrl ?? '(not read yet)'}`];
  if (welcome === undefined) return out;
  out.push(`user: ${welcome.userName} (${welcome.userId})${welcome.admin ? ', admin' : ''}`);
  for (const l of welcome.lines) {
    const d = l.dialing;
    const p = l.popup;
    out.push(
      `line ${l.line} ("${l.displayName}")`,
      `  outside-line prefix ${d.outsideLinePrefix || '-'}, country code ${d.countryCode}, incoming direction code ${d.incomingDirectionCode || '-'}, max internal length ${d.maxInternalLength}`,
      `  international prefix ${d.internationalPrefix}, national prefix ${d.nationalPrefix}, area code ${d.areaCode || '-'}, base number ${d.baseNumber || '-'}`,
      `  open phone call only when connected ${p.openOnlyWhenConnected ? 1 : 0}, open phone call and record ${p.openRecord ? 1 : 0}, popup position ${p.position}, popup duration ${p.durationSeconds} s, open phone call ${p.openPhoneCallOption}`,
    );
  }
  return out;
}

export class StatusIcon {
  readonly element: HTMLElement;
  private readonly label: HTMLElement;
  private logView: HTMLElement | undefined;

  constructor(
    private readonly doc: Document,
    private readonly s: Strings,
    private readonly log: DiagnosticLog,
    private readonly settings: () => string[],
  ) {
    this.label = h(doc, 'span', { class: 'ctapi-label' });
    this.element = h(doc, 'span', { class: 'ctapi-status', 'data-testid': 'ctapi-status', role: 'button', tabindex: '0' }, h(doc, 'span', { class: 'ctapi-dot' }), this.label);
    this.element.addEventListener('click', (e) => {
      if (e.ctrlKey || e.metaKey) this.openLog();
    });
    // The same from the keyboard: the icon is a button in the Tab order.
    this.element.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) this.openLog();
    });
    this.set('connecting');
  }

  set(status: ConnectionStatus, detail = ''): void {
    this.element.dataset.status = status;
    const text = status === 'connected' ? this.s.statusConnected : status === 'connecting' ? this.s.statusConnecting : this.s.statusError;
    this.label.textContent = text;
    this.element.title = detail ? `${text} — ${detail}` : text;
    this.element.setAttribute('aria-label', `${text}. ${this.s.statusLog}`);
  }

  openLog(): void {
    this.logView?.remove();
    const doc = this.doc;
    const list = h(doc, 'ol');
    const line = (level: string, at: number, text: string): HTMLElement => h(doc, 'li', { 'data-level': level }, `${new Date(at).toISOString().slice(11, 23)} ${text}`);
    for (const t of this.settings()) list.append(h(doc, 'li', { 'data-level': 'info' }, t));
    for (const e of this.log.all()) list.append(line(e.level, e.at, e.text));
    const off = this.log.onEntry((e) => list.append(line(e.level, e.at, e.text)));
    const view = h(doc, 'section', { class: 'ctapi-log', 'data-testid': 'ctapi-log', role: 'dialog' },
      h(doc, 'header', {}, this.s.diagnosticLog, h(doc, 'button', { type: 'button', onclick: () => { off(); view.remove(); } }, this.s.close)),
      list);
    this.logView = view;
    doc.body.append(view);
  }
}
