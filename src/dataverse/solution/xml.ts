// A small, deterministic XML writer for the solution files: elements are
// plain values, rendered with two-space indentation so `--unpacked` output
// diffs line by line. Text and attribute values are always escaped.

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string | number | undefined>>;
  readonly children: readonly XmlNode[];
}
export type XmlNode = XmlElement | string;

type Child = XmlNode | number | undefined | false | readonly Child[];

/** `el('a', { x: 1 }, child, …)`; undefined attributes and children are left out; arrays are flattened. */
export function el(name: string, attrs: Readonly<Record<string, string | number | undefined>> = {}, ...children: Child[]): XmlElement {
  const out: XmlNode[] = [];
  const add = (c: Child): void => {
    if (c === undefined || c === false) return;
    if (Array.isArray(c)) for (const x of c as readonly Child[]) add(x);
    else out.push(typeof c === 'number' ? String(c) : (c as XmlNode));
  };
  for (const c of children) add(c);
  return { name, attrs, children: out };
}

/** An element holding only text: `<Name>value</Name>`. */
export function text(name: string, value: string | number, attrs: Readonly<Record<string, string | number | undefined>> = {}): XmlElement {
  return el(name, attrs, String(value));
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function attributes(attrs: XmlElement['attrs']): string {
  let s = '';
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) s += ` ${k}="${escapeXml(String(v))}"`;
  return s;
}

function render(node: XmlElement, depth: number, lines: string[]): void {
  const pad = '  '.repeat(depth);
  const open = `${pad}<${node.name}${attributes(node.attrs)}`;
  if (node.children.length === 0) {
    lines.push(`${open} />`);
  } else if (node.children.every((c) => typeof c === 'string')) {
    lines.push(`${open}>${node.children.map((c) => escapeXml(c as string)).join('')}</${node.name}>`);
  } else {
    lines.push(`${open}>`);
    for (const c of node.children) {
      if (typeof c === 'string') lines.push(`${pad}  ${escapeXml(c)}`);
      else render(c, depth + 1, lines);
    }
    lines.push(`${pad}</${node.name}>`);
  }
}

/** The document with an XML declaration and a final newline. */
export function renderXml(root: XmlElement, declaration = true): string {
  const lines: string[] = declaration ? ['<?xml version="1.0" encoding="utf-8"?>'] : [];
  render(root, 0, lines);
  return `${lines.join('\n')}\n`;
}

/** The element without declaration, for XML stored inside another document's text. */
export function renderFragment(root: XmlElement): string {
  const lines: string[] = [];
  render(root, 0, lines);
  return lines.join('\n');
}
