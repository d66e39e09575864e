// The bytes of each web resource: the client bundle from the client build
// (dist/client by default) with names Dataverse allows and without source
// maps (no web resource type exists for them), and the solution's own files
// in src/client/solution/ with the publisher prefix and role ids filled in.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CrmTapiError } from '../../protocol/errors.ts';
import { ROLE_IDS, SYSTEM_ADMINISTRATOR_TEMPLATE_ID, webResources } from './model.ts';

export class SolutionBuildError extends CrmTapiError {
  readonly code = 'solution-build-failed';
}

export const DEFAULT_CLIENT_DIR = fileURLToPath(new URL('../../../dist/client/', import.meta.url));
const ASSET_DIR = fileURLToPath(new URL('../../client/solution/', import.meta.url));

/** Drops the links to files a solution cannot carry (source map, legal comments file). */
export function stripBuildLinks(js: string): string {
  return js.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/u, '\n').replace(/\/\*! For license information please see \S+ \*\/\n?/gu, '');
}

function fill(textIn: string, prefix: string): string {
  return textIn
    .replace(/__PREFIX__/g, prefix)
    .replace(/__ADMIN_ROLE_IDS__/g, JSON.stringify([ROLE_IDS.admin]))
    .replace(/__SYSADMIN_TEMPLATE_ID__/g, SYSTEM_ADMINISTRATOR_TEMPLATE_ID);
}

async function read(path: string, hint: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new SolutionBuildError(`${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): ${hint}`, { cause: err });
  }
}

/** One of the solution's own files (src/client/solution/) with prefix and role ids filled in. */
export async function solutionAsset(asset: string, prefix: string): Promise<string> {
  return fill(await read(join(ASSET_DIR, asset), 'the crm-tapi installation is incomplete'), prefix);
}

export async function webResourceContent(prefix: string, clientDir: string = DEFAULT_CLIENT_DIR): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const enc = new TextEncoder();
  for (const w of webResources(prefix)) {
    let textOut: string;
    if ('build' in w.source) {
      const raw = await read(join(clientDir, w.source.build), 'build the client first (npx tsx scripts/build-client.ts) or pass --client DIR');
      textOut = w.kind === 'js' ? stripBuildLinks(raw) : raw.replace(/crm-tapi-webresource\.js/g, 'webresource.js');
    } else {
      textOut = await solutionAsset(w.source.asset, prefix);
    }
    out.set(w.name, enc.encode(textOut));
  }
  return out;
}
