// customizations.xml: what an admin and an agent see — a main form and views
// per table (with "My call logs"), the command bar of the TAPI interfaces
// ("Diagnose TAPI Manager", "Aktualisieren Telefonnummern", enabled only for
// System Administrator and TapiInterface Admin), and a model-driven app with
// its site map (Unified Interface has no classic Settings area).
import type { AttributeSpec, EntitySpec, Schema } from '../schema.ts';
import { ATTRIBUTE_LABELS, type Label } from './labels.ts';
import { customTables, ROLE_IDS, SOLUTION_UNIQUE_NAME, stableGuid } from './model.ts';
import { labelsOf } from './tables.ts';
import { el, text, type XmlElement } from './xml.ts';

/** Microsoft's form control class ids. */
export const CONTROL_CLASS: Record<AttributeSpec['type'] | 'webresource', string> = {
  string: '{4273EDBD-AC1D-40d3-9FB2-095C621B552D}', memo: '{E0DECE4B-6FC8-4a8f-A065-082708572369}',
  int: '{C6D124CA-7EDA-4a60-AEA9-7FB8D318B68F}', decimal: '{C3EFE0C3-0EC6-42be-8349-CBD9079DFD8E}',
  datetime: '{5B773807-9FB2-42db-97C3-7A91EFF8ADFF}', boolean: '{67FAC785-CD58-4f9f-ABB3-4B7DDC6ED5ED}',
  picklist: '{3EF39988-22BB-4f0b-BBBE-64B5A3748AEE}', lookup: '{270BD3DB-D9AF-4782-9025-509E298DEC0A}',
  uniqueidentifier: '{4273EDBD-AC1D-40d3-9FB2-095C621B552D}', webresource: '{9FDF5F91-88B1-47f4-AD53-C11EFC01A01D}',
};

const g = (name: string): string => `{${stableGuid(name)}}`;

/** Sections of a table's main form: label and the code names of its columns. */
function formSections(key: string, spec: EntitySpec): { name: string; label: Label; fields: string[] }[] {
  const all = Object.keys(spec.attributes).filter((k) => k !== 'id');
  if (key !== 'lineConfig') return [{ name: 'general', label: ['General', 'Allgemein'], fields: all }];
  return [
    { name: 'general', label: ['General', 'Allgemeine Angaben'], fields: ['name', 'kind', 'parent', 'user', 'line', 'lineDisplayName', 'connectorHost'] },
    { name: 'manager', label: ['TAPI manager', 'Konfiguration TAPI-Manager'], fields: ['managerHost', 'webSocketUrl', 'tapiPort'] },
    { name: 'phone', label: ['Phone data', 'Telefon Daten'], fields: ['internationalPrefix', 'nationalPrefix', 'countryCode', 'areaCode', 'baseNumber', 'outsideLinePrefix', 'incomingDirectionCode', 'maxInternalLength', 'dialLocalWithoutAreaCode'] },
    { name: 'popup', label: ['Popup and phone call', 'Popup/Telefonanruf'], fields: ['popupPosition', 'popupDuration', 'openPhoneCall', 'openPhoneCallOnlyWhenConnected', 'openPhoneCallAndRecord', 'phoneCallStartEndFields', 'phoneCallDurationFields'] },
  ];
}

export function mainForm(key: string, spec: EntitySpec, version: string): XmlElement {
  const id = spec.logicalName;
  const sections = formSections(key, spec).map((s) => el('section', { showlabel: 'true', showbar: 'false', IsUserDefined: '0', id: g(`form:${id}:section:${s.name}`), name: s.name },
    el('labels', {}, labelsOf('label', s.label)),
    el('rows', {}, s.fields.map((f) => {
      const attr = spec.attributes[f];
      if (attr === undefined) throw new RangeError(`form of ${id}: unknown column ${f}`);
      return el('row', {}, el('cell', { id: g(`form:${id}:cell:${f}`) },
        el('labels', {}, labelsOf('label', ATTRIBUTE_LABELS[f] ?? [f, f])),
        el('control', { id: attr.name, classid: CONTROL_CLASS[attr.type], datafieldname: attr.name })));
    }))));
  return el('systemform', {},
    text('formid', g(`form:${id}:main`)), text('IntroducedVersion', version), text('FormPresentation', 1), text('FormActivationState', 1),
    el('form', {}, el('tabs', {}, el('tab', { verticallayout: 'true', id: g(`form:${id}:tab`), IsUserDefined: '1', name: 'general' },
      el('labels', {}, labelsOf('label', ['General', 'Allgemein'])),
      el('columns', {}, el('column', { width: '100%' }, el('sections', {}, sections)))))),
    el('LocalizedNames', {}, labelsOf('LocalizedName', ['Information', 'Informationen'])));
}

interface View {
  readonly name: string;
  readonly label: Label;
  readonly queryType: number;
  readonly isDefault: boolean;
  readonly quickFind?: boolean;
  readonly columns: readonly string[];
  readonly filter?: XmlElement;
}

function views(key: string, spec: EntitySpec): View[] {
  const f = (k: string): string => spec.attributes[k]?.name ?? k;
  const columns = key === 'lineConfig' ? ['name', 'kind', 'line', 'user', 'parent'].map(f)
    : key === 'callLog' ? ['number', 'line', 'internalNumber', 'start', 'connected', 'end', 'duration', 'direction', 'outcome', 'transferredTo'].map(f)
      : [spec.primaryName];
  const active = el('filter', { type: 'and' }, el('condition', { attribute: 'statecode', operator: 'eq', value: '0' }));
  const out: View[] = [
    { name: 'active', label: ['Active records', 'Aktive Datensätze'], queryType: 0, isDefault: true, columns: [...columns, 'createdon'], filter: active },
    { name: 'lookup', label: ['Lookup view', 'Suchansicht'], queryType: 64, isDefault: true, columns: [spec.primaryName], filter: active },
    { name: 'quickfind', label: ['Quick find', 'Schnellsuche'], queryType: 4, isDefault: true, quickFind: true, columns: [spec.primaryName],
      filter: el('filter', { type: 'and' }, active.children[0] as XmlElement, el('filter', { type: 'or', isquickfindfields: '1' }, el('condition', { attribute: spec.primaryName, operator: 'like', value: '{0}' }))) },
  ];
  if (key === 'callLog') {
    out.push({ name: 'mine', label: ['My call logs', 'Meine Tapi Protokolle'], queryType: 0, isDefault: false, columns,
      filter: el('filter', { type: 'and' }, el('condition', { attribute: 'ownerid', operator: 'eq-userid' })) });
  }
  return out;
}

export function savedQueries(key: string, spec: EntitySpec, version: string): XmlElement {
  return el('savedqueries', {}, views(key, spec).map((v) => el('savedquery', {},
    text('IsCustomizable', 1), text('CanBeDeleted', 0), text('isquickfindquery', v.quickFind === true ? 1 : 0),
    text('isprivate', 0), text('isdefault', v.isDefault ? 1 : 0), text('savedqueryid', g(`view:${spec.logicalName}:${v.name}`)),
    el('layoutxml', {}, el('grid', { name: 'resultset', jump: spec.primaryName, select: '1', icon: '1', preview: '1' },
      el('row', { name: 'result', id: spec.primaryId }, v.columns.map((c) => el('cell', { name: c, width: 150 }))))),
    text('querytype', v.queryType),
    el('fetchxml', {}, el('fetch', { version: '1.0', mapping: 'logical' }, el('entity', { name: spec.logicalName },
      v.columns.map((c) => el('attribute', { name: c })), el('attribute', { name: spec.primaryId }),
      el('order', { attribute: v.columns[0] ?? spec.primaryName, descending: 'false' }), v.filter))),
    text('IntroducedVersion', version),
    el('LocalizedNames', {}, labelsOf('LocalizedName', v.label)))));
}

/** Command bar of the TAPI interfaces: the manual's two admin buttons, on the grid and the form. */
export function lineConfigRibbon(spec: EntitySpec, ribbonScript: string): XmlElement {
  const e = spec.logicalName;
  const lib = `$webresource:${ribbonScript}`;
  const buttons = [
    { id: 'Diagnose', fn: 'CrmTapiRibbon.diagnose', label: ['Diagnose TAPI Manager', 'Diagnose TAPI Manager'] as Label },
    { id: 'RefreshNumbers', fn: 'CrmTapiRibbon.refreshPhoneNumbers', label: ['Refresh phone numbers', 'Aktualisieren Telefonnummern'] as Label },
  ];
  const locations = [['HomepageGrid', 'Mscrm.HomepageGrid'], ['Form', 'Mscrm.Form']] as const;
  const enableRule = `ctapi.${e}.IsTapiAdmin.EnableRule`;
  return el('RibbonDiffXml', {},
    el('CustomActions', {}, locations.flatMap(([where, loc]) => buttons.map((b, i) => el('CustomAction', {
      Id: `ctapi.${e}.${where}.${b.id}.CustomAction`, Location: `${loc}.${e}.MainTab.Actions.Controls._children`, Sequence: 900 + i * 10,
    }, el('CommandUIDefinition', {}, el('Button', {
      Id: `ctapi.${e}.${where}.${b.id}.Button`, Command: `ctapi.${e}.${b.id}.Command`, Sequence: 900 + i * 10,
      LabelText: `$LocLabels:ctapi.${b.id}.Label`, ToolTipTitle: `$LocLabels:ctapi.${b.id}.Label`, TemplateAlias: 'o1',
    })))))),
    el('Templates', {}, el('RibbonTemplates', { Id: 'Mscrm.Templates' })),
    el('CommandDefinitions', {}, buttons.map((b) => el('CommandDefinition', { Id: `ctapi.${e}.${b.id}.Command` },
      el('EnableRules', {}, el('EnableRule', { Id: enableRule })), el('DisplayRules'),
      el('Actions', {}, el('JavaScriptFunction', { FunctionName: b.fn, Library: lib }, el('CrmParameter', { Value: 'PrimaryControl' })))))),
    el('RuleDefinitions', {}, el('TabDisplayRules'), el('DisplayRules'),
      el('EnableRules', {}, el('EnableRule', { Id: enableRule }, el('CustomRule', { FunctionName: 'CrmTapiRibbon.isAdmin', Library: lib, Default: 'false' })))),
    el('LocLabels', {}, buttons.map((b) => el('LocLabel', { Id: `ctapi.${b.id}.Label` }, el('Titles', {}, labelsOf('Title', b.label))))));
}

export const APP_UNIQUE_NAME = (prefix: string): string => `${prefix}_${SOLUTION_UNIQUE_NAME}`;

/** The app's site map: one area, one group "crm-tapi" with the four tables of manual 2.2.1. */
export function siteMap(schema: Schema): XmlElement {
  const t = customTables(schema);
  const titles = (l: Label): XmlElement => el('Titles', {}, el('Title', { LCID: 1033, Title: l[0] }), el('Title', { LCID: 1031, Title: l[1] }));
  const sub = (e: EntitySpec, id: string): XmlElement => el('SubArea', { Id: `${schema.prefix}_sub_${id}`, Entity: e.logicalName, AvailableOffline: 'true', PassParams: 'false' });
  return el('SiteMap', { IntroducedVersion: '7.0.0.0' }, el('Area', { Id: `${schema.prefix}_area`, ShowGroups: 'true' },
    titles(['Telephony', 'Telefonie']),
    el('Group', { Id: `${schema.prefix}_group`, IsProfile: 'false' }, titles(['crm-tapi', 'TAPI-Schnittstelle']),
      sub(t.setting, 'setting'), sub(t.eventLog, 'eventlog'), sub(t.lineConfig, 'lineconfig'), sub(t.callLog, 'calllog'))));
}

/** Default app icon of Dataverse (a system web resource every org has). */
const DEFAULT_APP_ICON = '953b9fac-1e5e-e611-80d6-00155ded156f';

export function appModule(schema: Schema, version: string): XmlElement {
  const tables = Object.values(customTables(schema)).filter((e) => e.logicalName !== schema.clientSession.logicalName);
  return el('AppModule', {},
    text('UniqueName', APP_UNIQUE_NAME(schema.prefix)), text('IntroducedVersion', version), text('WebResourceId', DEFAULT_APP_ICON),
    text('FormFactor', 1), text('ClientType', 4),
    el('AppModuleComponents', {},
      tables.map((e) => el('AppModuleComponent', { type: 1, schemaName: e.logicalName })),
      el('AppModuleComponent', { type: 62, schemaName: APP_UNIQUE_NAME(schema.prefix) })),
    el('AppModuleRoleMaps', {}, [ROLE_IDS.admin, ROLE_IDS.user].map((id) => el('Role', { id: `{${id}}` }))),
    el('LocalizedNames', {}, labelsOf('LocalizedName', ['crm-tapi', 'TAPI-Schnittstelle'])),
    el('Descriptions', {}, labelsOf('Description', ['Telephony settings and call logs', 'Telefonie-Einstellungen und Protokolle'])));
}
