// Bundles the browser client with esbuild into dist/client/: the Dynamics web
// resource (crm-tapi-webresource.html + .js, uploadable as they are) and the
// stand-alone softphone panel the manager serves (panel.html +
// crm-tapi-panel.js). Run: npx tsx scripts/build-client.ts [outDir]
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { packageRoot } from '../src/config/package-root.ts';

const ROOT = packageRoot();
export const DEFAULT_CLIENT_DIR = join(ROOT, 'dist', 'client');

export interface BuiltClient {
  outDir: string;
  files: string[];
}

export async function buildClient(outDir: string = DEFAULT_CLIENT_DIR, options: { minify?: boolean } = {}): Promise<BuiltClient> {
  // Built beside and renamed into place: a manager (or a test) serving the old files never reads a half-written one.
  const stage = join(outDir, `.build-${randomBytes(4).toString('hex')}`);
  await mkdir(stage, { recursive: true });
  try {
    await build({
      entryPoints: {
        'crm-tapi-webresource': join(ROOT, 'src/client/entry/webresource.ts'),
        'crm-tapi-panel': join(ROOT, 'src/client/entry/panel.ts'),
      },
      outdir: stage,
      bundle: true,
      format: 'iife',
      platform: 'browser',
      // Dynamics 365 supports current Edge/Chrome/Firefox/Safari only.
      target: ['chrome110', 'firefox110', 'safari16'],
      minify: options.minify ?? true,
      sourcemap: 'linked',
      legalComments: 'linked',
      logLevel: 'silent',
    });
    await copyFile(join(ROOT, 'src/client/html/panel.html'), join(stage, 'panel.html'));
    await copyFile(join(ROOT, 'src/client/html/webresource.html'), join(stage, 'crm-tapi-webresource.html'));
    for (const f of await readdir(stage)) await rename(join(stage, f), join(outDir, f));
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return { outDir, files: ['crm-tapi-webresource.js', 'crm-tapi-webresource.html', 'crm-tapi-panel.js', 'panel.html'] };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? DEFAULT_CLIENT_DIR);
  buildClient(out).then(
    (b) => process.stdout.write(`client built into ${b.outDir}: ${b.files.join(', ')}\n`),
    (err: unknown) => {
      process.stderr.write(`error: client-build-failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
