// `crm-tapi solution build`: the unmanaged solution zip (version from
// package.json) and, on request, the unpacked SolutionPackager layout.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DEFAULT_PUBLISHER_PREFIX } from '../schema.ts';
import { webResourceContent } from './content.ts';
import { solutionFiles, zipFileName, zipSolution } from './package.ts';
import { unpackedFiles } from './unpacked.ts';

export interface BuildOptions {
  readonly prefix?: string;
  /** Four-part version. */
  readonly version: string;
  readonly clientDir?: string;
}

export interface BuiltSolution {
  readonly version: string;
  readonly fileName: string;
  readonly zip: Uint8Array;
  readonly content: ReadonlyMap<string, Uint8Array>;
}

export async function buildSolution(options: BuildOptions): Promise<BuiltSolution> {
  const prefix = options.prefix ?? DEFAULT_PUBLISHER_PREFIX;
  const content = await webResourceContent(prefix, options.clientDir);
  const zip = zipSolution(solutionFiles({ prefix, version: options.version, content }));
  return { version: options.version, fileName: zipFileName(options.version), zip, content };
}

export async function writeUnpacked(dir: string, options: BuildOptions & { content: ReadonlyMap<string, Uint8Array> }): Promise<number> {
  const files = unpackedFiles(options.prefix ?? DEFAULT_PUBLISHER_PREFIX, options.version, options.content);
  for (const [name, data] of files) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
  }
  return files.size;
}
