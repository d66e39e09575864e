// `npm run build`: the release build. Compiles src/ and simulator/ (the CLI
// is their composition root) with tsc into dist/ (tsconfig.build.json, which
// rewrites the sources' `.ts` import specifiers to `.js`), then bundles the
// browser client into dist/client/. Generic on purpose: every file under
// src/ and simulator/ is compiled, whoever adds it.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const dir of ['dist/src', 'dist/simulator', 'dist/scripts']) rmSync(new URL(`../${dir}`, import.meta.url), { recursive: true, force: true });

function run(label, command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    process.stderr.write(`error: build-failed: ${label} ended with status ${result.status ?? result.signal}\n`);
    process.exit(1);
  }
}

run('tsc', process.execPath, [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '-p', 'tsconfig.build.json']);
run('client bundle', process.execPath, ['--import', 'tsx', 'scripts/build-client.ts']);
process.stdout.write('build: dist/src, dist/simulator (tsc) and dist/client (esbuild) are ready\n');
