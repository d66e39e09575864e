// normalizeGuid's shortcut for a GUID already in its written form (bare, lower case; issue 18)
// against the rule it shortcuts: the regex, braces balanced, lower case.
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { normalizeGuid } from '../../src/protocol/fields.ts';

function reference(value: string): string | undefined {
  const t = value.trim();
  const m = /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$/.exec(t);
  if (m === null || m[1] === undefined) return undefined;
  if (t.startsWith('{') !== t.endsWith('}')) return undefined;
  return m[1].toLowerCase();
}

const caseOf = fc.constantFrom('lower', 'upper', 'mixed');
const guid = fc.tuple(fc.uuid(), caseOf, fc.nat()).map(([u, c, n]) =>
  c === 'lower' ? u : c === 'upper' ? u.toUpperCase() : [...u].map((ch, i) => ((i + n) % 3 === 0 ? ch.toUpperCase() : ch)).join(''),
);
const dressed = fc.tuple(guid, fc.constantFrom('', '{', '}', '{}'), fc.constantFrom('', ' ', '\t', ' \n')).map(([g, braces, ws]) =>
  `${ws}${braces.includes('{') ? '{' : ''}${g}${braces.includes('}') ? '}' : ''}${ws}`,
);
// One character replaced, inserted or removed anywhere, by one of those a GUID is near to.
const near = fc.tuple(dressed, fc.nat(), fc.constantFrom('replace', 'insert', 'remove'), fc.constantFrom('-', 'a', 'F', '0', '9', 'g', 'G', ' ', '{', '}', '\u0660', 'ä', '')).map(([s, n, how, c]) => {
  const i = n % (s.length + 1);
  if (how === 'insert') return s.slice(0, i) + c + s.slice(i);
  if (how === 'remove') return s.slice(0, i) + s.slice(i + 1);
  return s.slice(0, i) + c + s.slice(i + 1);
});
// The written form itself with one character replaced: what the shortcut must tell apart.
const bareNear = fc.tuple(fc.uuid(), fc.nat(35), fc.constantFrom('-', 'a', 'f', 'F', '0', '9', 'g', ' ', '{', '}', '/', ':', '`', '@', 'ä')).map(
  ([u, i, c]) => u.slice(0, i) + c + u.slice(i + 1),
);

describe('normalizeGuid', () => {
  test.prop([fc.oneof(guid, dressed, near, bareNear, bareNear, fc.string({ minLength: 34, maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }))], { numRuns: 5000 })(
    'equals the regex rule on GUIDs in any dress, near misses and any string',
    (value) => {
      expect(normalizeGuid(value)).toBe(reference(value));
    },
  );
  test.prop([fc.uuid()])('a bare lower-case GUID comes back as the same string', (u) => {
    expect(normalizeGuid(u)).toBe(u);
  });
  test('near misses of the written form are refused or normalised, never passed through', () => {
    const u = '0123abcd-4567-89ef-0123-456789abcdef';
    expect(normalizeGuid(u)).toBe(u);
    expect(normalizeGuid(u.replace('-', 'x'))).toBeUndefined();
    expect(normalizeGuid(u.replace('-', ' '))).toBeUndefined();
    expect(normalizeGuid(u.replace('a', 'g'))).toBeUndefined();
    expect(normalizeGuid(u.toUpperCase())).toBe(u);
    expect(normalizeGuid(`{${u}`)).toBeUndefined();
    expect(normalizeGuid(`${u}0`)).toBeUndefined();
  });
});
