// A linear pre-scan of an XML document, run before fast-xml-parser sees it.
// It refuses what the parser would accept or choke on: DOCTYPE (the door to
// entity expansion and external entities), undeclared entities, nesting past
// the limit (the parser throws plain Errors there), too many elements, and
// several root elements (its validator accepts `<a/><b/>`). It also decodes
// character and the five predefined entity references, which is all the
// entity processing we allow.
import { ProtocolError } from './errors.ts';
import type { XmlLimits } from './limits.ts';

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const REFERENCE = /&(?:#([0-9]{1,7})|#x([0-9a-fA-F]{1,6})|([A-Za-z_][A-Za-z0-9._-]*));/y;

function malformed(what: string, at: number): ProtocolError {
  return new ProtocolError('malformed-xml', `${what} at offset ${at}`);
}

/** True for code points XML 1.0 allows in a document (section 2.2 Char). */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Checks an `&` reference at `at`; returns its length. */
function checkReference(xml: string, at: number): number {
  REFERENCE.lastIndex = at;
  const m = REFERENCE.exec(xml);
  if (m === null) throw malformed("'&' that starts no valid reference", at);
  const name = m[3];
  if (name !== undefined && PREDEFINED[name] === undefined) {
    throw new ProtocolError('entity-forbidden', `entity reference &${name}; at offset ${at}: only the five predefined XML entities are allowed`);
  }
  return m[0].length;
}

function skipPast(xml: string, from: number, terminator: string, what: string): number {
  const end = xml.indexOf(terminator, from);
  if (end < 0) throw malformed(`unterminated ${what}`, from);
  return end + terminator.length;
}

/** Scans the document; throws the ProtocolError its first problem deserves. */
export function scanXml(xml: string, limits: XmlLimits): void {
  let depth = 0;
  let elements = 0;
  let rootClosed = false;
  let i = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    const amp = xml.indexOf('&', i);
    if (amp >= 0 && (lt < 0 || amp < lt)) {
      if (depth === 0) throw malformed('text outside the root element', amp);
      i = amp + checkReference(xml, amp);
      continue;
    }
    if (lt < 0) break;
    if (depth === 0 && xml.slice(i, lt).trim() !== '') throw malformed('text outside the root element', i);
    const next = xml.charCodeAt(lt + 1);
    if (next === 0x3f /* ? */) {
      i = skipPast(xml, lt + 2, '?>', 'processing instruction or declaration');
    } else if (next === 0x21 /* ! */) {
      if (xml.startsWith('<!--', lt)) {
        i = skipPast(xml, lt + 4, '-->', 'comment');
      } else if (xml.startsWith('<![CDATA[', lt)) {
        if (depth === 0) throw malformed('CDATA outside the root element', lt);
        i = skipPast(xml, lt + 9, ']]>', 'CDATA section');
      } else if (/^<!doctype/i.test(xml.slice(lt, lt + 9))) {
        throw new ProtocolError('doctype-forbidden', `DOCTYPE declaration at offset ${lt}: documents may not declare a DOCTYPE`);
      } else {
        throw new ProtocolError('doctype-forbidden', `markup declaration at offset ${lt}: declarations are not allowed`);
      }
    } else if (next === 0x2f /* / */) {
      if (depth === 0) throw malformed('end tag without start tag', lt);
      depth -= 1;
      if (depth === 0) rootClosed = true;
      i = skipPast(xml, lt + 2, '>', 'end tag');
    } else {
      if (depth === 0 && rootClosed) throw malformed('a second root element', lt);
      elements += 1;
      if (elements > limits.maxElements) {
        throw new ProtocolError('too-many-elements', `more than ${limits.maxElements} elements`);
      }
      depth += 1;
      if (depth > limits.maxDepth) {
        throw new ProtocolError('too-deep', `elements nested deeper than ${limits.maxDepth} levels at offset ${lt}`);
      }
      i = scanStartTag(xml, lt + 1);
      if (xml.charCodeAt(i - 2) === 0x2f /* / */) {
        depth -= 1;
        if (depth === 0) rootClosed = true;
      }
    }
  }
  if (depth > 0) throw malformed('document ended inside an element', n);
  if (!rootClosed) throw malformed('no root element', 0);
}

/** Skips a start tag honouring quoted attribute values (which may hold `>`); returns the index after `>`. */
function scanStartTag(xml: string, from: number): number {
  let quote = 0;
  for (let j = from; j < xml.length; j += 1) {
    const c = xml.charCodeAt(j);
    if (quote !== 0) {
      if (c === quote) quote = 0;
      else if (c === 0x26 /* & */) j += checkReference(xml, j) - 1;
      else if (c === 0x3c /* < */) throw malformed("'<' inside an attribute value", j);
    } else if (c === 0x22 || c === 0x27) {
      quote = c;
    } else if (c === 0x3e /* > */) {
      return j + 1;
    } else if (c === 0x3c) {
      throw malformed("'<' inside a start tag", j);
    }
  }
  throw malformed('unterminated start tag', from);
}

/**
 * Replaces character and predefined entity references in raw text. Runs once
 * over the text, so `&amp;lt;` becomes `&lt;`, never `<`.
 */
export function decodeReferences(raw: string): string {
  if (!raw.includes('&')) return raw;
  let out = '';
  let i = 0;
  for (;;) {
    const amp = raw.indexOf('&', i);
    if (amp < 0) return out + raw.slice(i);
    out += raw.slice(i, amp);
    REFERENCE.lastIndex = amp;
    const m = REFERENCE.exec(raw);
    if (m === null) throw malformed("'&' that starts no valid reference", amp);
    const [whole, dec, hex, name] = m;
    if (name !== undefined) {
      const value = PREDEFINED[name];
      if (value === undefined) throw new ProtocolError('entity-forbidden', `entity reference &${name};: only the five predefined XML entities are allowed`);
      out += value;
    } else {
      const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
      if (!isXmlChar(cp)) throw malformed(`character reference ${whole} to a character XML does not allow`, amp);
      out += String.fromCodePoint(cp);
    }
    i = amp + whole.length;
  }
}
