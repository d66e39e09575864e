// `crm-tapi solution build --unpacked DIR`: the solution in the folder layout
// of Microsoft's SolutionPackager (Other/, Entities/<table>/{Entity.xml,
// FormXml/main/{id}.xml, SavedQueries/{id}.xml, RibbonDiff.xml}, Roles/,
// WebResources/ with .data.xml, AppModules/, AppModuleSiteMaps/), so a
// reviewer sees a change as a small diff. The zip stays what gets imported.
import { customizationsTree, webResourceFile } from './customizations.ts';
import { webResources, WEB_RESOURCE_TYPE } from './model.ts';
import { solutionXml } from './package.ts';
import { el, renderXml, text, type XmlElement, type XmlNode } from './xml.ts';

const isEl = (n: XmlNode): n is XmlElement => typeof n !== 'string';
const child = (e: XmlElement, name: string): XmlElement | undefined => e.children.filter(isEl).find((c) => c.name === name);
const textOf = (e: XmlElement | undefined): string => (e?.children.find((c) => typeof c === 'string') as string | undefined) ?? '';

export function unpackedFiles(prefix: string, version: string, content: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array | string> {
  const files = new Map<string, Uint8Array | string>();
  const root = customizationsTree({ prefix, version });
  const kept: XmlElement[] = [];
  for (const section of root.children.filter(isEl)) {
    if (section.name === 'Entities') {
      for (const entity of section.children.filter(isEl)) {
        const name = textOf(child(entity, 'Name'));
        const dir = `Entities/${name}`;
        const parts = entity.children.filter(isEl);
        files.set(`${dir}/Entity.xml`, renderXml(el('Entity', {}, parts.filter((p) => p.name === 'Name' || p.name === 'EntityInfo'))));
        for (const forms of child(entity, 'FormXml')?.children.filter(isEl) ?? []) {
          for (const form of forms.children.filter(isEl)) {
            files.set(`${dir}/FormXml/${String(forms.attrs.type)}/${textOf(child(form, 'formid'))}.xml`, renderXml(el('forms', forms.attrs, form)));
          }
        }
        for (const queries of child(entity, 'SavedQueries')?.children.filter(isEl) ?? []) {
          for (const q of queries.children.filter(isEl)) files.set(`${dir}/SavedQueries/${textOf(child(q, 'savedqueryid'))}.xml`, renderXml(el('savedqueries', {}, q)));
        }
        const ribbon = child(entity, 'RibbonDiffXml');
        if (ribbon) files.set(`${dir}/RibbonDiff.xml`, renderXml(ribbon));
      }
      kept.push(el('Entities'));
    } else if (section.name === 'Roles') {
      for (const role of section.children.filter(isEl)) files.set(`Roles/${String(role.attrs.name)}.xml`, renderXml(role));
      kept.push(el('Roles'));
    } else if (section.name === 'EntityRelationships') {
      const byEntity = new Map<string, XmlElement[]>();
      for (const r of section.children.filter(isEl)) {
        const e = textOf(child(r, 'ReferencingEntityName'));
        byEntity.set(e, [...(byEntity.get(e) ?? []), r]);
      }
      for (const [e, rs] of byEntity) files.set(`Other/Relationships/${e}.xml`, renderXml(el('EntityRelationships', {}, rs)));
      files.set('Other/Relationships.xml', renderXml(el('EntityRelationships', {}, [...byEntity.keys()].map((e) => el('EntityRelationship', { Name: e })))));
      kept.push(el('EntityRelationships'));
    } else if (section.name === 'WebResources') {
      for (const w of webResources(prefix)) {
        const data = content.get(w.name);
        if (data !== undefined) files.set(`WebResources/${w.name}`, data);
        files.set(`WebResources/${w.name}.data.xml`, renderXml(el('WebResource', {},
          text('WebResourceId', `{${w.id}}`), text('Name', w.name), text('DisplayName', w.displayName),
          text('WebResourceType', WEB_RESOURCE_TYPE[w.kind]), text('IntroducedVersion', version), text('FileName', webResourceFile(w)))));
      }
      kept.push(el('WebResources'));
    } else if (section.name === 'AppModuleSiteMaps' || section.name === 'AppModules') {
      for (const item of section.children.filter(isEl)) {
        const name = textOf(child(item, item.name === 'AppModule' ? 'UniqueName' : 'SiteMapUniqueName'));
        files.set(`${section.name}/${name}/${item.name}.xml`, renderXml(item));
      }
    } else {
      kept.push(section);
    }
  }
  files.set('Other/Customizations.xml', renderXml(el(root.name, root.attrs, kept)));
  files.set('Other/Solution.xml', solutionXml(prefix, version));
  return files;
}
