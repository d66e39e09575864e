// What the panel's layout tests read in the page: element boxes
// (getBoundingClientRect) and axe-core's findings, injected from node_modules
// as a real page would load it.
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
  height: number;
}

export interface PanelLayout {
  viewport: number;
  panel: Box;
  dial: Box;
  menu: Box | undefined;
  popup: Box | undefined;
  /** How many line boxes the title "crm-tapi" takes (1 = no wrap) and its height against its line height. */
  titleLines: number;
  /** Elements of the panel (and the popup and menu) that stick out of the viewport, or whose text is cut without an ellipsis rule. */
  outside: string[];
  /** The document scrolls sideways. */
  scrollsSideways: boolean;
}

export function layoutOf(page: Page): Promise<PanelLayout> {
  return page.evaluate(() => {
    const box = (e: Element | null): Box | undefined => {
      if (e === null) return undefined;
      const r = e.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
    };
    const vw = document.documentElement.clientWidth;
    const title = document.querySelector('.ctapi-panel h1')!;
    const range = document.createRange();
    range.selectNodeContents(title);
    const lineTops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    const outside: string[] = [];
    for (const el of document.querySelectorAll('.ctapi-panel *, .ctapi-popup, .ctapi-popup *, .ctapi-menu, .ctapi-menu *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (getComputedStyle(el).position === 'absolute' && r.width <= 1) continue; // the visually hidden label
      if (r.left < -0.5 || r.right > vw + 0.5) outside.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.left)}..${Math.round(r.right)} of ${vw}`);
    }
    return {
      viewport: vw,
      panel: box(document.querySelector('.ctapi-panel'))!,
      dial: box(document.querySelector('[data-testid=panel-dial]'))!,
      menu: box(document.querySelector('[data-testid=ctapi-line-menu]')),
      popup: box(document.querySelector('[data-testid=crm-tapi-popup]')),
      titleLines: lineTops.size,
      outside,
      scrollsSideways: document.documentElement.scrollWidth > vw,
    };
  });
}

export const inside = (inner: Box, outer: Box): boolean =>
  inner.left >= outer.left - 0.5 && inner.right <= outer.right + 0.5 && inner.top >= outer.top - 0.5 && inner.bottom <= outer.bottom + 0.5;

export const overlap = (a: Box, b: Box): boolean => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's serious and critical violations on the page as it is now (id: targets), or only within `include` (selectors). */
export async function axeSerious(page: Page, include?: string[]): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async (only) => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, o: object): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run(only === undefined ? document : { include: only.map((sel) => [sel]) }, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
  }, include);
}
