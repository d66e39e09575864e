// One linear pass over an XML document that checks it is well-formed XML 1.0
// (fifth edition, without a DTD) and builds the element tree. On top of
// well-formedness it enforces our hardening: no DOCTYPE or other markup
// declaration (the door to entity expansion and external entities), no
// entity but the five predefined ones, nesting and element counts within the
// limits. Each character is looked at a bounded number of times, so the work
// is linear in the document on any input.
//
// Why our own pass and not fast-xml-parser's validator: the validator took
// 53 % of decode time (bench/protocol.ts) and lets through what XML forbids
// (several roots after an empty root element, `&#;`, `<` and bare `&` in
// attribute values, control characters, `--` in comments, unterminated
// comments after the root). test/protocol/xml-differential.test.ts compares
// this pass with fast-xml-parser and, where they disagree, with libxml2.
import { ProtocolError } from './errors.ts';
import type { XmlLimits } from './limits.ts';
import { isNameChar, nameEnd, skipSpaces } from './xml-chars.ts';
import { AMP, BANG, CR, GT, LF, LT, NO_ATTRIBUTES, QUESTION, RBRACKET, SLASH, TAB, attributes, checkChars, clip, ends, malformed, reference, wideChar } from './xml-lexis.ts';

export interface XmlElement {
  name: string;
  /** Attribute values, references decoded. Null prototype: attribute names cannot reach Object.prototype. */
  attributes: Readonly<Record<string, string>>;
  children: XmlElement[];
  /** Concatenated text and CDATA directly inside the element, references decoded, untrimmed. */
  text: string;
}

/** ASCII code units that need no attention inside text: printable, tab and line feed, but not `<`, `&`, `]`. */
const PLAIN_TEXT: Uint8Array = (() => {
  const table = new Uint8Array(128);
  for (let c = 0x20; c < 0x7f; c += 1) table[c] = 1;
  table[TAB] = 1;
  table[LF] = 1;
  table[0x7f] = 1;
  for (const c of [LT, AMP, RBRACKET]) table[c] = 0;
  return table;
})();

const XML_DECLARATION = /<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.[0-9]+"|'1\.[0-9]+')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>/y;

/** `<!--` … `-->` at `at`, where `--` may only appear as part of the end (section 2.5). Returns the index after it. */
function comment(xml: string, at: number): number {
  const dashes = xml.indexOf('--', at + 4);
  if (dashes < 0) throw malformed('unterminated comment', at);
  if (xml.charCodeAt(dashes + 2) !== GT) throw malformed("'--' inside a comment", dashes);
  checkChars(xml, at + 4, dashes);
  return dashes + 3;
}

/** `<?target …?>` at `at`; the target `xml` in any case is reserved (section 2.6). Returns the index after it. */
function processingInstruction(xml: string, at: number): number {
  const targetEnd = nameEnd(xml, at + 2);
  if (targetEnd === at + 2) throw malformed('processing instruction without a valid target', at);
  if (targetEnd - at === 5 && xml.slice(at + 2, targetEnd).toLowerCase() === 'xml') {
    throw malformed('XML declaration not at the start of the document', at);
  }
  if (xml.startsWith('?>', targetEnd)) return targetEnd + 2;
  const c = xml.charCodeAt(targetEnd);
  if (!(c === 0x20 || c === LF || c === TAB || c === CR)) throw malformed('processing instruction target not followed by white space', targetEnd);
  const end = xml.indexOf('?>', targetEnd);
  if (end < 0) throw malformed('unterminated processing instruction', at);
  checkChars(xml, targetEnd, end);
  return end + 2;
}

/** Any other `<!`: a DOCTYPE or markup declaration, refused before anything in it is read. */
function declaration(xml: string, at: number): never {
  if (/^<!doctype/i.test(xml.slice(at, at + 9))) {
    throw new ProtocolError('doctype-forbidden', `DOCTYPE declaration at offset ${at}: documents may not declare a DOCTYPE`);
  }
  throw new ProtocolError('doctype-forbidden', `markup declaration at offset ${at}: declarations are not allowed`);
}

/** Comments, processing instructions and white space around the root (section 2.8 Misc) from `from`; returns where they end. */
function misc(xml: string, from: number): number {
  let pos = from;
  for (;;) {
    pos = skipSpaces(xml, pos);
    if (xml.charCodeAt(pos) !== LT) return pos;
    const next = xml.charCodeAt(pos + 1);
    if (next === QUESTION) pos = processingInstruction(xml, pos);
    else if (next !== BANG) return pos;
    else if (xml.startsWith('<!--', pos)) pos = comment(xml, pos);
    else if (xml.startsWith('<![CDATA[', pos)) throw malformed('CDATA outside the root element', pos);
    else declaration(xml, pos);
  }
}

/**
 * The root element at `from` and everything in it, without recursion (depth
 * is attacker-controlled); `ends.value` is set after its end tag. Text and tags
 * are read inline: this loop is the hot path of every decode.
 */
function elementTree(xml: string, from: number, limits: XmlLimits): XmlElement {
  const n = xml.length;
  const stack: XmlElement[] = [];
  let elements = 0;
  let pos = from;
  let top: XmlElement | undefined;
  let root: XmlElement | undefined;
  for (;;) {
    // pos is on a '<'.
    const next = xml.charCodeAt(pos + 1);
    if (next === SLASH) {
      const element = top;
      if (element === undefined) throw malformed('end tag without start tag', pos);
      const start = pos + 2;
      const end = nameEnd(xml, start);
      if (end - start !== element.name.length || !xml.startsWith(element.name, start)) {
        throw malformed(`end tag </${clip(xml.slice(start, end))}> where </${clip(element.name)}> was expected`, pos);
      }
      const gt = skipSpaces(xml, end);
      if (xml.charCodeAt(gt) !== GT) throw malformed('unterminated end tag', pos);
      pos = gt + 1;
      stack.pop();
      top = stack[stack.length - 1];
      if (top === undefined) {
        ends.value = pos;
        return root as XmlElement;
      }
    } else if (next === BANG && top !== undefined) {
      if (xml.startsWith('<!--', pos)) pos = comment(xml, pos);
      else if (!xml.startsWith('<![CDATA[', pos)) declaration(xml, pos);
      else {
        const end = xml.indexOf(']]>', pos + 9);
        if (end < 0) throw malformed('unterminated CDATA section', pos);
        checkChars(xml, pos + 9, end);
        const raw = xml.slice(pos + 9, end);
        top.text += raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
        pos = end + 3;
      }
    } else if (next === QUESTION && top !== undefined) {
      pos = processingInstruction(xml, pos);
    } else {
      elements += 1;
      if (elements > limits.maxElements) throw new ProtocolError('too-many-elements', `more than ${limits.maxElements} elements`);
      if (stack.length + 1 > limits.maxDepth) throw new ProtocolError('too-deep', `elements nested deeper than ${limits.maxDepth} levels at offset ${pos}`);
      const end = nameEnd(xml, pos + 1);
      if (end === pos + 1) throw malformed("'<' that starts no valid element name", pos);
      const name = xml.slice(pos + 1, end);
      let attrs = NO_ATTRIBUTES;
      let close = end;
      if (xml.charCodeAt(end) !== GT) {
        attrs = attributes(xml, end);
        close = ends.value;
      }
      const element: XmlElement = { name, attributes: attrs, children: [], text: '' };
      if (top === undefined) root = element;
      else top.children.push(element);
      if (xml.charCodeAt(close) === SLASH) {
        if (xml.charCodeAt(close + 1) !== GT) throw malformed("'/' not followed by '>' in a start tag", close);
        pos = close + 2;
        if (top === undefined) {
          ends.value = pos;
          return element;
        }
      } else {
        pos = close + 1;
        stack.push(element);
        top = element;
      }
    }
    // Character data up to the next '<'.
    let out = '';
    let textFrom = pos;
    let i = pos;
    for (; i < n; i += 1) {
      const c = xml.charCodeAt(i);
      if (c < 0x80 && PLAIN_TEXT[c] === 1) continue;
      if (c === LT) break;
      if (c === AMP) {
        out += xml.slice(textFrom, i) + reference(xml, i);
        textFrom = ends.reference;
        i = textFrom - 1;
      } else if (c === CR) {
        // End-of-line handling (section 2.11): CR LF and a lone CR read as LF.
        out += `${xml.slice(textFrom, i)}\n`;
        if (xml.charCodeAt(i + 1) === LF) i += 1;
        textFrom = i + 1;
      } else if (c === RBRACKET) {
        if (xml.startsWith(']]>', i)) throw malformed("']]>' in text", i);
      } else {
        i = wideChar(xml, c, i);
      }
    }
    if (i > pos) (top as XmlElement).text += out + xml.slice(textFrom, i);
    if (i >= n) throw malformed('document ended inside an element', n);
    pos = i;
  }
}

/** Scans the document and returns its root element, or throws the ProtocolError its first problem deserves. */
export function scanXml(xml: string, limits: XmlLimits): XmlElement {
  let pos = xml.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte order mark is not part of the document
  if (xml.startsWith('<?xml', pos) && !isNameChar(xml.charCodeAt(pos + 5))) {
    // The XML declaration (section 2.8) may only stand at the very start.
    XML_DECLARATION.lastIndex = pos;
    if (!XML_DECLARATION.test(xml)) throw malformed('malformed XML declaration', pos);
    pos = XML_DECLARATION.lastIndex;
  }
  pos = misc(xml, pos);
  if (pos >= xml.length) throw malformed('no root element', pos);
  if (xml.charCodeAt(pos) !== LT) throw malformed('text outside the root element', pos);
  const root = elementTree(xml, pos, limits);
  pos = misc(xml, ends.value);
  if (pos < xml.length) {
    const what = xml.charCodeAt(pos) !== LT ? 'text outside the root element' : xml.charCodeAt(pos + 1) === SLASH ? 'end tag without start tag' : 'a second root element';
    throw malformed(what, pos);
  }
  return root;
}
