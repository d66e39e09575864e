// One linear pass over an XML document that both enforces our hardening
// rules and builds the element tree. It refuses DOCTYPE (the door to entity
// expansion and external entities), undeclared entities, nesting and element
// counts past the limits, and several root elements (fast-xml-parser's
// validator accepts `<a/><b/>`). Well-formedness in full (names, matching end
// tags, attribute syntax) is fast-xml-parser's validator's job, run after
// this pass in xml.ts; this pass only needs to stay safe on any input.
//
// Why not fast-xml-parser's own parser for the tree: measured in
// bench/protocol.ts, validator + parser decoded slower than xml2js, which the
// issue rules out; validator + this pass is several times faster.
import { ProtocolError } from './errors.ts';
import type { XmlLimits } from './limits.ts';

export interface XmlElement {
  name: string;
  /** Attribute values, references decoded. Null prototype: attribute names cannot reach Object.prototype. */
  attributes: Readonly<Record<string, string>>;
  children: XmlElement[];
  /** Concatenated text and CDATA directly inside the element, references decoded, untrimmed. */
  text: string;
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const REFERENCE = /&(?:#([0-9]{1,7})|#x([0-9a-fA-F]{1,6})|([A-Za-z_][A-Za-z0-9._-]*));/y;
const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const NAME_END = /[\s/>]/g;
const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);

function malformed(what: string, at: number): ProtocolError {
  return new ProtocolError('malformed-xml', `${what} at offset ${at}`);
}

/** True for code points XML 1.0 allows in a document (section 2.2 Char). */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

function skipPast(xml: string, from: number, terminator: string, what: string): number {
  const end = xml.indexOf(terminator, from);
  if (end < 0) throw malformed(`unterminated ${what}`, from);
  return end + terminator.length;
}

/** XML end-of-line handling (section 2.11): CR LF and lone CR read as LF. */
function lineEnds(raw: string): string {
  return raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
}

/**
 * Replaces character and predefined entity references. Runs once over the
 * text, so `&amp;lt;` becomes `&lt;`, never `<`. Any other entity is refused.
 */
export function decodeReferences(raw: string, offset = 0): string {
  if (!raw.includes('&')) return raw;
  let out = '';
  let i = 0;
  for (;;) {
    const amp = raw.indexOf('&', i);
    if (amp < 0) return out + raw.slice(i);
    out += raw.slice(i, amp);
    REFERENCE.lastIndex = amp;
    const m = REFERENCE.exec(raw);
    if (m === null) throw malformed("'&' that starts no valid reference", offset + amp);
    const [whole, dec, hex, name] = m;
    if (name !== undefined) {
      const value = PREDEFINED[name];
      if (value === undefined) {
        throw new ProtocolError('entity-forbidden', `entity reference &${name}; at offset ${offset + amp}: only the five predefined XML entities are allowed`);
      }
      out += value;
    } else {
      const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
      if (!isXmlChar(cp)) throw malformed(`character reference ${whole} to a character XML does not allow`, offset + amp);
      out += String.fromCodePoint(cp);
    }
    i = amp + whole.length;
  }
}

/** Finds the `>` closing a start tag, honouring quoted attribute values (which may hold `>`). */
function startTagEnd(xml: string, from: number): number {
  let quote = 0;
  for (let j = from; j < xml.length; j += 1) {
    const c = xml.charCodeAt(j);
    if (quote !== 0) {
      if (c === quote) quote = 0;
      else if (c === 0x3c /* < */) throw malformed("'<' inside an attribute value", j);
    } else if (c === 0x22 || c === 0x27) {
      quote = c;
    } else if (c === 0x3e /* > */) {
      return j;
    } else if (c === 0x3c) {
      throw malformed("'<' inside a start tag", j);
    }
  }
  throw malformed('unterminated start tag', from);
}

function readStartTag(xml: string, lt: number, end: number): XmlElement {
  const inner = xml.slice(lt + 1, xml.charCodeAt(end - 1) === 0x2f ? end - 1 : end);
  NAME_END.lastIndex = 0;
  const nameEnd = NAME_END.exec(inner)?.index ?? inner.length;
  const name = inner.slice(0, nameEnd);
  if (name === '') throw malformed('start tag without a name', lt);
  let attributes = NO_ATTRIBUTES;
  if (nameEnd < inner.length) {
    const own = Object.create(null) as Record<string, string>;
    ATTRIBUTE.lastIndex = nameEnd;
    for (let m = ATTRIBUTE.exec(inner); m !== null; m = ATTRIBUTE.exec(inner)) {
      // Attribute-value normalisation (XML 1.0 section 3.3.3): white space characters read as spaces.
      own[m[1] as string] = decodeReferences(lineEnds(m[2] ?? m[3] ?? '').replace(/[\t\n]/g, ' '), lt);
    }
    attributes = own;
  }
  return { name, attributes, children: [], text: '' };
}

/** Scans the document and returns its root element, or throws the ProtocolError its first problem deserves. */
export function scanXml(xml: string, limits: XmlLimits): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let i = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const current = stack[stack.length - 1];
      if (current === undefined) {
        if (xml.slice(i, textEnd).trim() !== '') throw malformed('text outside the root element', i);
      } else {
        current.text += decodeReferences(lineEnds(xml.slice(i, textEnd)), i);
      }
    }
    if (lt < 0) break;
    const next = xml.charCodeAt(lt + 1);
    if (next === 0x3f /* ? */) {
      i = skipPast(xml, lt + 2, '?>', 'processing instruction or declaration');
    } else if (next === 0x21 /* ! */) {
      if (xml.startsWith('<!--', lt)) {
        i = skipPast(xml, lt + 4, '-->', 'comment');
      } else if (xml.startsWith('<![CDATA[', lt)) {
        const current = stack[stack.length - 1];
        if (current === undefined) throw malformed('CDATA outside the root element', lt);
        i = skipPast(xml, lt + 9, ']]>', 'CDATA section');
        current.text += lineEnds(xml.slice(lt + 9, i - 3));
      } else if (/^<!doctype/i.test(xml.slice(lt, lt + 9))) {
        throw new ProtocolError('doctype-forbidden', `DOCTYPE declaration at offset ${lt}: documents may not declare a DOCTYPE`);
      } else {
        throw new ProtocolError('doctype-forbidden', `markup declaration at offset ${lt}: declarations are not allowed`);
      }
    } else if (next === 0x2f /* / */) {
      if (stack.pop() === undefined) throw malformed('end tag without start tag', lt);
      i = skipPast(xml, lt + 2, '>', 'end tag');
    } else {
      if (root !== undefined && stack.length === 0) throw malformed('a second root element', lt);
      elements += 1;
      if (elements > limits.maxElements) throw new ProtocolError('too-many-elements', `more than ${limits.maxElements} elements`);
      if (stack.length + 1 > limits.maxDepth) {
        throw new ProtocolError('too-deep', `elements nested deeper than ${limits.maxDepth} levels at offset ${lt}`);
      }
      const end = startTagEnd(xml, lt + 1);
      const element = readStartTag(xml, lt, end);
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else root = element;
      if (xml.charCodeAt(end - 1) !== 0x2f /* / */) stack.push(element);
      i = end + 1;
    }
  }
  if (stack.length > 0) throw malformed('document ended inside an element', n);
  if (root === undefined) throw malformed('no root element', 0);
  return root;
}
