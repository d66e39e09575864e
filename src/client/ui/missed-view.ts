// The missed-calls list with call-back; its heading counts the entries.
import type { Strings } from '../i18n.ts';
import type { MissedEntry } from '../missed.ts';
import { showNumber } from '../phone-format.ts';
import { h } from './dom.ts';

export function renderMissed(doc: Document, s: Strings, target: HTMLElement, entries: readonly MissedEntry[], callBack: (e: MissedEntry, at: { x: number; y: number }) => void): void {
  target.replaceChildren(h(doc, 'h2', {}, s.missedCalls, entries.length === 0 ? undefined : h(doc, 'span', { class: 'ctapi-count', 'data-testid': 'missed-count' }, String(entries.length))));
  if (entries.length === 0) {
    target.append(h(doc, 'p', { 'data-testid': 'missed-empty' }, s.noMissedCalls));
    return;
  }
  const list = h(doc, 'ul', { 'data-testid': 'missed-list', class: 'ctapi-missed' });
  for (const e of entries) {
    const time = new Date(e.at).toLocaleTimeString();
    const number = showNumber(e.number, e.e164);
    const who = e.name ?? number.text;
    const button = h(doc, 'button', { type: 'button', 'data-testid': 'missed-callback', 'aria-label': `${s.callBack}: ${who}` }, s.callBack);
    button.addEventListener('click', (ev) => callBack(e, { x: ev.clientX, y: ev.clientY }));
    list.append(h(doc, 'li', { 'data-call': e.callKey },
      h(doc, 'span', { class: 'ctapi-missed-who' },
        h(doc, 'span', { class: 'ctapi-missed-time' }, time), ' ',
        h(doc, 'strong', { title: number.raw }, who),
        e.name ? h(doc, 'span', { class: 'ctapi-missed-number', 'data-testid': 'missed-number', title: number.raw }, ` ${number.text}`) : undefined),
      button));
  }
  target.append(list);
}
