// The direct XML serialiser (issue 18) against the reference, fast-xml-parser's
// builder: byte-for-byte the same document for every message type of the
// catalogue (random messages, tricky values) and for random trees with any
// Unicode text and attribute values, including the five special characters.
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { messageTree } from '../../src/protocol/codec.ts';
import { buildXml, buildXmlReference, type BuildElement } from '../../src/protocol/xml.ts';
import { MESSAGE_ARBITRARIES, TRICKY_VALUES } from './arbitraries.ts';

const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom(...TRICKY_VALUES, '&amp;', '<a>', `"'"`, '&<>\'"', ''));
const name = fc.constantFrom('a', 'callKey', 'x-y', 'm_1', 'tapiaction');
const tree: fc.Arbitrary<BuildElement> = fc.letrec<{ el: BuildElement }>((tie) => ({
  el: fc.record({
    name,
    attributes: fc.option(fc.dictionary(fc.constantFrom('name', 'id', 'k'), text, { maxKeys: 3 }), { nil: undefined }),
    body: fc.oneof({ depthSize: 'small' }, text.map((t) => ({ text: t })), fc.array(tie('el'), { maxLength: 4 }).map((children) => ({ children }))),
  }).map(({ name: n, attributes, body }) => ({ name: n, ...(attributes === undefined ? {} : { attributes }), ...body })),
})).el;

describe('direct XML writer = fast-xml-parser builder', () => {
  for (const [key, arbitrary] of Object.entries(MESSAGE_ARBITRARIES)) {
    test.prop([arbitrary], { numRuns: 100 })(key, (message) => {
      const t = messageTree(message);
      expect(buildXml(t)).toBe(buildXmlReference(t));
    });
  }
  test.prop([tree], { numRuns: 2000 })('random trees, any text', (t) => {
    expect(buildXml(t)).toBe(buildXmlReference(t));
  });
});
