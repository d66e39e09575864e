// The direct XML serialiser (issue 18) against the reference, fast-xml-parser's
// builder: byte-for-byte the same document for every message type of the
// catalogue (random messages, tricky values) and for random trees with any
// Unicode text and attribute values, including the five special characters.
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { encodeMessage, messageTree } from '../../src/protocol/encode.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { buildXml, buildXmlReference, type BuildElement } from '../../src/protocol/xml.ts';
import { anyMessage, MESSAGE_ARBITRARIES, TRICKY_VALUES } from './arbitraries.ts';
import type { TapiMessage } from '../../src/protocol/messages.ts';

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
      // encodeMessage writes the text straight, without the tree: the same bytes as the reference.
      expect(encodeMessage(message)).toBe(buildXmlReference(t));
    });
  }
  test.prop([tree], { numRuns: 2000 })('random trees, any text', (t) => {
    expect(buildXml(t)).toBe(buildXmlReference(t));
  });
});

/** What encoding `m` throws (code, message, context), or the document it writes. */
function outcome(encode: (m: never) => unknown, m: unknown): unknown {
  try {
    return encode(m as never);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return { code: err.code, message: err.message, context: JSON.stringify(err) };
  }
}

describe('the direct writer refuses what the tree refuses, with the same error', () => {
  const broken = fc.tuple(anyMessage, fc.constantFrom('drop', 'extra', 'wrong', 'envelope'), fc.nat(), fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.string({ maxLength: 5 }), fc.constant([1]), fc.constant({ a: 1 }))).map(([m, how, n, v]) => {
    const copy: Record<string, unknown> = { ...m };
    const keys = Object.keys(copy).filter((k) => k !== 'channel' && k !== 'command');
    const key = keys[n % Math.max(1, keys.length)];
    if (how === 'drop' && key !== undefined) delete copy[key];
    else if (how === 'extra') copy[`x${n % 3}`] = v ?? 1;
    else if (how === 'wrong' && key !== undefined) copy[key] = v;
    else if (how === 'envelope') copy[n % 2 === 0 ? 'channel' : 'command'] = v;
    return copy;
  });
  test.prop([broken], { numRuns: 3000 })('random broken messages', (m) => {
    const viaTree = outcome((x: TapiMessage) => buildXmlReference(messageTree(x)), m);
    expect(outcome(encodeMessage, m)).toEqual(viaTree);
  });
});

// encodeMessage reuses one list of pieces from message to message (issue 18): whatever came before —
// a longer message, a shorter one, one refused half-way — each document is still exactly the reference's.
describe('the direct writer from message to message', () => {
  const mixed = fc.array(fc.oneof(anyMessage, anyMessage.map((m) => ({ ...m, [`x${m.command.length % 3}`]: 1 }))), { minLength: 2, maxLength: 12 });
  test.prop([mixed], { numRuns: 300 })('a run of messages, some refused: each written as the reference writes it', (messages) => {
    for (const m of messages) expect(outcome(encodeMessage, m)).toEqual(outcome((x: TapiMessage) => buildXmlReference(messageTree(x)), m));
  });
  test.prop([anyMessage, anyMessage], { numRuns: 200 })('a message encoded while another is being encoded (a getter on a field)', (outer, inner) => {
    const key = Object.keys(outer).find((k) => k !== 'channel' && k !== 'command');
    if (key === undefined) return;
    const value = (outer as unknown as Record<string, unknown>)[key];
    const inners: unknown[] = [];
    const tricky = { ...outer } as Record<string, unknown>;
    Object.defineProperty(tricky, key, { enumerable: true, get: () => (inners.push(outcome(encodeMessage, inner)), value) });
    expect(outcome(encodeMessage, tricky)).toEqual(outcome(encodeMessage, outer));
    expect(inners.length).toBeGreaterThan(0);
    for (const got of inners) expect(got).toEqual(outcome((x: TapiMessage) => buildXmlReference(messageTree(x)), inner));
  });
});
