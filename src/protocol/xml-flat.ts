// A shortcut for the documents a connector sends all day (issue 18): exactly
// our encoder's declaration, the envelope with its one `name` attribute, and
// elements holding plain text, one level deep — `callState`, `ack`,
// `keepalive`. For such a document it builds the tree the full scan
// (xml-scan.ts) builds, touching far less code: on a loop that sleeps between
// popups each piece of code costs many times its hot cost (bench/cold-path.ts).
// Anything else — another declaration, white space between elements, a
// reference, CDATA, a comment, a nested or empty element, a character outside
// printable ASCII, `>` or `]` in text, a limit within reach — returns
// undefined, and the full scan decides (with its error when the document is
// bad). test/protocol/xml-flat.property.test.ts checks that the two agree.
import { ENVELOPE_ELEMENT, XML_DECLARATION, type XmlLimits } from './limits.ts';
import { NO_ATTRIBUTES } from './xml-lexis.ts';
import type { XmlElement } from './xml-scan.ts';

const START = `${XML_DECLARATION}<${ENVELOPE_ELEMENT} name="`;
const END = `</${ENVELOPE_ELEMENT}>`;
/** Longest element name taken here; a longer one goes to the full scan. */
const MAX_NAME = 64;

/** An ASCII letter: what a name here starts with. */
function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** Letters and digits (ASCII): what a name here may hold after its first letter. */
function isAlnum(c: number): boolean {
  return isLetter(c) || (c >= 0x30 && c <= 0x39);
}

/** Printable ASCII that needs no attention as text or attribute value: not `<`, `>`, `&`, `]`, `"`, `'`. */
function isPlain(c: number): boolean {
  return c >= 0x20 && c <= 0x7e && c !== 0x3c && c !== 0x3e && c !== 0x26 && c !== 0x5d && c !== 0x22 && c !== 0x27;
}

/** The index after the plain run starting at `from` (up to the next character that is not plain). */
function plainEnd(xml: string, from: number): number {
  let i = from;
  while (i < xml.length && isPlain(xml.charCodeAt(i))) i += 1;
  return i;
}

/** The root element of a flat document, or undefined when the document is not one (the full scan decides then). */
export function flatDocument(xml: string, limits: XmlLimits): XmlElement | undefined {
  // Two levels and every element counted: within the limits, or the full scan says which one is passed.
  if (limits.maxDepth < 2 || xml.length > limits.maxDocumentBytes || !xml.startsWith(START)) return undefined;
  const valueEnd = plainEnd(xml, START.length);
  if (xml.charCodeAt(valueEnd) !== 0x22 || xml.charCodeAt(valueEnd + 1) !== 0x3e) return undefined;
  const attributes = Object.create(null) as Record<string, string>;
  attributes.name = xml.slice(START.length, valueEnd);
  const children: XmlElement[] = [];
  let pos = valueEnd + 2;
  for (;;) {
    if (xml.charCodeAt(pos) !== 0x3c) return undefined;
    if (xml.charCodeAt(pos + 1) === 0x2f) {
      return pos + END.length === xml.length && xml.endsWith(END) ? { name: ENVELOPE_ELEMENT, attributes, children, text: '' } : undefined;
    }
    if (children.length + 2 > limits.maxElements) return undefined;
    if (!isLetter(xml.charCodeAt(pos + 1))) return undefined;
    let nameEnd = pos + 2;
    while (isAlnum(xml.charCodeAt(nameEnd))) nameEnd += 1;
    if (nameEnd - pos - 1 > MAX_NAME || xml.charCodeAt(nameEnd) !== 0x3e) return undefined;
    const name = xml.slice(pos + 1, nameEnd);
    const textEnd = plainEnd(xml, nameEnd + 1);
    // `</name>` right after the text, and some text: an empty element goes to the full scan.
    if (textEnd === nameEnd + 1 || xml.charCodeAt(textEnd) !== 0x3c || xml.charCodeAt(textEnd + 1) !== 0x2f || !xml.startsWith(name, textEnd + 2) || xml.charCodeAt(textEnd + 2 + name.length) !== 0x3e) {
      return undefined;
    }
    children.push({ name, attributes: NO_ATTRIBUTES, children: [], text: xml.slice(nameEnd + 1, textEnd) });
    pos = textEnd + 3 + name.length;
  }
}
