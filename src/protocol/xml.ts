// Hardened XML on fast-xml-parser: size check, our pre-scan (DOCTYPE,
// entities, depth, element count, one root), the library's validator (its
// parser silently accepts `<a><b>1</a>`), then the parser with every value
// kept as a string (its defaults turn `0049301234` into 49301234) and no
// entity processing of its own. The result is a small element tree.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { ProtocolError } from './errors.ts';
import { DEFAULT_XML_LIMITS, XML_DECLARATION, type XmlLimits } from './limits.ts';
import { decodeReferences, scanXml } from './xml-scan.ts';

export interface XmlElement {
  name: string;
  /** Attribute values, references decoded. Null prototype: attribute names cannot reach Object.prototype. */
  attributes: Readonly<Record<string, string>>;
  children: XmlElement[];
  /** Concatenated text and CDATA directly inside the element, references decoded, untrimmed. */
  text: string;
}

const ATTR_PREFIX = '@_';
const TEXT = '#text';
const CDATA = '#cdata';
const ATTRS = ':@';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: ATTR_PREFIX,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  cdataPropName: CDATA,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: false,
  maxNestedTags: 1_000,
});

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

type OrderedNode = Record<string, unknown>;

function toElement(node: OrderedNode): XmlElement | undefined {
  const name = Object.keys(node).find((k) => k !== ATTRS);
  if (name === undefined || name === TEXT || name === CDATA) return undefined;
  const attributes: Record<string, string> = Object.create(null) as Record<string, string>;
  const rawAttrs = node[ATTRS];
  if (rawAttrs !== null && typeof rawAttrs === 'object') {
    for (const [key, value] of Object.entries(rawAttrs)) {
      if (key.startsWith(ATTR_PREFIX)) attributes[key.slice(ATTR_PREFIX.length)] = decodeReferences(String(value));
    }
  }
  const element: XmlElement = { name, attributes, children: [], text: '' };
  const content = node[name];
  if (Array.isArray(content)) {
    for (const child of content as OrderedNode[]) {
      if (TEXT in child) element.text += decodeReferences(String(child[TEXT]));
      else if (CDATA in child) element.text += cdataText(child[CDATA]);
      else {
        const sub = toElement(child);
        if (sub) element.children.push(sub);
      }
    }
  }
  return element;
}

function cdataText(value: unknown): string {
  if (Array.isArray(value)) return value.map((v: OrderedNode) => String(v[TEXT] ?? '')).join('');
  return String(value ?? '');
}

/** Parses one XML document into its root element, or throws a ProtocolError. */
export function parseXml(xml: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: count bytes only when the limit could be passed.
  if (xml.length * 3 > limits.maxDocumentBytes && utf8Length(xml) > limits.maxDocumentBytes) {
    throw new ProtocolError('document-too-large', `document of ${utf8Length(xml)} bytes exceeds the limit of ${limits.maxDocumentBytes}`);
  }
  scanXml(xml, limits);
  const verdict = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (verdict !== true) {
    const { msg, line, col } = verdict.err;
    throw new ProtocolError('malformed-xml', `${msg.replace(/\.$/, '')} (line ${line}, column ${col ?? '?'})`);
  }
  let ordered: OrderedNode[];
  try {
    ordered = parser.parse(xml) as OrderedNode[];
  } catch (err) {
    // The parser throws plain Errors, e.g. for element names such as __proto__.
    throw new ProtocolError('malformed-xml', `the XML parser refused the document: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const node of ordered) {
    const root = toElement(node);
    if (root) return root;
  }
  throw new ProtocolError('malformed-xml', 'no root element');
}

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

/** Serialises a tree with the manual's XML declaration in front. Text and attributes are escaped. */
export function buildXml(root: BuildElement): string {
  return XML_DECLARATION + (builder.build([toOrdered(root)]) as string);
}
