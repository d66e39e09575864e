// `npm run build:windows`: cross-compiles the addon for Windows x64 with
// mingw-w64 (posix threads), linked against tapi32 and an import library for
// node.exe's Node-API functions, into the prebuildify layout node-gyp-build
// loads (prebuilds/win32-x64/node.napi.node) — so a Windows operator needs no
// compiler. Also builds the fake TSP as tapi32.dll (build-win/, tests only).
// Any compiler or linker error fails the script.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const native = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Not under build/: node-gyp's rebuild of the Linux addon empties that directory.
const out = join(native, 'build-win');
const prebuilds = join(native, 'prebuilds', 'win32-x64');
const cxx = process.env.MINGW_CXX ?? 'x86_64-w64-mingw32-g++-posix';
const dlltool = process.env.MINGW_DLLTOOL ?? 'x86_64-w64-mingw32-dlltool';
const nodeHeaders = process.env.NODE_HEADERS ?? resolve(dirname(process.execPath), '..', 'include', 'node');
const addonApi = createRequire(import.meta.url)('node-addon-api').include_dir.replace(/^"|"$/g, '');

function run(cmd, args) {
  process.stdout.write(`${cmd} ${args.join(' ')}\n`);
  execFileSync(cmd, args, { stdio: 'inherit' });
}

mkdirSync(out, { recursive: true });
mkdirSync(prebuilds, { recursive: true });

// node.exe exports the Node-API; an addon imports it by name from "node.exe".
const names = new Set();
for (const header of ['js_native_api.h', 'node_api.h']) {
  const text = readFileSync(join(nodeHeaders, header), 'utf8');
  for (const m of text.matchAll(/NAPI_EXTERN\s+[\w\s*]*?\b((?:napi|node_api)_\w+)\s*\(/g)) names.add(m[1]);
}
if (names.size < 100) throw new Error(`only ${names.size} Node-API functions found in ${nodeHeaders}`);
const def = join(out, 'node.def');
writeFileSync(def, `LIBRARY node.exe\nEXPORTS\n${[...names].sort().map((n) => `  ${n}\n`).join('')}`);
run(dlltool, ['-d', def, '-l', join(out, 'libnode.a'), '-D', 'node.exe']);

// -static: libstdc++, libgcc and winpthread inside the binary, which then needs nothing beside node.exe and system DLLs
// (import libraries such as libtapi32.a still bind to their DLLs).
const common = ['-std=c++17', '-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-static', '-DUNICODE', '-D_UNICODE'];
const staticThreads = [];

run(cxx, [
  ...common,
  '-DNAPI_VERSION=8',
  '-DNAPI_CPP_EXCEPTIONS',
  `-I${nodeHeaders}`,
  `-I${addonApi}`,
  join(native, 'src', 'addon.cc'),
  join(native, 'src', 'session.cc'),
  join(native, 'src', 'tapi-structs.cc'),
  '-o',
  join(prebuilds, 'node.napi.node'),
  `-L${out}`,
  '-lnode',
  '-ltapi32',
  ...staticThreads,
]);

run(cxx, [...common, join(native, 'fake', 'fake-tsp.cc'), join(native, 'fake', 'fake-control.cc'), join(native, 'fake', 'fake-call-control.cc'), join(native, 'fake', 'tapi32.def'), '-o', join(out, 'tapi32.dll'), ...staticThreads]);
// The shipped binary may need only node.exe, TAPI and what every Windows has.
const objdump = process.env.MINGW_OBJDUMP ?? 'x86_64-w64-mingw32-objdump';
const needs = [...execFileSync(objdump, ['-p', join(prebuilds, 'node.napi.node')], { encoding: 'utf8' }).matchAll(/DLL Name: (\S+)/g)].map((m) => m[1].toLowerCase());
const allowed = ['node.exe', 'tapi32.dll', 'kernel32.dll', 'msvcrt.dll'];
const extra = needs.filter((dll) => !allowed.includes(dll));
if (extra.length > 0) throw new Error(`node.napi.node needs ${extra.join(', ')} beside ${allowed.join(', ')}`);
process.stdout.write(`built ${join(prebuilds, 'node.napi.node')} (needs ${needs.join(', ')}) and ${join(out, 'tapi32.dll')}\n`);
