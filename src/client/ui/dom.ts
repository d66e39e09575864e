// Tiny DOM builder. Text always goes in as text nodes, never as HTML: CRM
// names and caller numbers are outside input.

type Child = Node | string | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs: Record<string, string | ((e: MouseEvent) => void)> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k === 'onclick' ? 'click' : k, v as EventListener);
    else el.setAttribute(k, v);
  }
  for (const c of children) if (c !== undefined && c !== false) el.append(typeof c === 'string' ? doc.createTextNode(c) : c);
  return el;
}

const CSS = `
.ctapi-status{display:inline-flex;align-items:center;gap:.35em;cursor:pointer;font:13px system-ui,sans-serif;user-select:none}
.ctapi-dot{width:.8em;height:.8em;border-radius:50%;display:inline-block;background:#999}
.ctapi-status[data-status=connected] .ctapi-dot{background:#2e9d46}
.ctapi-status[data-status=connecting] .ctapi-dot{background:#e0a800}
.ctapi-status[data-status=error] .ctapi-dot{background:#d13438}
.ctapi-popup{position:fixed;z-index:10000;width:22em;max-width:calc(100vw - 2em);box-sizing:border-box;background:#fff;border:1px solid #8a8886;border-radius:6px;box-shadow:0 6px 24px rgba(0,0,0,.25);font:14px system-ui,sans-serif;color:#201f1e}
.ctapi-popup header{background:#0f6cbd;color:#fff;padding:.5em .8em;border-radius:6px 6px 0 0;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-variant-numeric:tabular-nums}
.ctapi-popup[data-phase=onhold] header{background:#8a5a00}
.ctapi-popup[data-phase=ended] header{background:#605e5c}
.ctapi-popup .ctapi-body{padding:.7em .8em}
.ctapi-popup .ctapi-name{font-size:1.3em;font-weight:600;margin:.1em 0}
.ctapi-popup .ctapi-name,.ctapi-popup .ctapi-number,.ctapi-popup .ctapi-line{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.ctapi-popup .ctapi-number{color:#605e5c}
.ctapi-popup .ctapi-state{margin:.4em 0;font-style:italic}
.ctapi-popup .ctapi-actions{display:flex;flex-wrap:wrap;gap:.4em;padding:0 .8em .8em}
.ctapi-popup .ctapi-cc-target,.ctapi-popup .ctapi-cc-note{padding:0 .8em .4em}
.ctapi-cc-target input{box-sizing:border-box;width:100%;max-width:100%}
.ctapi-popup button,.ctapi-panel button,.ctapi-menu button{font:inherit;padding:.3em .7em;border:1px solid #8a8886;border-radius:4px;background:#f3f2f1;color:#201f1e;cursor:pointer;white-space:nowrap}
.ctapi-popup button.ctapi-reject{background:#c50f1f;color:#fff;border-color:#a4262c}
.ctapi-popup :focus-visible,.ctapi-panel :focus-visible,.ctapi-menu :focus-visible,.ctapi-log :focus-visible,.ctapi-status:focus-visible,.ctapi-phone:focus-visible{outline:3px solid #0f6cbd;outline-offset:2px}
.ctapi-popup header:focus-visible{outline-color:#fff}
.ctapi-popup ul{margin:.3em 0;padding-left:1.1em}
.ctapi-pos-1{right:1em;bottom:1em}.ctapi-pos-2{left:1em;bottom:1em}.ctapi-pos-3{right:1em;top:1em}.ctapi-pos-4{left:1em;top:1em}.ctapi-pos-0{left:50%;top:1em;transform:translateX(-50%)}
.ctapi-phone{cursor:pointer;margin-left:.3em;border:none;background:none;font-size:1em;padding:0 .2em}
.ctapi-menu{position:fixed;z-index:10001;box-sizing:border-box;max-width:calc(100vw - 16px);background:#fff;color:#201f1e;border:1px solid #8a8886;border-radius:4px;padding:.5em;box-shadow:0 4px 12px rgba(0,0,0,.2);font:13px system-ui,sans-serif;display:flex;flex-direction:column;gap:.3em}
.ctapi-menu button{text-align:left;overflow:hidden;text-overflow:ellipsis}
.ctapi-menu strong,.ctapi-menu-number{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.ctapi-lines,.ctapi-missed{list-style:none;margin:0;padding:0}
.ctapi-lines li,.ctapi-missed li{display:flex;align-items:center;gap:.5em;margin:.3em 0;min-width:0}
.ctapi-lines li>span,.ctapi-missed-who{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;min-width:0}
.ctapi-lines li{flex-wrap:wrap;row-gap:0}
.ctapi-line-name{font-weight:600;flex:0 1 auto}.ctapi-line-state{flex:none;font-variant-numeric:tabular-nums}.ctapi-line-number{flex:1 0 100%;color:#605e5c}
.ctapi-missed-who{flex:1 1 auto}.ctapi-missed li button{flex:none}
.ctapi-count{display:inline-block;margin-left:.4em;min-width:1.4em;padding:0 .3em;border-radius:.7em;background:#c50f1f;color:#fff;font-size:.85em;text-align:center}
.ctapi-log{position:fixed;z-index:10002;inset:5% 10%;background:#fff;border:1px solid #444;display:flex;flex-direction:column;font:12px ui-monospace,monospace}
.ctapi-log header{display:flex;justify-content:space-between;padding:.4em .6em;background:#eee;font:600 13px system-ui,sans-serif}
.ctapi-log ol{overflow:auto;margin:0;padding:.4em .6em;list-style:none}
.ctapi-log li{white-space:pre-wrap;word-break:break-all}
.ctapi-log li[data-level=error]{color:#c50f1f}
.ctapi-log li[data-level=send]{color:#0f6cbd}
.ctapi-log li[data-level=receive]{color:#107c10}
.ctapi-toast{position:fixed;z-index:10001;left:50%;bottom:1em;transform:translateX(-50%);background:#323130;color:#fff;padding:.5em 1em;border-radius:4px;font:13px system-ui,sans-serif}
`;

export function injectStyles(doc: Document): void {
  if (doc.getElementById('ctapi-styles')) return;
  doc.head.append(h(doc, 'style', { id: 'ctapi-styles' }, CSS));
}

/** A short message at the bottom of the page (dial results). */
export function toast(doc: Document, text: string, ms = 4000): void {
  const el = h(doc, 'div', { class: 'ctapi-toast', role: 'status', 'data-testid': 'ctapi-toast' }, text);
  doc.body.append(el);
  setTimeout(() => el.remove(), ms);
}
