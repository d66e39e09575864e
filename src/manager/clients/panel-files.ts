// The softphone panel and the browser client bundle, served on the WebSocket
// port (added by the client issue, docs/client.md): GET /panel/ → panel.html,
// GET /client/<file> → the esbuild output in dist/client/ (scripts/build-client.ts).
// Only the files the build writes are served; nothing else of the disk.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../config/package-root.ts';

export const DEFAULT_PANEL_DIR = join(packageRoot(), 'dist', 'client');

const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/panel/': { file: 'panel.html', type: 'text/html; charset=utf-8' },
  '/client/crm-tapi-panel.js': { file: 'crm-tapi-panel.js', type: 'text/javascript; charset=utf-8' },
  '/client/crm-tapi-webresource.js': { file: 'crm-tapi-webresource.js', type: 'text/javascript; charset=utf-8' },
  '/client/crm-tapi-webresource.html': { file: 'crm-tapi-webresource.html', type: 'text/html; charset=utf-8' },
};

export interface PanelFile {
  status: number;
  type: string;
  body: Buffer | string;
}

/** The answer for `path`, or undefined when the path is not one of the panel's. */
export async function panelFile(path: string, dir: string = DEFAULT_PANEL_DIR): Promise<PanelFile | undefined> {
  const entry = FILES[path === '/panel' ? '/panel/' : path];
  if (entry === undefined) return undefined;
  try {
    return { status: 200, type: entry.type, body: await readFile(join(dir, entry.file)) };
  } catch {
    return { status: 404, type: 'text/plain; charset=utf-8', body: 'the softphone panel is not built: run npx tsx scripts/build-client.ts\n' };
  }
}
