// Renders customizations.xml from the one schema description: tables (with
// forms, views and the command bar), roles, relationships, web resources, the
// app and its site map, in the element order of Microsoft's
// CustomizationsSolution.xsd.
import { createSchema, type EntitySpec } from '../schema.ts';
import { ENTITY_LABELS } from './labels.ts';
import { customTables, LANGUAGES, roles, webResources, WEB_RESOURCE_TYPE, type WebResourceSpec } from './model.ts';
import { entityXml, relationships, relationshipXml } from './tables.ts';
import { appModule, APP_UNIQUE_NAME, lineConfigRibbon, mainForm, savedQueries, siteMap } from './ui.ts';
import { el, renderXml, text, type XmlElement } from './xml.ts';

export interface CustomizationsInput {
  readonly prefix?: string;
  /** Four-part solution version (IntroducedVersion of every component). */
  readonly version: string;
}

/** Where a web resource's file lies inside the zip. */
export function webResourceFile(w: WebResourceSpec): string {
  return `/WebResources/${w.name.replace(/\//g, '')}${w.id.replace(/-/g, '')}`;
}

function webResourceXml(w: WebResourceSpec, version: string): XmlElement {
  return el('WebResource', {},
    text('WebResourceId', `{${w.id}}`), text('Name', w.name), text('DisplayName', w.displayName),
    text('WebResourceType', WEB_RESOURCE_TYPE[w.kind]), text('IntroducedVersion', version),
    text('IsEnabledForMobileClient', 0), text('IsAvailableForMobileOffline', 0), text('IsCustomizable', 1), text('CanBeDeleted', 1),
    text('IsHidden', 0), text('FileName', webResourceFile(w)));
}

export function customizationsXml(input: CustomizationsInput): string {
  return renderXml(customizationsTree(input));
}

export function customizationsTree(input: CustomizationsInput): XmlElement {
  const schema = createSchema(input.prefix);
  const v = input.version;
  const tables = customTables(schema);
  const resources = webResources(schema.prefix);
  const ribbonScript = resources.find((w) => w.name.endsWith('/ribbon.js'))?.name ?? '';
  const entities = (Object.entries(tables) as [keyof typeof tables, EntitySpec][]).map(([key, spec]) => {
    const ui: XmlElement[] = [
      el('FormXml', {}, el('forms', { type: 'main' }, mainForm(key, spec, v))),
      el('SavedQueries', {}, savedQueries(key, spec, v)),
    ];
    if (key === 'lineConfig') ui.push(lineConfigRibbon(spec, ribbonScript));
    return entityXml(spec, ENTITY_LABELS[key], v, ui);
  });
  const rels = Object.values(tables).flatMap((spec) => relationships(spec)).sort((a, b) => a.name.localeCompare(b.name));
  const root = el('ImportExportXml', { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance' },
    el('Entities', {}, entities),
    el('Roles', {}, roles(schema.prefix).map((r) => el('Role', { id: `{${r.id}}`, name: r.name },
      text('IsCustomizable', 1), text('IntroducedVersion', v),
      el('RolePrivileges', {}, Object.entries(r.privileges).sort(([a], [b]) => a.localeCompare(b)).map(([name, level]) => el('RolePrivilege', { name, level })))))),
    el('Workflows'), el('FieldSecurityProfiles'), el('Templates'),
    el('EntityMaps'),
    el('EntityRelationships', {}, rels.map((r) => relationshipXml(r, v))),
    el('OrganizationSettings'), el('optionsets'),
    el('WebResources', {}, resources.map((w) => webResourceXml(w, v))),
    el('CustomControls'),
    el('AppModuleSiteMaps', {}, el('AppModuleSiteMap', {}, text('SiteMapUniqueName', APP_UNIQUE_NAME(schema.prefix)), siteMap(schema),
      el('LocalizedNames', {}, el('LocalizedName', { description: 'crm-tapi', languagecode: 1033 })))),
    el('AppModules', {}, appModule(schema, v)),
    el('EntityDataProviders'),
    el('Languages', {}, LANGUAGES.map((l) => text('Language', l))),
  );
  return root;
}
