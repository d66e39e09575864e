// The README's screenshots stay true: `npm run screenshots` (scripts/screenshots.ts)
// runs against the demo stack in Chromium and writes its three PNGs, and every
// image the README shows exists in the repository.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCREENSHOTS, takeScreenshots } from '../../scripts/screenshots.ts';
import { packageRoot } from '../../src/config/package-root.ts';
import { HAVE_CHROMIUM } from './support/chromium.ts';

const ROOT = packageRoot();

/** Width and height from a PNG's IHDR chunk; undefined when it is not a PNG. */
function pngSize(b: Buffer): { width: number; height: number } | undefined {
  if (b.length < 24 || b.toString('latin1', 1, 4) !== 'PNG' || b.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('README screenshots', () => {
  it('every image the README shows is a PNG in the repository, and they are the script\'s three', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]+\]\(([^)]+)\)/g)].map((m) => m[1]!);
    expect(images).toEqual(expect.arrayContaining(SCREENSHOTS.map((f) => `docs/img/${f}`)));
    for (const path of images) {
      const b = await readFile(join(ROOT, path));
      expect(pngSize(b), path).toBeDefined();
      expect(b.length, `${path} is kept small`).toBeLessThan(150_000);
    }
  });

  it.skipIf(!HAVE_CHROMIUM)('npm run screenshots writes the ringing popup, the connected call and the panel at 340 px', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crm-tapi-shots-'));
    try {
      const files = await takeScreenshots(dir);
      expect(files.map((f) => f.slice(dir.length + 1))).toEqual([...SCREENSHOTS]);
      const sizes = await Promise.all(files.map(async (f) => pngSize(await readFile(f))));
      expect(sizes).toEqual([{ width: 420, height: 520 }, { width: 420, height: 520 }, { width: 340, height: 600 }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
