// `crm-tapi solution build`: one source renders a byte-identical zip with the
// entries a solution has, web resource names Dataverse accepts, no source
// maps, the version of package.json, and the SolutionPackager layout.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSolution, writeUnpacked } from '../../../src/dataverse/solution/build.ts';
import { stripBuildLinks } from '../../../src/dataverse/solution/content.ts';
import { solutionVersion, WEB_RESOURCE_NAME, webResources } from '../../../src/dataverse/solution/model.ts';
import { readSolution } from '../../../src/dataverse/solution/read.ts';
import { bundledVersion } from '../../../src/cli/commands/solution.ts';
import { builtSolution, VERSION, type Built } from './support.ts';

let built: Built;
beforeAll(async () => {
  built = await builtSolution();
}, 60_000);
afterAll(() => built?.cleanup());

describe('solution build', () => {
  it('is byte-identical on every build and holds exactly the solution entries', async () => {
    const again = await buildSolution({ version: VERSION, clientDir: built.clientDir });
    expect(Buffer.from(again.zip).equals(Buffer.from(built.zip))).toBe(true);
    const names = Object.keys(unzipSync(built.zip)).sort();
    expect(names.filter((n) => !n.startsWith('WebResources/'))).toEqual(['[Content_Types].xml', 'customizations.xml', 'solution.xml']);
    expect(names.filter((n) => n.startsWith('WebResources/'))).toHaveLength(webResources().length);
    expect(names.some((n) => n.endsWith('/'))).toBe(false);
    expect(built.fileName).toBe('crmtapi_0_2_0_0.zip');
  });

  it('names web resources the way Dataverse allows, ships no source map, and links the bundle by its new name', () => {
    const pkg = readSolution(built.zip);
    for (const w of pkg.webResources) expect(w.name).toMatch(WEB_RESOURCE_NAME);
    expect(pkg.webResources.map((w) => w.name)).toContain('ctapi_/crmtapi/webresource.html');
    const text = (name: string): string => new TextDecoder().decode(built.content.get(name));
    expect(text('ctapi_/crmtapi/webresource.js')).not.toMatch(/sourceMappingURL|\.map\b.*\*\//);
    expect(text('ctapi_/crmtapi/webresource.html')).toContain('src="webresource.js"');
    expect(text('ctapi_/crmtapi/ribbon.js')).toContain('"a1404fae-7653-5b93-ac63-830e966019c5"');
    expect(text('ctapi_/crmtapi/ribbon.js')).not.toMatch(/__[A-Z_]+__/);
    expect(stripBuildLinks('x();\n//# sourceMappingURL=a.js.map\n')).toBe('x();\n');
  });

  it('takes the version from package.json as four parts, and the manifest carries it', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await bundledVersion()).toBe(solutionVersion(pkg.version));
    expect(solutionVersion('1.2.3-beta.1')).toBe('1.2.3.0');
    expect(() => solutionVersion('one.two')).toThrow(RangeError);
    const m = readSolution(built.zip);
    expect({ unique: m.uniqueName, version: m.version, managed: m.managed, prefix: m.prefix, options: m.optionValuePrefix })
      .toEqual({ unique: 'crmtapi', version: VERSION, managed: false, prefix: 'ctapi', options: 94641 });
  });

  it('writes the SolutionPackager layout for reviews', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-unpacked-'));
    try {
      const n = await writeUnpacked(dir, { version: VERSION, content: built.content });
      expect(n).toBeGreaterThan(20);
      expect(readdirSync(join(dir, 'Other')).sort()).toEqual(['Customizations.xml', 'Relationships', 'Relationships.xml', 'Solution.xml']);
      expect(readdirSync(join(dir, 'Entities', 'ctapi_calllog')).sort()).toEqual(['Entity.xml', 'FormXml', 'SavedQueries']);
      expect(readdirSync(join(dir, 'Entities', 'ctapi_lineconfig'))).toContain('RibbonDiff.xml');
      expect(readdirSync(join(dir, 'Roles')).sort()).toEqual(['TapiInterface Admin.xml', 'TapiInterface User.xml', 'TapiManager Account.xml']);
      expect(readFileSync(join(dir, 'WebResources', 'ctapi_', 'crmtapi', 'ribbon.js.data.xml'), 'utf8')).toContain('<WebResourceType>3</WebResourceType>');
      expect(readdirSync(join(dir, 'AppModules'))).toEqual(['ctapi_crmtapi']);
      const views = readdirSync(join(dir, 'Entities', 'ctapi_calllog', 'SavedQueries')).map((f) => readFileSync(join(dir, 'Entities', 'ctapi_calllog', 'SavedQueries', f), 'utf8'));
      expect(views.some((v) => v.includes('description="My call logs"') && v.includes('operator="eq-userid"'))).toBe(true);
      // Issue 17: what the agent did with the call has columns of its own, shown in the call log's list views.
      const lists = views.filter((v) => v.includes('description="My call logs"') || v.includes('description="Active records"'));
      expect(lists).toHaveLength(2);
      for (const v of lists) for (const column of ['ctapi_outcome', 'ctapi_transferredto']) expect(v).toContain(`<cell name="${column}"`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
