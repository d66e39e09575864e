// Hardened XML. Reading: size check, the shortcut for a connector's flat
// documents (xml-flat.ts), else our single pass (xml-scan.ts), which
// checks well-formedness and our hardening rules (DOCTYPE, entities, depth,
// element count) and builds the tree. Every value stays a string exactly as
// sent; only the five predefined entities and character references are
// decoded. Writing: a direct serialiser (issue 18: 14 % of the manager's CPU per
// popup went to fast-xml-parser's builder), which writes exactly what that
// builder writes for our trees — test/protocol/writer-differential.test.ts
// compares the two on every message type; the builder stays as the reference.
import { XMLBuilder } from 'fast-xml-parser';
import { ProtocolError } from './errors.ts';
import { DEFAULT_XML_LIMITS, XML_DECLARATION, type XmlLimits } from './limits.ts';
import { flatDocument } from './xml-flat.ts';
import { scanXml, type XmlElement } from './xml-scan.ts';

export type { XmlElement } from './xml-scan.ts';

const ATTR_PREFIX = '@_';
const TEXT = '#text';
const ATTRS = ':@';

const builder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: ATTR_PREFIX,
  processEntities: true,
  suppressEmptyNode: false,
  format: false,
});

/** UTF-8 length of a string without encoding it (exact for well-formed text; a lone surrogate counts 2). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) bytes += c >= 0x800 && !(c >= 0xd800 && c <= 0xdfff) ? 2 : 1;
  }
  return bytes;
}

/** Parses one XML document into its root element, or throws a ProtocolError. */
export function parseXml(xml: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: count bytes only when the limit could be passed.
  if (xml.length * 3 > limits.maxDocumentBytes && utf8Length(xml) > limits.maxDocumentBytes) {
    throw new ProtocolError('document-too-large', `document of ${utf8Length(xml)} bytes exceeds the limit of ${limits.maxDocumentBytes}`);
  }
  // A connector's everyday document takes the shortcut; anything else, the full scan (xml-flat.ts).
  return flatDocument(xml, limits) ?? scanXml(xml, limits);
}

type OrderedNode = Record<string, unknown>;

export interface BuildElement {
  name: string;
  attributes?: Readonly<Record<string, string>>;
  /** Either text or children. */
  text?: string;
  children?: BuildElement[];
}

function toOrdered(element: BuildElement): OrderedNode {
  const content: OrderedNode[] =
    element.children !== undefined ? element.children.map(toOrdered) : element.text ? [{ [TEXT]: element.text }] : [];
  const node: OrderedNode = { [element.name]: content };
  if (element.attributes) {
    const attrs: Record<string, string> = {};
    for (const [key, value] of Object.entries(element.attributes)) attrs[ATTR_PREFIX + key] = value;
    node[ATTRS] = attrs;
  }
  return node;
}

/** The reference serialiser (fast-xml-parser's builder): what `buildXml` must write, byte for byte. */
export function buildXmlReference(root: BuildElement): string {
  return XML_DECLARATION + (builder.build([toOrdered(root)]) as string);
}

// The builder's entities, in text and attribute values alike (then `"` and `'` are already gone from attributes).
const SPECIAL = /[&<>'"]/;
const SPECIALS = /[&<>'"]/g;
const ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' };
export const escapeXml = (value: string) => (SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ENTITY[c]!) : value);

function write(element: BuildElement): string {
  let out = `<${element.name}`;
  if (element.attributes) for (const key of Object.keys(element.attributes)) out += ` ${key}="${escapeXml(element.attributes[key]!)}"`;
  out += '>';
  if (element.children !== undefined) for (const child of element.children) out += write(child);
  else if (element.text) out += escapeXml(element.text);
  return `${out}</${element.name}>`;
}

/** Serialises a tree with the manual's XML declaration in front. Text and attributes are escaped. */
export function buildXml(root: BuildElement): string {
  return XML_DECLARATION + write(root);
}
