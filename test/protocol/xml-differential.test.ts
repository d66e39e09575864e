// Our XML pass (src/protocol/xml-scan.ts) against fast-xml-parser, whose
// validator it replaced: on random and hostile documents both must accept and
// refuse alike and, where both accept, build the same tree. Where they
// disagree on well-formedness, libxml2 (xmllint, a conforming XML 1.0 parser)
// decides, and it must side with us: fast-xml-parser's validator has known
// gaps (control characters, `--` in comments, `<` and `&` in attribute
// values, `&#;`, a second root after an empty one, unterminated comments and
// PIs after the root…). Refusals that are our policy rather than XML's
// (DOCTYPE, entities, limits) are checked against the document itself.
//
// Runs XML_DIFFERENTIAL_RUNS documents (default 3,000; CI-sized).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ProtocolError } from '../../src/protocol/index.ts';
import { parseXml, type XmlElement } from '../../src/protocol/xml.ts';
import { codeOf } from './error-code.ts';
import { anyDocument, wellFormed } from './xml-documents.ts';

const RUNS = Number(process.env.XML_DIFFERENTIAL_RUNS ?? 3_000);
/** Generous: a shared 2-core machine can be ten times slower than a quiet one. */
const BUDGET_MS = 60_000 + RUNS * 20;

const oracle = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  // References are read below in one pass: its own reading leaves numeric ones as they are (XML 1.0 section 4.1 reads them).
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: '#cdata', // kept apart: no references are read inside CDATA
});

interface Plain {
  name: string;
  attributes: Record<string, string>;
  children: Plain[];
  text: string;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Character and predefined entity references, read once (`&amp;lt;` is `&lt;`). */
function references(text: string): string {
  return text.replace(/&#x([0-9a-fA-F]+);|&#([0-9]+);|&(lt|gt|amp|quot|apos);/g, (_, hex?: string, dec?: string, name?: string) =>
    name !== undefined ? (PREDEFINED[name] as string) : String.fromCodePoint(hex ? parseInt(hex, 16) : Number(dec)),
  );
}

function fromOracle(node: Record<string, unknown>): Plain | undefined {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (name === undefined || name === '#text') return undefined;
  const attributes: Record<string, string> = {};
  // It does not normalise attribute white space (section 3.3.3).
  for (const [k, v] of Object.entries((node[':@'] as Record<string, string> | undefined) ?? {})) attributes[k] = references(v.replace(/[\t\n]/g, ' '));
  const out: Plain = { name, attributes, children: [], text: '' };
  for (const child of node[name] as Record<string, unknown>[]) {
    if ('#text' in child) out.text += references(String(child['#text']));
    else if ('#cdata' in child) out.text += (child['#cdata'] as { '#text'?: unknown }[]).map((c) => String(c['#text'] ?? '')).join('');
    else {
      const sub = fromOracle(child);
      if (sub) out.children.push(sub);
    }
  }
  return out;
}

/** fast-xml-parser's tree of the root element; undefined if its parser fails or finds no element. */
function oracleTree(xml: string): Plain | undefined {
  let nodes: Record<string, unknown>[];
  try {
    nodes = oracle.parse(xml) as Record<string, unknown>[];
  } catch {
    return undefined;
  }
  const root = nodes.find((n) => !('#text' in n));
  return root === undefined ? undefined : fromOracle(root);
}

function plain(e: XmlElement): Plain {
  return { name: e.name, attributes: { ...e.attributes }, children: e.children.map(plain), text: e.text };
}

type Verdict = { ok: true; tree: Plain } | { ok: false; code: string };

function ours(xml: string): Verdict {
  try {
    return { ok: true, tree: plain(parseXml(xml)) };
  } catch (err) {
    if (err instanceof ProtocolError) return { ok: false, code: err.code };
    throw err;
  }
}

function theirs(xml: string): boolean {
  try {
    return XMLValidator.validate(xml, { allowBooleanAttributes: false }) === true;
  } catch {
    return false; // the validator throws on some inputs instead of reporting them
  }
}

/** Why a policy refusal is right for this document (independent of the scanner), or undefined. */
function policyReason(code: string, xml: string): string | undefined {
  if (code === 'doctype-forbidden') return /<!(?!--|\[CDATA\[)/.test(xml) ? 'markup declaration' : undefined;
  if (code === 'entity-forbidden') return /&(?!(?:lt|gt|amp|quot|apos);)[^ \t\r\n#&;<]+;/u.test(xml) ? 'undeclared entity' : undefined;
  return undefined;
}

/**
 * Which of `docs` libxml2 finds well-formed. One xmllint run for all of them;
 * errors (not warnings) name the file they are about.
 */
function libxml2WellFormed(docs: string[]): boolean[] {
  const dir = mkdtempSync(join(tmpdir(), 'xml-diff-'));
  try {
    const files = docs.map((xml, i) => {
      const file = join(dir, `d${i}.xml`);
      writeFileSync(file, xml, 'utf8');
      return file;
    });
    const run = spawnSync('xmllint', ['--noout', '--nonet', ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (run.error) throw run.error;
    const refused = new Set<string>();
    for (const line of run.stderr.split('\n')) {
      const m = /^(\S+\.xml):\d+: (?:parser|namespace) error/.exec(line);
      if (m?.[1] !== undefined) refused.add(m[1]);
    }
    return files.map((f) => !refused.has(f));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Documents libxml2 cannot judge from a file, which we must refuse: UTF-8
 * cannot carry a lone surrogate, and libxml2 takes U+0000 for the end of its input.
 */
// eslint-disable-next-line no-control-regex -- U+0000 is what this looks for
const UNJUDGEABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// XML 1.0 productions [23]-[32], [80]-[81]: the XML declaration. libxml2 only warns about a bad
// version number or missing white space between the pseudo-attributes, so it cannot judge them.
const S = '[ \\t\\r\\n]+';
const EQ = '[ \\t\\r\\n]*=[ \\t\\r\\n]*';
const quoted = (body: string) => `(?:"${body}"|'${body}')`;
const XML_DECL = new RegExp(
  `^\ufeff?<\\?xml${S}version${EQ}${quoted('1\\.[0-9]+')}(?:${S}encoding${EQ}${quoted('[A-Za-z][A-Za-z0-9._-]*')})?(?:${S}standalone${EQ}${quoted('(?:yes|no)')})?[ \\t\\r\\n]*\\?>`,
);
const HAS_XML_DECL = /^\ufeff?<\?xml[ \t\r\n?]/;

describe('our XML pass against fast-xml-parser (and libxml2 where they disagree)', () => {
  it('well-formed documents: both accept, same tree', () => {
    fc.assert(
      fc.property(wellFormed, ({ xml }) => {
        const v = ours(xml);
        expect(v).toMatchObject({ ok: true });
        expect(theirs(xml)).toBe(true);
        expect(v.ok && v.tree).toStrictEqual(oracleTree(xml));
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  }, BUDGET_MS);

  it(`random and hostile documents: same accept/reject, or libxml2 sides with us (${RUNS} documents)`, () => {
    const docs = fc.sample(anyDocument, { numRuns: RUNS });
    const disputed: { xml: string; weAccept: boolean }[] = [];
    let agreed = 0;
    for (const { xml } of docs) {
      const v = ours(xml);
      const fxp = theirs(xml);
      if (v.ok && fxp) {
        agreed += 1;
        // Its parser trims names with String.prototype.trim, which drops U+FEFF, a name character of XML 1.0 (fifth edition).
        if (xml.includes('\ufeff', 1)) continue;
        const tree = oracleTree(xml);
        if (tree === undefined) {
          // Its parser refuses what its validator passed (e.g. `?>` split by a `>` in a PI): libxml2 decides.
          disputed.push({ xml, weAccept: true });
          continue;
        }
        expect(v.tree, xml).toStrictEqual(tree);
      } else if (!v.ok && v.code !== 'malformed-xml') {
        // Our policy, not XML's: the document must show why.
        expect(policyReason(v.code, xml), `${v.code}: ${JSON.stringify(xml)}`).toBeDefined();
      } else if (v.ok === fxp) {
        agreed += 1;
      } else if (UNJUDGEABLE.test(xml) || (HAS_XML_DECL.test(xml) && !XML_DECL.test(xml))) {
        expect(v.ok, JSON.stringify(xml)).toBe(false);
      } else {
        disputed.push({ xml, weAccept: v.ok });
      }
    }
    const judged = libxml2WellFormed(disputed.map((d) => d.xml));
    const wrong = disputed.filter((d, i) => judged[i] !== d.weAccept).map((d) => `${d.weAccept ? 'we accept' : 'we refuse'}: ${JSON.stringify(d.xml)}`);
    expect(wrong).toStrictEqual([]);
    // The sample must exercise both sides, or it proves nothing.
    expect(agreed).toBeGreaterThan(RUNS / 3);
    expect(docs.filter(({ xml }) => !ours(xml).ok).length).toBeGreaterThan(RUNS / 5);
  }, BUDGET_MS);
});

describe('hostile documents, one of each kind', () => {
  it.each([
    ['DOCTYPE with an internal subset', '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', 'doctype-forbidden'],
    ['quadratic blowup without a DTD', `<a>${'&e;'.repeat(10_000)}</a>`, 'entity-forbidden'],
    ['entity in an attribute value', '<a b="&e;"/>', 'entity-forbidden'],
    ['oversize attribute value', `<a b="${'x'.repeat(70_000)}"/>`, 'document-too-large'],
    ['unclosed tags', '<tapiaction name="connector"><command>ack', 'malformed-xml'],
    ['misnested tags', '<a><b></a></b>', 'malformed-xml'],
    ['unterminated CDATA', '<a><![CDATA[x]]</a>', 'malformed-xml'],
    [']]> in text', '<a>x]]>y</a>', 'malformed-xml'],
    ['-- inside a comment', '<a><!-- x -- y --></a>', 'malformed-xml'],
    ['unterminated comment after the root', '<a/><!-- x', 'malformed-xml'],
    ['duplicate attribute', '<a b="1" b="2"/>', 'malformed-xml'],
    ['attributes without white space between them', '<a b="1"c="2"/>', 'malformed-xml'],
    ['< in an attribute value', '<a b="<"/>', 'malformed-xml'],
    ['bare & in an attribute value', '<a b="&"/>', 'malformed-xml'],
    ['character reference to a surrogate', '<a>&#xD800;</a>', 'malformed-xml'],
    ['character reference past U+10FFFF', '<a>&#x110000;</a>', 'malformed-xml'],
    ['empty character reference', '<a>&#;</a>', 'malformed-xml'],
    ['U+FFFE in text', '<a>\ufffe</a>', 'malformed-xml'],
    ['a lone surrogate in text', '<a>\udc00</a>', 'malformed-xml'],
    ['NUL in an attribute value', '<a b="\u0000"/>', 'malformed-xml'],
    ['a second root after an empty root', '<a/><b/>', 'malformed-xml'],
    ['a second XML declaration', '<?xml version="1.0"?><?xml version="1.0"?><a/>', 'malformed-xml'],
    ['an XML declaration after white space', ' <?xml version="1.0"?><a/>', 'malformed-xml'],
    ['an XML declaration without version', '<?xml encoding="utf-8"?><a/>', 'malformed-xml'],
    ['a name starting with a digit', '<1a/>', 'malformed-xml'],
    ['the reserved target XML in another case', '<a><?XML x?></a>', 'malformed-xml'],
    ['text before the root', 'x<a/>', 'malformed-xml'],
  ])('%s', (_, xml, code) => {
    expect(codeOf(() => parseXml(xml))).toBe(code);
  });

  it('reads what is well-formed however large or odd, within the limits', () => {
    expect(parseXml(`<a b="${'x'.repeat(60_000)}"/>`).attributes.b).toHaveLength(60_000);
    expect(parseXml(`<a${' '.repeat(60_000)}/>`).name).toBe('a');
    // Namespaces are not interpreted: ':' is a name character like any other.
    expect(parseXml('<a:b x:y="1"/>')).toMatchObject({ name: 'a:b', attributes: { 'x:y': '1' } });
    expect(parseXml('<a b="\t1\r\n2\n"/>').attributes.b).toBe(' 1 2 ');
    const many = Array.from({ length: 3_000 }, (_, i) => ` a${i}="${i}"`).join('');
    expect(Object.keys(parseXml(`<a${many}/>`).attributes)).toHaveLength(3_000);
    expect(parseXml('\ufeff<?xml version="1.1" standalone=\'no\' ?><!--c--><?pi x?><𐀀·中 é="&#x10000;"><![CDATA[<&>]]>\r\n</𐀀·中>')).toStrictEqual({
      name: '𐀀·中',
      attributes: Object.assign(Object.create(null) as object, { é: '\u{10000}' }),
      children: [],
      text: '<&>\n',
    });
  });
});
