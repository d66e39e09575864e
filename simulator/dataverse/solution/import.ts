// ImportSolution in the simulated Dataverse: the zip's tables become entities
// (EntityDefinitions, $metadata and the entity sets answer at once), their
// privileges exist, the roles carry the solution's privileges, web resources
// are stored, and the solution and its import job are records, as real
// Dataverse keeps them. Forms, views, ribbon and the app are stored in the
// job's result, not interpreted (docs/simulated-dataverse.md).
import { readSolution, SolutionFormatError, type SolutionPackage } from '../../../src/dataverse/solution/read.ts';
import { compareVersions, SYSTEM_ADMINISTRATOR_TEMPLATE_ID } from '../../../src/dataverse/solution/model.ts';
import { isoSeconds } from '../clock.ts';
import { DV, ODataError } from '../errors.ts';
import { allPrivilegeNames } from '../privileges.ts';
import { nameGuid } from '../seed.ts';
import type { SimState } from '../state.ts';
import { isLookup } from '../store.ts';
import { entityDefinition } from './tables.ts';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

interface Result { tag: string; attrs: Record<string, string>; error?: string }

function resultXml(results: readonly Result[], group: string): string {
  const items = results.map((r) => `<${r.tag} ${Object.entries(r.attrs).map(([k, v]) => `${k}="${esc(v)}"`).join(' ')}><result result="${r.error === undefined ? 'success' : 'failure'}" errorcode="${r.error === undefined ? '0' : '0x80048541'}" errortext="${esc(r.error ?? '')}" /></${r.tag}>`);
  return `<${group}>${items.join('')}</${group}>`;
}

function rootBusinessUnit(state: SimState): string {
  for (const bu of state.store.all('businessunit')) if (!isLookup(bu['parentbusinessunitid'])) return String(bu['businessunitid']);
  throw new ODataError(500, DV.unexpected, 'The organization has no root business unit.');
}

function readPackage(zip: Uint8Array): SolutionPackage {
  try {
    return readSolution(zip);
  } catch (err) {
    if (err instanceof SolutionFormatError) throw new ODataError(400, DV.invalidArgument, `The import file is invalid: ${err.message}`);
    throw err;
  }
}

/** Applies a solution zip and records its import job (per-component results in `data`). Throws ODataError when Dataverse refuses the whole import. */
export function applySolution(state: SimState, zip: Uint8Array, jobId: string, nowMs: number): void {
  const now = isoSeconds(nowMs);
  const pkg = readPackage(zip);
  const installed = [...state.store.all('solution')].find((s) => String(s['uniquename']).toLowerCase() === pkg.uniqueName.toLowerCase());
  if (installed && compareVersions(pkg.version, String(installed['version'])) < 0) {
    throw new ODataError(400, DV.invalidArgument, `The solution you are trying to import (${pkg.uniqueName} ${pkg.version}) has a lower version than the existing one (${String(installed['version'])}).`);
  }
  const entities = pkg.tables.map((t) => {
    try {
      return entityDefinition(t, pkg.relationships);
    } catch (err) {
      throw new ODataError(400, DV.invalidArgument, `The import file is invalid: ${(err as Error).message}`);
    }
  });
  state.metadata.define(entities);
  const { store } = state;
  const results: { entities: Result[]; roles: Result[]; webResources: Result[] } = { entities: [], roles: [], webResources: [] };
  store.transaction(() => {
    const privilegeIds = new Map<string, string>();
    for (const p of store.all('privilege')) privilegeIds.set(String(p['name']), String(p['privilegeid']));
    // Dataverse gives the System Administrator role every privilege of a new table at once,
    // whatever else it holds (an admin with only that role can read our tables after the import).
    const sysAdminRoles = [...store.all('role')].filter((r) => isLookup(r['roletemplateid']) && r['roletemplateid'].id === SYSTEM_ADMINISTRATOR_TEMPLATE_ID).map((r) => String(r['roleid']));
    for (const name of allPrivilegeNames(state.metadata)) {
      if (privilegeIds.has(name)) continue;
      const id = nameGuid(`privilege:${name}`);
      privilegeIds.set(name, id);
      store.put('privilege', id, { privilegeid: id, name, accessright: 0 });
      for (const roleid of sysAdminRoles) {
        const rpid = nameGuid(`roleprivilege:${roleid}:${id}`);
        store.put('roleprivileges', rpid, { roleprivilegeid: rpid, roleid, privilegeid: id, privilegedepthmask: 8 });
      }
    }
    for (const t of pkg.tables) results.entities.push({ tag: 'entity', attrs: { name: t.name } });
    const bu = rootBusinessUnit(state);
    for (const role of pkg.roles) {
      const missing = role.privileges.filter((p) => !privilegeIds.has(p.name)).map((p) => p.name);
      if (missing.length > 0) {
        results.roles.push({ tag: 'role', attrs: { name: role.name, id: role.id }, error: `The privilege(s) ${missing.join(', ')} do not exist.` });
        continue;
      }
      const before = store.get('role', role.id);
      store.put('role', role.id, {
        ...(before ?? { createdon: now }), roleid: role.id, name: role.name, businessunitid: { logicalName: 'businessunit', id: bu }, modifiedon: now,
      });
      for (const rp of [...store.all('roleprivileges')]) if (rp['roleid'] === role.id) store.remove('roleprivileges', String(rp['roleprivilegeid']), nowMs);
      for (const p of role.privileges) {
        const pid = privilegeIds.get(p.name) as string;
        const id = nameGuid(`roleprivilege:${role.id}:${pid}`);
        store.put('roleprivileges', id, { roleprivilegeid: id, roleid: role.id, privilegeid: pid, privilegedepthmask: { Basic: 1, Local: 2, Deep: 4, Global: 8 }[p.level] ?? 8 });
      }
      results.roles.push({ tag: 'role', attrs: { name: role.name, id: role.id } });
    }
    for (const w of pkg.webResources) {
      const data = pkg.entries.get(w.fileName.replace(/^\//, ''));
      if (data === undefined) {
        results.webResources.push({ tag: 'webResource', attrs: { name: w.name, id: w.id }, error: `The file ${w.fileName} is missing.` });
        continue;
      }
      store.put('webresource', w.id, { webresourceid: w.id, name: w.name, webresourcetype: w.type, content: Buffer.from(data).toString('base64'), modifiedon: now });
      results.webResources.push({ tag: 'webResource', attrs: { name: w.name, id: w.id } });
    }
    const solutionId = installed ? String(installed['solutionid']) : nameGuid(`solution:${pkg.uniqueName}`);
    store.put('solution', solutionId, {
      ...(installed ?? { installedon: now, createdon: now }), solutionid: solutionId, uniquename: pkg.uniqueName, version: pkg.version,
      friendlyname: pkg.uniqueName, ismanaged: pkg.managed, modifiedon: now,
    });
    const failed = [...results.entities, ...results.roles, ...results.webResources].some((r) => r.error !== undefined);
    const data = `<importexportxml succeeded="${failed ? 'failure' : 'success'}" status="${failed ? 'Failed' : 'Succeeded'}">`
      + `${resultXml(results.entities, 'entities')}${resultXml(results.roles, 'roles')}${resultXml(results.webResources, 'webResources')}`
      + `${resultXml([{ tag: 'solutionManifest', attrs: { languagecode: '1033', id: pkg.uniqueName, LocalizedName: pkg.uniqueName } }], 'solutionManifests')}</importexportxml>`;
    // Roles and privileges changed: a new row version ends every cached privilege set.
    store.nextVersion();
    store.put('importjob', jobId, { importjobid: jobId, name: `Import of ${pkg.uniqueName}`, solutionname: pkg.uniqueName, progress: 100, startedon: now, completedon: now, data, createdon: now });
  });
}
