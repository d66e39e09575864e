// Click-to-dial's choice of line when the user has several: a small menu
// listing each line with the digits that will be dialled on it (the dialing
// rules run here too, so the agent sees what the manager will send).
import type { WelcomeLine } from '../../protocol/index.ts';
import { toDialString } from '../../dialing/outgoing.ts';
import type { Strings } from '../i18n.ts';
import { h } from './dom.ts';

/** What will be dialled for `number` on `line`, or undefined when the rules cannot convert it. */
export function previewDial(number: string, line: WelcomeLine): string | undefined {
  const r = toDialString(number, line.dialing);
  return r.ok ? r.dial : undefined;
}

export function chooseLine(doc: Document, s: Strings, number: string, lines: readonly WelcomeLine[], at: { x: number; y: number }): Promise<WelcomeLine | undefined> {
  return new Promise((resolve) => {
    const done = (l: WelcomeLine | undefined): void => {
      menu.remove();
      resolve(l);
    };
    const menu = h(doc, 'div', { class: 'ctapi-menu', 'data-testid': 'ctapi-line-menu', role: 'menu' }, h(doc, 'strong', {}, s.dialOn));
    for (const l of lines) {
      const preview = previewDial(number, l);
      menu.append(h(doc, 'button', { 'data-line': l.line, role: 'menuitem', onclick: () => done(l) }, `${l.displayName} — ${preview ?? '?'}`));
    }
    menu.append(h(doc, 'button', { onclick: () => done(undefined) }, s.cancel));
    menu.style.left = `${Math.max(0, at.x)}px`;
    menu.style.top = `${Math.max(0, at.y)}px`;
    doc.body.append(menu);
  });
}
