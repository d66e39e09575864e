// The solution as data: identity and publisher, the three security roles
// with fixed ids and privilege depths, and the web resources. Tables and
// columns come from schema.ts; forms, views, app, site map and ribbon from
// ui.ts. Two renderers read this: the simulated Dataverse's files
// (schema-metadata.ts, roles.ts) and the solution zip (customizations.ts,
// package.ts). Role ids and web resource ids are stable forever: an upgrade
// finds its components by them.
import { createHash } from 'node:crypto';
import { createSchema, type CustomEntities, type Schema } from '../schema.ts';

export const SOLUTION_UNIQUE_NAME = 'crmtapi';
export const PUBLISHER = {
  uniqueName: 'crmtapi',
  names: ['crm-tapi', 'crm-tapi'] as const,
  /** Option values of the manual's traces start with 94641 (e.g. 946410001). */
  optionValuePrefix: 94641,
} as const;
export const SOLUTION_NAMES = ['crm-tapi: CRM telephony integration (CTI)', 'TAPI-Schnittstelle (CTI = Computer-Telefonie-Integration)'] as const;
export const LANGUAGES = [1033, 1031] as const;

/**
 * The oldest solution version this manager works with: raise it when the
 * manager starts to use a column or table an older solution lacks.
 * 0.2.0.0: the call log's `ctapi_outcome` and `ctapi_transferredto` (0.1.0.0
 * lacks them, and Dataverse refuses a write that names an unknown column).
 */
export const REQUIRED_SOLUTION_VERSION = '0.2.0.0';

/** System Administrator's role template id: the same in every org and language. */
export const SYSTEM_ADMINISTRATOR_TEMPLATE_ID = '627090ff-40a3-4053-8790-584edc5be201';

export type Depth = 'Basic' | 'Local' | 'Deep' | 'Global';
export type Verb = 'Create' | 'Read' | 'Write' | 'Delete' | 'Append' | 'AppendTo' | 'Assign' | 'Share';
export const VERBS: readonly Verb[] = ['Create', 'Read', 'Write', 'Delete', 'Append', 'AppendTo', 'Assign', 'Share'];

export interface RoleSpec {
  readonly key: 'admin' | 'user' | 'manager';
  readonly id: string;
  readonly name: string;
  /** Privilege name → depth. */
  readonly privileges: Readonly<Record<string, Depth>>;
}

/** Fixed ids of our roles (also the ids the simulated org's seed uses). */
export const ROLE_IDS = {
  admin: 'a1404fae-7653-5b93-ac63-830e966019c5',
  user: 'ecb2bb9b-86ba-5814-a57c-8e50cb4cf746',
  manager: '5f64e815-39d3-5972-a8e8-4d1fbe049d20',
} as const;

/** Tables whose records have no owner: the only depth Dataverse offers for them is Global. */
function ownerless(schema: Schema): Set<string> {
  return new Set(Object.values(customTables(schema)).filter((e) => e.ownership === 'OrganizationOwned').map((e) => e.logicalName));
}

export function customTables(schema: Schema): { readonly [K in keyof CustomEntities]: Schema[K] } {
  const { lineConfig, setting, eventLog, callLog, clientSession } = schema;
  return { lineConfig, setting, eventLog, callLog, clientSession };
}

function grant(out: Record<string, Depth>, verbs: readonly Verb[], entity: string, depth: Depth, orgOwned: Set<string>): void {
  for (const v of verbs) {
    // Organisation-owned tables have no Assign/Share and only Global depth.
    if (orgOwned.has(entity) && (v === 'Assign' || v === 'Share')) continue;
    out[`prv${v}${entity}`] = orgOwned.has(entity) ? 'Global' : depth;
  }
}

const STANDARD_READS = ['Account', 'Contact', 'Lead', 'User', 'Team'] as const;

/** The three roles of manual 2.2.2 / 3.1, with the privileges the manager, the client and an admin use. */
export function roles(prefix?: string): RoleSpec[] {
  const s = createSchema(prefix);
  const org = ownerless(s);
  const tables = Object.values(customTables(s)).map((e) => e.logicalName);
  const t = customTables(s);

  const admin: Record<string, Depth> = {};
  for (const e of tables) grant(admin, VERBS, e, 'Global', org);
  for (const e of STANDARD_READS) admin[`prvRead${e}`] = 'Global';
  Object.assign(admin, {
    prvReadRole: 'Global', prvReadUserSettings: 'Basic', prvWriteUserSettings: 'Basic',
    prvReadActivity: 'Global', prvCreateActivity: 'Basic', prvWriteActivity: 'Basic', prvAppendActivity: 'Basic', prvShareActivity: 'Basic',
    prvAppendToAccount: 'Global', prvAppendToContact: 'Global', prvAppendToLead: 'Global',
  });

  const user: Record<string, Depth> = {};
  for (const e of tables) grant(user, ['Read'], e, 'Global', org);
  grant(user, ['Read'], t.callLog.logicalName, 'Basic', org);
  grant(user, ['Read', 'Create', 'Append'], t.clientSession.logicalName, 'Basic', org);
  grant(user, ['Write'], t.lineConfig.logicalName, 'Basic', org);
  // The pop-up opens the caller's record, whoever owns it: organisation-wide reads of the records
  // a call can match. Activities stay the agent's own (Basic): the client creates its phone calls
  // and never reads other agents'. AppendTo User: the agent is a party of the phone call it logs.
  for (const e of STANDARD_READS) user[`prvRead${e}`] = 'Global';
  Object.assign(user, {
    prvReadUserSettings: 'Basic', prvWriteUserSettings: 'Basic',
    prvReadActivity: 'Basic', prvCreateActivity: 'Basic', prvWriteActivity: 'Basic', prvAppendActivity: 'Basic',
    prvAppendToAccount: 'Global', prvAppendToContact: 'Global', prvAppendToLead: 'Global', prvAppendToUser: 'Global',
    prvWriteAccount: 'Global', prvWriteContact: 'Global', prvWriteLead: 'Global', prvCreateContact: 'Basic', prvCreateLead: 'Basic',
  });

  const manager: Record<string, Depth> = {};
  for (const e of tables) grant(manager, VERBS, e, 'Global', org);
  for (const e of STANDARD_READS) manager[`prvRead${e}`] = 'Global';
  Object.assign(manager, {
    prvReadRole: 'Global', prvReadBusinessUnit: 'Global', prvReadOrganization: 'Global', prvReadUserSettings: 'Global',
    // AppendTo Activity: a call log entry points at the phone call opened for it.
    prvReadActivity: 'Global', prvCreateActivity: 'Global', prvWriteActivity: 'Global', prvAppendActivity: 'Global', prvShareActivity: 'Global', prvAppendToActivity: 'Global',
    prvAppendToAccount: 'Global', prvAppendToContact: 'Global', prvAppendToLead: 'Global', prvAppendToUser: 'Global',
    prvActOnBehalfOfAnotherUser: 'Global', prvReadSolution: 'Global',
  });

  return [
    { key: 'admin', id: ROLE_IDS.admin, name: 'TapiInterface Admin', privileges: admin },
    { key: 'user', id: ROLE_IDS.user, name: 'TapiInterface User', privileges: user },
    { key: 'manager', id: ROLE_IDS.manager, name: 'TapiManager Account', privileges: manager },
  ];
}

/** Dataverse web resource types. */
export const WEB_RESOURCE_TYPE = { html: 1, css: 2, js: 3, xml: 4, png: 5, svg: 11 } as const;
export type WebResourceKind = keyof typeof WEB_RESOURCE_TYPE;

export interface WebResourceSpec {
  readonly id: string;
  /** Dataverse name: letters, digits, `.`, `_` and single `/` (no hyphens). */
  readonly name: string;
  readonly kind: WebResourceKind;
  readonly displayName: string;
  /** Where the content comes from: a file of the client build, or a file of src/client/solution/. */
  readonly source: { readonly build: string } | { readonly asset: string };
}

/** Web resource names under the publisher prefix; the client bundle keeps its relative links. */
export function webResources(prefix = 'ctapi'): WebResourceSpec[] {
  const base = `${prefix}_/crmtapi/`;
  return [
    { id: '6c1f3a2e-5b0d-4f8e-9a61-2d7c4e8b1f01', name: `${base}webresource.html`, kind: 'html', displayName: 'crm-tapi form client', source: { build: 'crm-tapi-webresource.html' } },
    { id: '6c1f3a2e-5b0d-4f8e-9a61-2d7c4e8b1f02', name: `${base}webresource.js`, kind: 'js', displayName: 'crm-tapi client bundle', source: { build: 'crm-tapi-webresource.js' } },
    { id: '6c1f3a2e-5b0d-4f8e-9a61-2d7c4e8b1f03', name: `${base}formonload.js`, kind: 'js', displayName: 'crm-tapi form OnLoad', source: { asset: 'formonload.js' } },
    { id: '6c1f3a2e-5b0d-4f8e-9a61-2d7c4e8b1f04', name: `${base}ribbon.js`, kind: 'js', displayName: 'crm-tapi command bar', source: { asset: 'ribbon.js' } },
    { id: '6c1f3a2e-5b0d-4f8e-9a61-2d7c4e8b1f05', name: `${base}diagnose.html`, kind: 'html', displayName: 'Diagnose TAPI Manager', source: { asset: 'diagnose.html' } },
    { id: '6c1f3a2e-5b0d-4f8e-9a61-2d7c4e8b1f06', name: `${base}icons/connected.svg`, kind: 'svg', displayName: 'crm-tapi connected', source: { asset: 'connected.svg' } },
    { id: '6c1f3a2e-5b0d-4f8e-9a61-2d7c4e8b1f07', name: `${base}icons/disconnected.svg`, kind: 'svg', displayName: 'crm-tapi disconnected', source: { asset: 'disconnected.svg' } },
  ];
}

/** Dataverse's rule for web resource names. */
export const WEB_RESOURCE_NAME = /^[A-Za-z0-9_]+(?:\/[A-Za-z0-9_.]+)*\.[A-Za-z0-9]+$/;

/** `1.2.3` → `1.2.3.0`; solution versions have four parts. */
export function solutionVersion(packageVersion: string): string {
  const core = packageVersion.split(/[-+]/)[0] ?? '';
  const parts = core.split('.').filter((p) => p !== '');
  if (parts.length === 0 || parts.length > 4 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new RangeError(`"${packageVersion}" is not a version of the form major.minor.patch[.build]`);
  }
  while (parts.length < 4) parts.push('0');
  return parts.map((p) => String(Number(p))).join('.');
}

/** Compares two dotted versions numerically (missing parts count as 0). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * A GUID derived from a component's name (forms, views, sections): the same on
 * every build, so an upgrade replaces rather than duplicates the component.
 */
export function stableGuid(name: string): string {
  const h = createHash('sha1').update(`crm-tapi-solution:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
