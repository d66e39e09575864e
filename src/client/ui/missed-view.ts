// The missed-calls list with call-back.
import type { Strings } from '../i18n.ts';
import type { MissedEntry } from '../missed.ts';
import { h } from './dom.ts';

export function renderMissed(doc: Document, s: Strings, target: HTMLElement, entries: readonly MissedEntry[], callBack: (e: MissedEntry, at: { x: number; y: number }) => void): void {
  target.replaceChildren(h(doc, 'h2', {}, s.missedCalls));
  if (entries.length === 0) {
    target.append(h(doc, 'p', { 'data-testid': 'missed-empty' }, s.noMissedCalls));
    return;
  }
  const list = h(doc, 'ul', { 'data-testid': 'missed-list' });
  for (const e of entries) {
    const time = new Date(e.at).toLocaleTimeString();
    const button = h(doc, 'button', { 'data-testid': 'missed-callback' }, s.callBack);
    button.addEventListener('click', (ev) => callBack(e, { x: ev.clientX, y: ev.clientY }));
    list.append(h(doc, 'li', { 'data-call': e.callKey }, `${time} `, h(doc, 'strong', {}, e.name ?? e.number), e.name ? ` ${e.number} ` : ' ', button));
  }
  target.append(list);
}
