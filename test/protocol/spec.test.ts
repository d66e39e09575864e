import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogueMarkdown } from './spec-catalogue.ts';

describe('spec/protocol.md', () => {
  it('holds the catalogue generated from the code (run npx tsx test/protocol/spec-catalogue.ts)', () => {
    const spec = readFileSync(new URL('../../spec/protocol.md', import.meta.url), 'utf8');
    const begin = '<!-- catalogue:begin -->\n';
    const section = spec.slice(spec.indexOf(begin) + begin.length, spec.indexOf('<!-- catalogue:end -->'));
    expect(section).toBe(`${catalogueMarkdown()}\n`);
  });
});
