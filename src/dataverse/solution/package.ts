// The solution zip: solution.xml (manifest), customizations.xml,
// [Content_Types].xml and WebResources/…, byte-identical on every build
// (fixed timestamps, sorted entries). `unpackedFiles` lays the same content
// out the way Microsoft's SolutionPackager does, for reviewing diffs.
import { zipSync, type Zippable } from 'fflate';
import { createSchema } from '../schema.ts';
import { customizationsXml, webResourceFile } from './customizations.ts';
import { customTables, LANGUAGES, PUBLISHER, roles, SOLUTION_NAMES, SOLUTION_UNIQUE_NAME, webResources, type WebResourceSpec } from './model.ts';
import { APP_UNIQUE_NAME } from './ui.ts';
import { el, renderXml, text } from './xml.ts';

export interface SolutionFiles {
  readonly version: string;
  /** Zip entry name → content. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/** Root component types of solution.xml. */
export const COMPONENT_TYPE = { entity: 1, role: 20, webResource: 61, siteMap: 62, appModule: 80 } as const;

export function solutionXml(prefix: string, version: string): string {
  const schema = createSchema(prefix);
  const loc = (tag: string, l: readonly [string, string]) => [el(tag, { description: l[0], languagecode: LANGUAGES[0] }), el(tag, { description: l[1], languagecode: LANGUAGES[1] })];
  const components = [
    ...Object.values(customTables(schema)).map((e) => el('RootComponent', { type: COMPONENT_TYPE.entity, schemaName: e.logicalName, behavior: 0 })),
    ...roles(prefix).map((r) => el('RootComponent', { type: COMPONENT_TYPE.role, id: `{${r.id}}`, behavior: 0 })),
    ...webResources(prefix).map((w) => el('RootComponent', { type: COMPONENT_TYPE.webResource, schemaName: w.name, behavior: 0 })),
    el('RootComponent', { type: COMPONENT_TYPE.siteMap, schemaName: APP_UNIQUE_NAME(prefix), behavior: 0 }),
    el('RootComponent', { type: COMPONENT_TYPE.appModule, schemaName: APP_UNIQUE_NAME(prefix), behavior: 0 }),
  ];
  return renderXml(el('ImportExportXml', { version: '9.2.0.0', SolutionPackageVersion: '9.2', languagecode: LANGUAGES[0], generatedBy: 'crm-tapi', 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance' },
    el('SolutionManifest', {},
      text('UniqueName', SOLUTION_UNIQUE_NAME),
      el('LocalizedNames', {}, loc('LocalizedName', SOLUTION_NAMES)),
      el('Descriptions', {}, loc('Description', ['Tables, roles, app and web resources of the crm-tapi CRM–telephony bridge', 'Tabellen, Rollen, App und Webressourcen der crm-tapi TAPI-Schnittstelle'])),
      text('Version', version),
      text('Managed', 0),
      el('Publisher', {},
        text('UniqueName', PUBLISHER.uniqueName),
        el('LocalizedNames', {}, loc('LocalizedName', PUBLISHER.names)),
        el('Descriptions'),
        text('CustomizationPrefix', prefix),
        text('CustomizationOptionValuePrefix', PUBLISHER.optionValuePrefix),
        el('Addresses')),
      el('RootComponents', {}, components),
      el('MissingDependencies'))));
}

const EXTENSION_TYPES: Record<string, string> = { html: 'text/html', js: 'application/javascript', svg: 'image/svg+xml' };

export function contentTypesXml(resources: readonly WebResourceSpec[]): string {
  return renderXml(el('Types', { xmlns: 'http://schemas.openxmlformats.org/package/2006/content-types' },
    el('Default', { Extension: 'xml', ContentType: 'text/xml' }),
    // Web resource files have no extension inside the zip: one Override each.
    resources.map((w) => el('Override', { PartName: webResourceFile(w), ContentType: EXTENSION_TYPES[w.kind] ?? 'application/octet-stream' }))));
}

export interface BuildInput {
  readonly prefix: string;
  readonly version: string;
  /** Content of each web resource by its name. */
  readonly content: ReadonlyMap<string, Uint8Array>;
}

export function solutionFiles(input: BuildInput): SolutionFiles {
  const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
  const resources = webResources(input.prefix);
  const files = new Map<string, Uint8Array>();
  files.set('[Content_Types].xml', utf8(contentTypesXml(resources)));
  files.set('customizations.xml', utf8(customizationsXml({ prefix: input.prefix, version: input.version })));
  files.set('solution.xml', utf8(solutionXml(input.prefix, input.version)));
  for (const w of resources) {
    const data = input.content.get(w.name);
    if (data === undefined) throw new RangeError(`no content for web resource ${w.name}`);
    files.set(webResourceFile(w).slice(1), data);
  }
  return { version: input.version, files };
}

/** 1980-01-01, the zip format's epoch: the same bytes on every build. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

export function zipSolution(solution: SolutionFiles): Uint8Array {
  const entries: Zippable = {};
  for (const name of [...solution.files.keys()].sort()) entries[name] = [solution.files.get(name) as Uint8Array, { level: 9, mtime: FIXED_MTIME }];
  return zipSync(entries);
}

export function zipFileName(version: string): string {
  return `${SOLUTION_UNIQUE_NAME}_${version.replace(/\./g, '_')}.zip`;
}
