// Documents for the differential test of our XML pass: well-formed ones from
// a small grammar (declaration, comments, PIs, CDATA, references, attributes
// in both quotes, non-ASCII names, CR LF) and hostile ones made by mutating
// them (a piece inserted, deleted, repeated or the document cut short).
import fc from 'fast-check';

export interface Doc {
  xml: string;
}

// Names without ':' keep libxml2's namespace checks (not XML 1.0 well-formedness) out of the arbitration.
const nameStart = fc.constantFrom('a', 'b', 'Z', '_', 'é', 'Ω', '中', 'x');
const nameRest = fc.constantFrom('a', '1', '-', '.', '_', 'é', '·', 'ß', 'Z');
export const xmlName = fc.tuple(nameStart, fc.array(nameRest, { maxLength: 6 })).map(([s, r]) => s + r.join(''));

const textPiece = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[a-zA-Z0-9 äöüß€.,;:+()\-\t\n]{1,12}$/) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '&#65;', '&#xE4;', '&#x1F600;', '&#0065;', '"', "'", '>', ']x', '😀', '\r\n', '\r'),
  },
  { weight: 1, arbitrary: fc.constantFrom('<![CDATA[<x> &amp; ]]>', '<![CDATA[]]>', '<!-- a > b -->', '<!---->', '<?pi data?>', '<?pi?>') },
);

const attrValue = fc
  .array(fc.oneof(fc.stringMatching(/^[a-z0-9 >'\t\n]{0,6}$/), fc.constantFrom('&amp;', '&lt;', '&quot;', '&#x41;', '\r\n', 'é')), { maxLength: 3 })
  .map((parts) => parts.join(''));

const attributes = fc.uniqueArray(fc.tuple(xmlName, attrValue, fc.constantFrom('"', "'"), fc.constantFrom(' ', '  ', '\n', ' \t')), {
  maxLength: 3,
  selector: ([n]) => n,
});

const element: fc.Memo<Doc> = fc.memo((depth) =>
  fc
    .tuple(
      xmlName,
      attributes,
      depth <= 1 ? fc.constant([]) : fc.array(fc.oneof(textPiece.map((t) => ({ xml: t })), element(depth - 1)), { maxLength: 4 }),
      fc.constantFrom('', ' ', '\n'),
    )
    .map(([n, attrs, content, endSpace]) => {
      // A value in "…" may hold ' and the other way round; the other quote is escaped.
      const a = attrs.map(([k, v, q, s]) => `${s}${k}=${q}${v.replaceAll(q, q === '"' ? '&quot;' : '&apos;')}${q}`).join('');
      return { xml: content.length === 0 ? `<${n}${a}${endSpace}/>` : `<${n}${a}${endSpace}>${content.map((c) => c.xml).join('')}</${n}${endSpace}>` };
    }),
);

const prolog = fc.constantFrom(
  '',
  '<?xml version="1.0" encoding="utf-8"?>',
  "<?xml version='1.0'?>",
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
  '\ufeff<?xml version="1.0" encoding="utf-8"?>',
  '<!-- before -->\n',
  '<?pi before?>',
  ' \n',
);
const epilog = fc.constantFrom('', '\n', '<!-- after -->', ' <?pi after?> ', '\r\n');

/** Well-formed documents (all within the default limits). */
export const wellFormed: fc.Arbitrary<Doc> = fc.tuple(prolog, element(4), epilog).map(([p, e, t]) => ({ xml: p + e.xml + t }));

/** Pieces that break or probe well-formedness when dropped anywhere into a document. */
const HOSTILE = [
  '<', '>', '&', '"', "'", '=', '/', '</', '/>', '<a', '</a>', ']]>', '--', '<!--', '-->', '<![CDATA[', '<?', '?>',
  '<!DOCTYPE a>', '<!ENTITY e "x">', '<!ELEMENT a ANY>', '&e;', '&lol;', '&#;', '&#x;', '&#0;', '&#x110000;', '&#xD800;', '&#65',
  '&amp', '<?xml version="1.0"?>', '<?XML x?>', '<?xml-stylesheet x?>', ' a="1"', ' a=1', ' a', 'a="1"',
  '\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\ufffe', '\uffff', '\ud800', '\udc00', '😀', '\ufeff', '\r', '\t',
  '<b/>', '<é/>', '<1/>', '<-a/>', '< a/>', '<a b="<"/>', '<a b="&"/>', '<a b="1" b="2"/>', '<a b="1"c="2"/>',
];

/** A well-formed document with one hostile edit: mostly not well-formed, sometimes still fine. */
export const mutated: fc.Arbitrary<Doc> = fc
  .tuple(wellFormed, fc.nat(), fc.nat(), fc.constantFrom(...HOSTILE), fc.integer({ min: 0, max: 3 }))
  .map(([{ xml }, a, b, piece, kind]) => {
    const i = a % (xml.length + 1);
    const j = i + (b % 8);
    switch (kind) {
      case 0:
        return { xml: xml.slice(0, i) + piece + xml.slice(i) };
      case 1:
        return { xml: xml.slice(0, i) + xml.slice(j) };
      case 2:
        return { xml: xml.slice(0, j) + xml.slice(i, j) + xml.slice(j) };
      default:
        return { xml: xml.slice(0, i) };
    }
  });

/** Any document: well-formed, mutated or pure noise from the hostile pieces. */
export const anyDocument: fc.Arbitrary<Doc> = fc.oneof(
  { weight: 3, arbitrary: wellFormed },
  { weight: 6, arbitrary: mutated },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...HOSTILE, 'a', ' '), { maxLength: 12 }).map((p) => ({ xml: p.join('') })) },
);
