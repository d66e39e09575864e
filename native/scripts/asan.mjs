// `npm run test:asan`: builds the Linux addon (fake TSP) with AddressSanitizer
// and runs native/scripts/asan-shutdown.mjs under it. Fails on any memory
// error, and on any leak whose stack passes through the addon's or the fake's
// sources (Node's own allocations at exit are not ours to judge).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const native = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(native, 'build-asan');
mkdirSync(out, { recursive: true });
const headers = resolve(dirname(process.execPath), '..', 'include', 'node');
const addonApi = createRequire(import.meta.url)('node-addon-api').include_dir.replace(/^"|"$/g, '');
const tapiH = execFileSync(process.execPath, [join(native, 'scripts', 'tapi-header.mjs')], { encoding: 'utf8' });
const addon = join(out, 'crm_tapi.node');
execFileSync(
  'g++',
  [
    '-std=c++17', '-g', '-O1', '-fno-omit-frame-pointer', '-fsanitize=address', '-shared', '-fPIC',
    '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-DCRM_TAPI_FAKE_LINKED', `-DTAPI_H_PATH="${tapiH}"`,
    `-I${headers}`, `-I${addonApi}`, `-I${join(native, 'fake', 'win')}`,
    ...['src/addon.cc', 'src/session.cc', 'src/tapi-structs.cc', 'fake/fake-tsp.cc', 'fake/fake-control.cc', 'fake/fake-call-control.cc'].map((f) => join(native, f)),
    '-o', addon,
  ],
  { stdio: 'inherit' },
);
const libasan = execFileSync('g++', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
const run = spawnSync(process.execPath, [join(native, 'scripts', 'asan-shutdown.mjs'), addon], {
  encoding: 'utf8',
  env: { ...process.env, LD_PRELOAD: libasan, ASAN_OPTIONS: 'detect_leaks=1:exitcode=0:halt_on_error=1' },
  timeout: 600_000,
});
process.stdout.write(run.stdout);
const reports = run.stderr.split(/\n(?=Direct leak|Indirect leak)/);
const ours = reports.filter((r) => /(Direct|Indirect) leak/.test(r) && /native\/(src|fake|common)\//.test(r));
const errors = /ERROR: AddressSanitizer/.test(run.stderr);
if (errors) process.stderr.write(run.stderr);
for (const r of ours) process.stderr.write(`${r}\n`);
const ok = run.status === 0 && !errors && ours.length === 0 && /rounds done/.test(run.stdout);
process.stdout.write(ok ? 'asan: no memory errors, no leaks in the addon or the fake TSP\n' : `asan: failed (exit ${run.status})\n`);
process.exitCode = ok ? 0 : 1;
