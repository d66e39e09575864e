// The shortcut for flat documents (src/protocol/xml-flat.ts) against the full
// scan (src/protocol/xml-scan.ts): whenever the shortcut builds a tree, the
// scan accepts the document and builds the same tree; whenever the scan
// refuses a document, the shortcut has declined it. Checked on flat documents
// with names and text from every corner (references, CDATA-like brackets,
// control and non-ASCII characters, white space), on such documents with one
// character inserted, removed or replaced anywhere, on every message type as
// our encoder writes it, and under lowered limits. And it must take the
// documents it exists for: the connector's `callState`, `ack` and `keepalive`.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeMessage, ProtocolError, type TapiMessage } from '../../src/protocol/index.ts';
import { DEFAULT_XML_LIMITS, XML_DECLARATION, type XmlLimits } from '../../src/protocol/limits.ts';
import { flatDocument } from '../../src/protocol/xml-flat.ts';
import { scanXml, type XmlElement } from '../../src/protocol/xml-scan.ts';
import { parseXml } from '../../src/protocol/xml.ts';
import { anyMessage } from './arbitraries.ts';

const RUNS = Number(process.env.XML_FLAT_RUNS ?? 2_000);

type Plain = { name: string; attributes: Record<string, string>; text: string; children: Plain[] };
const plain = (e: XmlElement): Plain => ({ name: e.name, attributes: { ...e.attributes }, text: e.text, children: e.children.map(plain) });

const taken = { yes: 0, no: 0 };

/** The shortcut either declines or agrees with the full scan, which must then accept. */
function agrees(xml: string, limits: XmlLimits = DEFAULT_XML_LIMITS): void {
  const flat = flatDocument(xml, limits);
  taken[flat === undefined ? 'no' : 'yes'] += 1;
  let scanned: XmlElement | undefined;
  let refused: unknown;
  try {
    scanned = scanXml(xml, limits);
  } catch (err) {
    refused = err;
  }
  if (flat === undefined) return;
  expect(refused, `the scan refused what the shortcut took: ${JSON.stringify(xml)}`).toBeUndefined();
  expect(plain(flat)).toEqual(plain(scanned as XmlElement));
  // Both build attribute maps without a prototype: an attribute name cannot reach Object.prototype.
  expect(Object.getPrototypeOf(flat.attributes)).toBeNull();
  for (const c of flat.children) expect(Object.getPrototypeOf(c.attributes)).toBeNull();
}

// Names and text from the plain core and from around it: what the shortcut must take and what it must leave.
const nameChar = fc.constantFrom(...'abcXYZ09_-.:é'.split(''));
const name = fc.tuple(fc.constantFrom('a', 'Z', 'x', '_', '1', 'é'), fc.array(nameChar, { maxLength: 8 })).map(([h, t]) => h + t.join(''));
const textChar = fc.constantFrom(...'ab 1+-./:;=?@{}|~'.split(''), '&', '&amp;', '&#65;', '<', '>', ']', ']]>', '"', "'", '\t', '\n', '\r', '\u0001', 'é', '\u{1F600}', '\uFFFE', '\uD800');
const text = fc.array(textChar, { maxLength: 12 }).map((cs) => cs.join(''));
const attrValue = fc.array(fc.constantFrom('connector', 'intincall', 'a b', '&', '<', '>', '"', "'", '\t', 'é'), { maxLength: 3 }).map((cs) => cs.join(''));
const cornerDoc = fc.record({ channel: attrValue, fields: fc.array(fc.tuple(name, text), { maxLength: 12 }), declaration: fc.constantFrom(XML_DECLARATION, '', '<?xml version="1.0"?>', `${XML_DECLARATION}\n`), tail: fc.constantFrom('', '\n', ' ', '<!-- x -->') })
  .map(({ channel, fields, declaration, tail }) => `${declaration}<tapiaction name="${channel}">${fields.map(([n, t]) => `<${n}>${t}</${n}>`).join('')}</tapiaction>${tail}`);
// What the shortcut is for: our declaration, plain names and text (what it must take).
const plainName = fc.tuple(fc.constantFrom(...'aZxQ'.split('')), fc.array(fc.constantFrom(...'azAZ09'.split('')), { maxLength: 8 })).map(([h, t]) => h + t.join(''));
const plainText = fc.array(fc.constantFrom(...'ab 1+-./:;=?@{}|~'.split('')), { minLength: 1, maxLength: 12 }).map((cs) => cs.join(''));
const plainDoc = fc.record({ channel: fc.constantFrom('connector', 'intincall', 'diagnose'), fields: fc.array(fc.tuple(plainName, plainText), { maxLength: 12 }) })
  .map(({ channel, fields }) => `${XML_DECLARATION}<tapiaction name="${channel}">${fields.map(([n, t]) => `<${n}>${t}</${n}>`).join('')}</tapiaction>`);
const flatDoc = fc.oneof(plainDoc, cornerDoc);

describe('the flat-document shortcut', () => {
  it('agrees with the full scan on flat documents from every corner', () => {
    Object.assign(taken, { yes: 0, no: 0 });
    fc.assert(fc.property(flatDoc, (xml) => agrees(xml)), { numRuns: RUNS });
    // Both branches are exercised: the shortcut takes a fair share and declines a fair share.
    expect(taken.yes).toBeGreaterThan(RUNS / 20);
    expect(taken.no).toBeGreaterThan(RUNS / 20);
  });

  it('agrees with the full scan on such documents with one character inserted, removed or replaced', () => {
    const edit = fc.record({ at: fc.nat(), op: fc.constantFrom('insert', 'remove', 'replace'), c: fc.constantFrom('<', '>', '/', '&', '"', ' ', 'a', '\u0000', 'é', '=', '!', '?', ']') });
    fc.assert(
      fc.property(flatDoc, edit, (xml, { at, op, c }) => {
        const i = at % (xml.length + 1);
        const edited = op === 'insert' ? xml.slice(0, i) + c + xml.slice(i) : op === 'remove' ? xml.slice(0, i) + xml.slice(i + 1) : xml.slice(0, i) + c + xml.slice(i + 1);
        agrees(edited);
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees with the full scan on every message type as our encoder writes it', () => {
    Object.assign(taken, { yes: 0, no: 0 });
    fc.assert(fc.property(anyMessage, (m) => agrees(encodeMessage(m))), { numRuns: RUNS });
    expect(taken.yes).toBeGreaterThan(0);
    expect(taken.no).toBeGreaterThan(0);
  });

  it('declines when a limit is within reach, so the full scan refuses with its own error', () => {
    const xml = encodeMessage({ channel: 'connector', command: 'ack', seq: 7 } as TapiMessage);
    expect(flatDocument(xml, DEFAULT_XML_LIMITS)).toBeDefined();
    for (const limits of [{ ...DEFAULT_XML_LIMITS, maxElements: 2 }, { ...DEFAULT_XML_LIMITS, maxDepth: 1 }, { ...DEFAULT_XML_LIMITS, maxDocumentBytes: xml.length - 1 }]) {
      expect(flatDocument(xml, limits)).toBeUndefined();
      expect(() => parseXml(xml, limits)).toThrow(ProtocolError);
    }
    // At the limits exactly, both take it.
    agrees(xml, { maxDocumentBytes: xml.length, maxDepth: 2, maxElements: 3 });
    expect(flatDocument(xml, { maxDocumentBytes: xml.length, maxDepth: 2, maxElements: 3 })).toBeDefined();
  });

  it("takes the documents it exists for: a connector's callState, ack and keepalive", () => {
    const callState = { channel: 'connector', command: 'callState', seq: 5, timestamp: '2026-12-04T21:27:05.985Z', line: '1234', callId: 'c77', state: 'offering', origin: 'inbound', callerNumber: '030 5001234', snapshot: false } as TapiMessage;
    for (const m of [callState, { channel: 'connector', command: 'ack', seq: 9 }, { channel: 'connector', command: 'keepalive' }] as TapiMessage[]) {
      const xml = encodeMessage(m);
      expect(flatDocument(xml, DEFAULT_XML_LIMITS), xml).toBeDefined();
      agrees(xml);
    }
  });
});
