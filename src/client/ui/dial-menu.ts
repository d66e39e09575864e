// Click-to-dial's choice of line when the user has several: a small menu
// listing each line with the digits that will be dialled on it (the dialing
// rules run here too, so the agent sees what the manager will send). Only
// lines whose rules can read the number are offered; the caller checks that
// there is at least one before it opens the menu. The menu is kept inside the
// viewport, and below the dial box when it opens from there, so it never
// covers the Dial button.
import type { WelcomeLine } from '../../protocol/index.ts';
import { toDialString } from '../../dialing/outgoing.ts';
import type { Strings } from '../i18n.ts';
import { dialTarget, type DialTarget } from '../phone-format.ts';
import { h } from './dom.ts';

/** What will be dialled for `number` on `line`, or undefined when the rules cannot convert it. */
export function previewDial(number: string, line: WelcomeLine): string | undefined {
  const r = toDialString(number, line.dialing);
  return r.ok ? r.dial : undefined;
}

/** The lines a number can be dialled on, each with what it becomes there; empty for `hello`. */
export function dialOptions(number: string, lines: readonly WelcomeLine[]): { line: WelcomeLine; target: DialTarget }[] {
  const out: { line: WelcomeLine; target: DialTarget }[] = [];
  for (const line of lines) {
    const target = dialTarget(number, line.dialing);
    if (target !== undefined) out.push({ line, target });
  }
  return out;
}

/** Where the menu opens: at a click, or right below an element (the dial box), as wide as it. */
export type MenuPlace = { x: number; y: number } | { below: Element };

const MARGIN = 8;

export function chooseLine(doc: Document, s: Strings, options: readonly { line: WelcomeLine; target: DialTarget }[], place: MenuPlace): Promise<WelcomeLine | undefined> {
  return new Promise((resolve) => {
    const opener = doc.activeElement as HTMLElement | null;
    const done = (l: WelcomeLine | undefined): void => {
      doc.removeEventListener('keydown', onKey, true);
      menu.remove();
      opener?.focus?.();
      resolve(l);
    };
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      e.stopPropagation();
      done(undefined);
    };
    const shown = options[0]?.target.shown;
    const menu = h(doc, 'div', { class: 'ctapi-menu', 'data-testid': 'ctapi-line-menu', role: 'menu', 'aria-label': s.dialOn },
      h(doc, 'strong', {}, s.dialOn),
      h(doc, 'span', { class: 'ctapi-menu-number', 'data-testid': 'line-menu-number', title: shown?.raw ?? '' }, shown?.text ?? ''));
    for (const { line, target } of options) {
      const text = `${line.displayName} — ${target.dial}`;
      menu.append(h(doc, 'button', { type: 'button', 'data-line': line.line, role: 'menuitem', title: text, onclick: () => done(line) }, text));
    }
    menu.append(h(doc, 'button', { type: 'button', role: 'menuitem', 'data-testid': 'line-menu-cancel', onclick: () => done(undefined) }, s.cancel));
    doc.body.append(menu);
    position(doc, menu, place);
    doc.addEventListener('keydown', onKey, true);
    menu.querySelector('button')?.focus();
  });
}

function position(doc: Document, menu: HTMLElement, at: MenuPlace): void {
  const view = doc.documentElement;
  const vw = view.clientWidth;
  const vh = view.clientHeight;
  if ('below' in at) {
    const a = at.below.getBoundingClientRect();
    menu.style.left = `${a.left}px`;
    menu.style.width = `${a.width}px`;
    menu.style.top = `${a.bottom + 4}px`;
    return;
  }
  menu.style.maxWidth = `${vw - 2 * MARGIN}px`;
  const r = menu.getBoundingClientRect();
  menu.style.left = `${Math.max(MARGIN, Math.min(at.x, vw - r.width - MARGIN))}px`;
  menu.style.top = `${Math.max(MARGIN, Math.min(at.y, vh - r.height - MARGIN))}px`;
}
