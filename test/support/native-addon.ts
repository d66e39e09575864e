// Builds the native addon against the fake TSP when it is missing or older
// than its sources (npm run build:native), once even when several test files
// ask at the same time, and loads it. Tests of the tapi provider call this in
// beforeAll: installing the project never compiles anything.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NATIVE_DIR, loadTapiBinding } from '../../src/connector/providers/tapi/binding.ts';
import type { FakeTspControl, TapiBinding } from '../../src/connector/providers/tapi/binding.ts';

export const ADDON_PATH = join(NATIVE_DIR, 'build', 'Release', 'crm_tapi.node');
/** A first build takes about half a minute on a quiet machine; CI shares two cores. */
export const NATIVE_BUILD_TIMEOUT_MS = 600_000;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.(cc|h|gyp)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function upToDate(): boolean {
  if (!existsSync(ADDON_PATH)) return false;
  const built = statSync(ADDON_PATH).mtimeMs;
  return ['src', 'fake', 'common'].every((d) => newestSource(join(NATIVE_DIR, d)) <= built) && statSync(join(NATIVE_DIR, 'binding.gyp')).mtimeMs <= built;
}

async function withLock<T>(fn: () => T): Promise<T> {
  const lock = join(NATIVE_DIR, '.build-lock');
  const deadline = Date.now() + NATIVE_BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than a build's budget was left by a killed run.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > NATIVE_BUILD_TIMEOUT_MS) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another build of the native addon');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function fakeTapiBinding(): Promise<TapiBinding & FakeTspControl> {
  if (!upToDate()) {
    await withLock(() => {
      if (upToDate()) return;
      const result = spawnSync(process.execPath, [join(NATIVE_DIR, 'scripts', 'build.mjs')], { encoding: 'utf8', timeout: NATIVE_BUILD_TIMEOUT_MS });
      if (result.status !== 0) throw new Error(`npm run build:native failed:\n${result.stdout}\n${result.stderr}`.slice(-4000));
    });
  }
  const binding = loadTapiBinding();
  if (binding.fakeControl === undefined || binding.fakeHook === undefined) throw new Error('the addon was not built against the fake TSP');
  return binding as TapiBinding & FakeTspControl;
}
