// `npm run build:native`: builds the addon for this machine with node-gyp —
// on Linux against the fake TSP (native/fake), on Windows against tapi32.
// Uses the headers of the running Node.js (no download) and npm's own
// node-gyp. Never run on install: installing crm-tapi must not need a compiler.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nodeDir = resolve(dirname(process.execPath), process.platform === 'win32' ? '.' : '..');
const candidates = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), process.platform === 'win32' ? '' : '..', process.platform === 'win32' ? '' : 'lib', 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
].filter((p) => p !== undefined && existsSync(p));
const gyp = candidates[0];
if (gyp === undefined) {
  process.stderr.write('node-gyp not found (it ships with npm); set npm_config_node_gyp to its bin/node-gyp.js\n');
  process.exit(1);
}
const args = [gyp, 'rebuild', `--directory=${nativeDir}`, '--jobs=2'];
if (existsSync(join(nodeDir, 'include', 'node', 'common.gypi'))) args.push(`--nodedir=${nodeDir}`);
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
