// The release as an operator installs it (issue 16 item 1): `npm pack` (which
// runs `npm run build`), then `npm install --global --omit=dev` of the
// tarball into an empty prefix — no tsx, no esbuild, no TypeScript — and the
// installed `crm-tapi`: --version, `demo` up to its panel URL (the panel and
// the client bundle served from the package), `manager --check-config`.
// Slow by nature (it compiles better-sqlite3 for the empty prefix): minutes.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GERMANY } from '../dialing/helpers.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'crm-tapi-release-'));
const prefix = join(work, 'prefix');
const bin = join(prefix, 'bin', 'crm-tapi');
/** The environment of a machine with only Node.js: no tsx loader, nothing from the checkout on the path. */
let contents: string[] = [];
const env = { PATH: `${join(prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin`, HOME: work, npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? work, '.npm') };

beforeAll(async () => {
  // prepack builds (tsc, client bundle) and adds npm-shrinkwrap.json; the JSON answer follows the build's output.
  const packed = await run('npm', ['pack', '--pack-destination', work, '--json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  const json = packed.stdout.slice(packed.stdout.search(/^\[\s*\{/m));
  const tarball = join(work, (JSON.parse(json) as { filename: string }[])[0]!.filename);
  expect(existsSync(join(ROOT, 'npm-shrinkwrap.json'))).toBe(false);
  contents = (await run('tar', ['-tzf', tarball], { maxBuffer: 16 * 1024 * 1024 })).stdout.split('\n');
  // better-sqlite3 is the one native module. prebuild-install normally downloads its binary from
  // GitHub (not reachable here) or compiles it (15+ minutes on CI's two cores); hand it the
  // checkout's binary of the same pinned version as a local prebuild, as an offline mirror would.
  const prebuilds = join(work, 'prebuilds');
  const sqlite = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string };
  mkdirSync(prebuilds);
  await run('tar', ['-czf', join(prebuilds, `better-sqlite3-v${sqlite.version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`), '-C', join(ROOT, 'node_modules', 'better-sqlite3'), 'build/Release/better_sqlite3.node']);
  await run('npm', ['install', '--global', '--omit=dev', '--no-audit', '--no-fund', '--prefix', prefix, tarball], {
    cwd: work, env: { ...process.env, ...env, npm_config_better_sqlite3_local_prebuilds: prebuilds }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024,
  });
}, 900_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed release installed into an empty prefix', () => {
  const installed = (): string => join(prefix, 'lib', 'node_modules', 'crm-tapi');

  it('holds compiled JavaScript, the client bundle, the tested dependency versions, and no sources or dev dependencies', () => {
    expect(contents).toContain('package/npm-shrinkwrap.json');
    expect(contents).toContain('package/LICENSE');
    expect(contents.filter((f) => f.startsWith('package/src/'))).toEqual([]);
    expect(existsSync(join(installed(), 'dist', 'src', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(installed(), 'dist', 'client', 'crm-tapi-panel.js'))).toBe(true);
    expect(existsSync(join(installed(), 'src'))).toBe(false);
    const modules = readdirSync(join(installed(), 'node_modules'));
    for (const dev of ['tsx', 'esbuild', 'typescript', 'vitest']) expect(modules).not.toContain(dev);
  });

  it('crm-tapi --version', async () => {
    const { stdout } = await run(bin, ['--version'], { env, timeout: 60_000 });
    expect(stdout.trim()).toBe(VERSION);
  });

  it('crm-tapi manager --check-config', async () => {
    const file = join(work, 'manager.toml');
    writeFileSync(file, ['CrmType = "OnPremise"', 'CrmServer = "http://crm.example.local"', 'CrmOrganisation = "contoso"', 'CrmUsername = "CONTOSO\\\\svc"', 'CrmPassword = "env:CRM_PASSWORD"', 'ConnectorKeys = ["release-test-connector-key-1"]', 'DataDir = "data"'].join('\n'));
    const { stdout } = await run(bin, ['manager', '--config', file, '--check-config'], { env: { ...env, CRM_PASSWORD: 'x' }, timeout: 60_000 });
    expect(stdout).toMatch(/^ok: CRM OnPremise http:\/\/crm\.example\.local organisation contoso, /);
    const bad = await run(bin, ['manager', '--config', file, '--check-config'], { env, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('CrmPassword: environment variable CRM_PASSWORD is not set') });
  });

  it('normalises directory pages in the key worker thread of the installed release (plain node, no tsx), with the main thread\'s codes', async () => {
    // The full directory build's worker (issue 18 target 3) boots key-worker.js beside worker-keys.js: in a
    // release that path must resolve to compiled JavaScript, or every full build falls back to the main thread.
    const directory = pathToFileURL(join(installed(), 'dist', 'src', 'dataverse', 'directory')).href;
    const script = join(work, 'key-worker-check.mjs');
    writeFileSync(script, `
const base = ${JSON.stringify(directory)} + '/';
const { dialingKeys } = await import(base + 'dialing-keys.js');
const { encodePhones, packPhones } = await import(base + 'page-keys.js');
const { KeyWorker } = await import(base + 'worker-keys.js');
const keys = dialingKeys(${JSON.stringify(GERMANY)});
const phones = ['+49 30 1234567', '030 1234567', '0049 (30) 12345-67', '0171 2345678', '26', 'anonymous', '', null, '+1 212 555 0100', 'Zentrale 0345 6789'];
const failures = [];
const worker = new KeyWorker(keys.recipe, (reason) => failures.push(reason));
const inWorker = await worker.encode(packPhones(phones.map((p) => ({ phones: [p] })), 1));
const inThread = encodePhones(phones, keys.crmKey);
console.log(JSON.stringify({ ready: worker.ready, failures, recipe: keys.recipe.module, worker: [...inWorker.codes], thread: [...inThread.codes] }));
await worker.close();
`);
    const { stdout } = await run(process.execPath, [script], { cwd: work, env, timeout: 60_000 });
    const result = JSON.parse(stdout) as { ready: boolean; failures: string[]; recipe: string; worker: number[]; thread: number[] };
    expect(result.failures).toEqual([]);
    expect(result.ready).toBe(true);
    expect(result.recipe).toMatch(/\/dist\/src\/dataverse\/directory\/dialing-keys\.js$/);
    expect(result.worker).toEqual(result.thread);
    expect(result.worker.filter((c) => c === c && c !== 0).length).toBeGreaterThanOrEqual(5); // real keys, not all "no key"
  });

  it("delivers a record from the outbox's delivery worker thread of the installed release (plain node, no tsx)", async () => {
    // The manager sends records from a worker that boots delivery-worker-entry.js beside delivery-worker.js: in a
    // release that path must resolve to compiled JavaScript, or every record falls back to the main thread.
    const outbox = pathToFileURL(join(installed(), 'dist', 'src', 'dataverse', 'outbox')).href;
    const script = join(work, 'delivery-worker-check.mjs');
    writeFileSync(script, `
import { createServer } from 'node:http';
const { DeliveryWorker } = await import(${JSON.stringify(outbox)} + '/delivery-worker.js');
const seen = [];
const server = createServer((req, res) => { seen.push(req.method + ' ' + req.url + ' ' + req.headers.authorization); req.resume(); req.on('end', () => { res.writeHead(204); res.end(); }); });
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const errors = [];
const logger = { debug() {}, info() {}, warn() {}, error: (_, msg) => errors.push(msg) };
const worker = new DeliveryWorker({
  connection: { kind: 'static-token', webApiUrl: 'http://127.0.0.1:' + server.address().port + '/api/data/v9.2/', token: 'release-check' },
  logger, fallback: { deliver: async () => { throw new Error('sent from the main thread'); } },
});
const id = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
const outcome = await worker.deliver({ id, kind: 'eventLog', entitySet: 'ctapi_eventlogs', body: { ctapi_name: 'release check' } });
console.log(JSON.stringify({ outcome, onWorker: worker.onWorker, errors, seen }));
await worker.close();
server.close();
`);
    const { stdout } = await run(process.execPath, [script], { cwd: work, env, timeout: 60_000 });
    const result = JSON.parse(stdout) as { outcome: string; onWorker: boolean; errors: string[]; seen: string[] };
    expect(result.errors).toEqual([]);
    expect(result).toMatchObject({ outcome: 'created', onWorker: true });
    expect(result.seen).toEqual(['PATCH /api/data/v9.2/ctapi_eventlogs(0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9) Bearer release-check']);
  });

  it('crm-tapi demo runs up to its panel URL, serves the panel, and stops on SIGTERM with status 0', async () => {
    const child = spawn(bin, ['demo', '--port', '0', '--control-port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 120_000;
      while (!/http:\/\/127\.0\.0\.1:\d+\/panel\/\?\S+/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no panel URL; stdout: ${out}\nstderr: ${err}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const panel = /(http:\/\/127\.0\.0\.1:\d+)\/panel\/\?\S+/.exec(out)!;
      expect(out).toContain('crm-tapi simulate call --from');
      const page = await fetch(panel[0]);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('crm-tapi-panel.js');
      const script = await fetch(`${panel[1]}/client/crm-tapi-panel.js`);
      expect(script.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 180_000);
});
