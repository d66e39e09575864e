// Our single-pass tree builder (xml-scan.ts) against fast-xml-parser's own
// parser as the oracle: on random well-formed documents both must see the
// same elements, attributes and text.
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { XMLParser } from 'fast-xml-parser';
import { parseXml, type XmlElement } from '../../src/protocol/xml.ts';

const oracle = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

interface Plain {
  name: string;
  attributes: Record<string, string>;
  children: Plain[];
  text: string;
}

function fromOracle(node: Record<string, unknown>): Plain | undefined {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (name === undefined || name === '#text') return undefined;
  const attributes = { ...((node[':@'] as Record<string, string> | undefined) ?? {}) };
  const out: Plain = { name, attributes, children: [], text: '' };
  for (const child of node[name] as Record<string, unknown>[]) {
    // fast-xml-parser 5.12 leaves numeric character references as they are; XML 1.0 section 4.1 reads them.
    if ('#text' in child) out.text += String(child['#text']).replace(/&#x([0-9a-fA-F]+);|&#([0-9]+);/g, (_, hex?: string, dec?: string) => String.fromCodePoint(hex ? parseInt(hex, 16) : Number(dec)));
    else {
      const sub = fromOracle(child);
      if (sub) out.children.push(sub);
    }
  }
  return out;
}

function plain(e: XmlElement): Plain {
  return { name: e.name, attributes: { ...e.attributes }, children: e.children.map(plain), text: e.text };
}

const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_.-]{0,8}$/);
const textPiece = fc.oneof(
  fc.stringMatching(/^[a-zA-Z0-9 äöüß€.,;:+()-]{1,12}$/),
  fc.constantFrom('&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '&#65;', '&#xE4;', '&#x1F600;', '"', "'", '>', '<![CDATA[<x> &amp; ]]>', '<!-- a > b -->'),
);

interface Gen {
  xml: string;
}

const element: fc.Memo<Gen> = fc.memo((depth) =>
  fc
    .tuple(
      name,
      fc.uniqueArray(fc.tuple(name, fc.array(fc.oneof(fc.stringMatching(/^[a-z0-9 ]{0,6}$/), fc.constant('&amp;')), { maxLength: 2 })), {
        maxLength: 2,
        selector: ([n]) => n,
      }),
      depth <= 1 ? fc.constant([]) : fc.array(fc.oneof(textPiece.map((t) => ({ xml: t })), element(depth - 1)), { maxLength: 4 }),
    )
    .map(([n, attrs, content]) => {
      const a = attrs.map(([k, v]) => ` ${k}="${v.join('')}"`).join('');
      return { xml: content.length === 0 ? `<${n}${a}/>` : `<${n}${a}>${content.map((c) => c.xml).join('')}</${n}>` };
    }),
);

describe('tree builder agrees with fast-xml-parser', () => {
  test.prop([element(4)], { numRuns: 400 })('random well-formed documents', ({ xml }) => {
    const ours = plain(parseXml(xml));
    const theirs = fromOracle((oracle.parse(xml) as Record<string, unknown>[])[0] as Record<string, unknown>);
    expect(ours).toStrictEqual(theirs);
  });
});
