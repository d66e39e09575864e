import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('src/protocol is browser-safe', () => {
  it('bundles for the browser with no Node built-in', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../../src/protocol/index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      metafile: true,
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => i.startsWith('node:') || /(^|\/)node_modules\/(buffer|process|stream)\//.test(i))).toEqual([]);
  });
});
