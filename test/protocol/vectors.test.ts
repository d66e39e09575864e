import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runVector, vectorProblem, type Vector } from '../../src/protocol/vectors.ts';
import { commandsOf, CHANNELS } from '../../src/protocol/index.ts';

const dir = fileURLToPath(new URL('../../spec/vectors/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const vectors = files.map((file) => ({ file, vector: JSON.parse(readFileSync(dir + file, 'utf8')) as Vector }));

describe('spec/vectors', () => {
  it('holds the manual traces and at least one vector per message', () => {
    const names = vectors.map((v) => v.vector.name);
    expect(names).toEqual(expect.arrayContaining(['manual-v5-connect-sent', 'manual-v8-handshake-as-printed', 'manual-v8-handshake-corrected']));
    const decoded = new Set(vectors.flatMap(({ vector }) => ('messages' in vector.expect ? vector.expect.messages : [])).map((m) => `${(m as { channel: string }).channel}/${(m as { command: string }).command}`));
    for (const ch of CHANNELS) for (const cmd of commandsOf(ch)) expect(decoded, `${ch}/${cmd}`).toContain(`${ch}/${cmd}`);
  });

  for (const { file, vector } of vectors) {
    it(`${file}: ${vector.description}`, () => {
      expect(vectorProblem(vector)).toBeUndefined();
      expect(file).toBe(`${vector.name}.json`);
      const outcome = runVector(vector);
      if ('error' in vector.expect) {
        expect(outcome.error).toBe(vector.expect.error);
      } else {
        expect(outcome.error).toBeUndefined();
        expect(outcome.messages).toStrictEqual(vector.expect.messages);
        if (vector.canonical) expect(outcome.encoded).toBe('xml' in vector.input ? vector.input.xml : vector.input.framedHex);
      }
    });
  }
});
