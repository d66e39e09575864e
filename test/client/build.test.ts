// The esbuild bundle builds, contains what Dynamics needs, and pulls in no Node module.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../scripts/build-client.ts';
import { panelFile } from '../../src/manager/clients/panel-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'client-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('client bundle', () => {
  it('builds the web resource and the panel', async () => {
    const built = await buildClient(dir);
    for (const f of built.files) expect(readFileSync(join(dir, f)).length, f).toBeGreaterThan(100);
    const js = readFileSync(join(dir, 'crm-tapi-webresource.js'), 'utf8');
    expect(js).not.toMatch(/require\(["']node:|from ?["']node:/);
    expect(js).toContain('setClientApiContext');
    expect(readFileSync(join(dir, 'crm-tapi-webresource.js')).length).toBeLessThan(600_000);
    expect(readFileSync(join(dir, 'crm-tapi-webresource.html'), 'utf8')).toContain('src="crm-tapi-webresource.js"');
    expect(readFileSync(join(dir, 'panel.html'), 'utf8')).toContain('src="/client/crm-tapi-panel.js"');
  }, 60_000);

  it('the manager serves exactly the built files', async () => {
    expect((await panelFile('/panel/', dir))?.status).toBe(200);
    expect((await panelFile('/client/crm-tapi-panel.js', dir))?.type).toContain('javascript');
    expect(await panelFile('/client/../package.json', dir)).toBeUndefined();
    expect(await panelFile('/etc/passwd', dir)).toBeUndefined();
    expect((await panelFile('/panel/', join(dir, 'missing')))?.status).toBe(404);
  });
});
