// Reading a solution zip back: the entries, the manifest of solution.xml and
// the parts of customizations.xml that validation and the simulated
// Dataverse's ImportSolution need (tables with columns and option sets,
// relationships, roles, web resources). Malformed input gives a typed error,
// never a crash.
import { unzipSync } from 'fflate';
import { XMLParser } from 'fast-xml-parser';
import { CrmTapiError } from '../../protocol/errors.ts';

export class SolutionFormatError extends CrmTapiError {
  readonly code = 'solution-invalid';
}

export type XmlObject = Record<string, unknown>;

const LISTS = new Set([
  'Entity', 'attribute', 'option', 'label', 'displayname', 'LocalizedName', 'Description', 'EntityKey', 'AttributeName',
  'Role', 'RolePrivilege', 'EntityRelationship', 'WebResource', 'RootComponent', 'systemform', 'savedquery', 'forms', 'Override',
  'state', 'status', 'AppModuleComponent', 'Area', 'Group', 'SubArea', 'CustomAction', 'CommandDefinition', 'EnableRule', 'JavaScriptFunction', 'CustomRule',
]);

export const xmlParser = new XMLParser({
  ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, parseAttributeValue: false, trimValues: true,
  isArray: (name) => LISTS.has(name),
});

export function parseXml(textIn: string, what: string): XmlObject {
  try {
    return xmlParser.parse(textIn, true) as XmlObject;
  } catch (err) {
    throw new SolutionFormatError(`${what} is not well-formed XML: ${(err as Error).message}`);
  }
}

export const obj = (v: unknown): XmlObject => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as XmlObject) : {});
export const list = (v: unknown): XmlObject[] => (Array.isArray(v) ? v.map(obj) : v === undefined || v === '' ? [] : [obj(v)]);
export const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : typeof v === 'object' && v !== null && typeof (v as XmlObject)['#text'] === 'string' ? String((v as XmlObject)['#text']) : '');

/** Text of an element that may occur once or several times. */
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : v === undefined ? [] : [str(v)]);

export interface SolutionColumn {
  readonly name: string;
  readonly type: string;
  readonly custom: boolean;
  readonly required: string;
  readonly primaryName: boolean;
  readonly maxLength?: number;
  readonly options?: readonly { value: number; labels: Readonly<Record<string, string>> }[];
}

export interface SolutionTable {
  readonly name: string;
  readonly entitySet: string;
  readonly ownership: string;
  readonly changeTracking: boolean;
  readonly columns: readonly SolutionColumn[];
  readonly keys: readonly { name: string; attributes: string[] }[];
  readonly forms: readonly XmlObject[];
  readonly ribbon?: XmlObject;
}

export interface SolutionRole { readonly id: string; readonly name: string; readonly privileges: readonly { name: string; level: string }[] }
export interface SolutionRelationship { readonly name: string; readonly referencing: string; readonly referenced: string; readonly attribute: string }
export interface SolutionWebResource { readonly id: string; readonly name: string; readonly type: number; readonly fileName: string }

export interface SolutionPackage {
  readonly entries: ReadonlyMap<string, Uint8Array>;
  readonly uniqueName: string;
  readonly version: string;
  readonly managed: boolean;
  readonly prefix: string;
  readonly optionValuePrefix: number;
  readonly manifest: XmlObject;
  readonly customizations: XmlObject;
  readonly customizationsText: string;
  readonly tables: readonly SolutionTable[];
  readonly roles: readonly SolutionRole[];
  readonly relationships: readonly SolutionRelationship[];
  readonly webResources: readonly SolutionWebResource[];
}

export function unzipEntries(zip: Uint8Array): Map<string, Uint8Array> {
  try {
    return new Map(Object.entries(unzipSync(zip)));
  } catch (err) {
    throw new SolutionFormatError(`the file is not a zip archive: ${(err as Error).message}`);
  }
}

const guid = (v: string): string => v.replace(/[{}]/g, '').toLowerCase();

function labels(node: unknown, tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list(obj(node)[tag])) out[str(l['@_languagecode'])] = str(l['@_description']);
  return out;
}

function column(a: XmlObject): SolutionColumn {
  const options = list(obj(obj(a['optionset']).options).option).map((o) => ({ value: Number(str(o['@_value'])), labels: labels(o['labels'], 'label') }));
  const maxLength = str(a['MaxLength']);
  return {
    name: str(a['@_PhysicalName']), type: str(a['Type']), custom: str(a['IsCustomField']) === '1', required: str(a['RequiredLevel']),
    primaryName: str(a['DisplayMask']).split('|').includes('PrimaryName'),
    ...(maxLength !== '' ? { maxLength: Number(maxLength) } : {}),
    ...(str(a['Type']) === 'picklist' ? { options } : {}),
  };
}

function table(e: XmlObject): SolutionTable {
  const info = obj(obj(e['EntityInfo']).entity);
  return {
    name: str(info['@_Name']) || str(e['Name']),
    entitySet: str(info['EntitySetName']),
    ownership: str(info['OwnershipTypeMask']),
    changeTracking: str(info['ChangeTrackingEnabled']) === '1',
    columns: list(obj(info['attributes']).attribute).map(column),
    keys: list(obj(info['EntityKeys']).EntityKey).map((k) => ({ name: str(k['Name']), attributes: strings(obj(k['EntityKeyAttributes']).AttributeName) })),
    forms: list(obj(e['FormXml']).forms).flatMap((f) => list(f['systemform'])),
    ...(e['RibbonDiffXml'] !== undefined ? { ribbon: obj(e['RibbonDiffXml']) } : {}),
  };
}

export function readSolution(zip: Uint8Array): SolutionPackage {
  const entries = unzipEntries(zip);
  const textOf = (name: string): string => {
    const data = entries.get(name);
    if (data === undefined) throw new SolutionFormatError(`the zip has no ${name} at its root`);
    return new TextDecoder().decode(data);
  };
  const manifest = obj(obj(parseXml(textOf('solution.xml'), 'solution.xml').ImportExportXml).SolutionManifest);
  const customizationsText = textOf('customizations.xml');
  const customizations = obj(parseXml(customizationsText, 'customizations.xml').ImportExportXml);
  const publisher = obj(manifest['Publisher']);
  return {
    entries,
    uniqueName: str(manifest['UniqueName']),
    version: str(manifest['Version']),
    managed: str(manifest['Managed']) === '1',
    prefix: str(publisher['CustomizationPrefix']),
    optionValuePrefix: Number(str(publisher['CustomizationOptionValuePrefix'])),
    manifest,
    customizations,
    customizationsText,
    tables: list(obj(customizations['Entities']).Entity).map(table),
    roles: list(obj(customizations['Roles']).Role).map((r) => ({
      id: guid(str(r['@_id'])), name: str(r['@_name']),
      privileges: list(obj(r['RolePrivileges']).RolePrivilege).map((p) => ({ name: str(p['@_name']), level: str(p['@_level']) })),
    })),
    relationships: list(obj(customizations['EntityRelationships']).EntityRelationship).map((r) => ({
      name: str(r['@_Name']), referencing: str(r['ReferencingEntityName']).toLowerCase(), referenced: str(r['ReferencedEntityName']).toLowerCase(), attribute: str(r['ReferencingAttributeName']),
    })),
    webResources: list(obj(customizations['WebResources']).WebResource).map((w) => ({
      id: guid(str(w['WebResourceId'])), name: str(w['Name']), type: Number(str(w['WebResourceType'])), fileName: str(w['FileName']),
    })),
  };
}
