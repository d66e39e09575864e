// Where the crm-tapi package lives on disk, for the files it ships beside the
// code (package.json, fixtures/, dist/client/). The same source runs from a
// git checkout (src/…/*.ts through tsx) and from the release build
// (dist/src/…/*.js), one directory deeper: so walk up to the first
// directory holding a package.json instead of counting `../`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The directory with crm-tapi's package.json. */
export function packageRoot(from: string = import.meta.url): string {
  if (cached !== undefined && from === import.meta.url) return cached;
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) break;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(from)}`);
    dir = up;
  }
  if (from === import.meta.url) cached = dir;
  return dir;
}

/** crm-tapi's version from its package.json ("0.0.0" when unreadable). */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** True when this code runs from the release build (JavaScript in dist/), not from the TypeScript sources. */
export function isReleaseBuild(): boolean {
  return import.meta.url.endsWith('.js');
}
