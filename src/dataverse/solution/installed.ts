// Is the crm-tapi solution installed in an org, and which version? Used by
// the manager at start, by `crm-tapi check`, by `crm-tapi solution status`
// and by health checks: one question, one answer, one sentence.
import { createSchema, DEFAULT_PUBLISHER_PREFIX } from '../schema.ts';
import { DataverseError } from '../web-api/errors.ts';
import { odataString } from '../web-api/odata.ts';
import type { DataverseApi } from '../web-api/types.ts';
import { compareVersions, REQUIRED_SOLUTION_VERSION, SOLUTION_UNIQUE_NAME } from './model.ts';

export type InstalledSolution =
  | { readonly installed: false }
  | { readonly installed: true; readonly version: string; readonly managed: boolean; readonly id: string };

/** `solutions?$filter=uniquename eq 'crmtapi'`: needs prvReadSolution (the TapiManager Account role has it). */
export async function installedSolution(api: DataverseApi, uniqueName: string = SOLUTION_UNIQUE_NAME): Promise<InstalledSolution> {
  const rows = await api.list<Record<string, unknown>>('solutions', {
    select: ['solutionid', 'uniquename', 'version', 'ismanaged'], filter: `uniquename eq ${odataString(uniqueName)}`, top: 1,
  });
  const row = rows[0];
  if (row === undefined) return { installed: false };
  return { installed: true, version: String(row.version ?? '0.0.0.0'), managed: row.ismanaged === true, id: String(row.solutionid ?? '') };
}

export type SolutionState =
  | { readonly kind: 'ok'; readonly version: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'outdated'; readonly version: string; readonly required: string }
  /** The tables are there but this account may read neither solutions nor our settings: it has no role of ours yet. */
  | { readonly kind: 'unassigned' };

export function solutionState(installed: InstalledSolution, required: string = REQUIRED_SOLUTION_VERSION): SolutionState {
  if (!installed.installed) return { kind: 'missing' };
  if (compareVersions(installed.version, required) < 0) return { kind: 'outdated', version: installed.version, required };
  return { kind: 'ok', version: installed.version };
}

/** The one sentence operators read in logs and in `crm-tapi check`. */
export function describeSolutionState(state: SolutionState, org: string): string {
  switch (state.kind) {
    case 'ok':
      return `the crm-tapi solution ${state.version} is installed in org ${org}`;
    case 'missing':
      return `the crm-tapi solution is not installed in org ${org}; run \`crm-tapi solution import\``;
    case 'outdated':
      return `the crm-tapi solution in org ${org} is outdated: installed ${state.version}, this manager needs ≥ ${state.required}; run \`crm-tapi solution import\``;
    case 'unassigned':
      return `the crm-tapi solution is installed in org ${org}, but this account has no role of it yet; give it TapiManager Account (docs/install-dynamics.md, step 4)`;
  }
}

/** Whether the account is refused even our settings table (every crm-tapi role may read it). */
async function holdsNoRole(api: DataverseApi, prefix: string = DEFAULT_PUBLISHER_PREFIX): Promise<boolean> {
  const settings = createSchema(prefix).setting;
  try {
    await api.list(settings.entitySet, { select: [settings.primaryId], top: 1 });
    return false;
  } catch (err) {
    if (err instanceof DataverseError && err.code === 'forbidden') return true;
    throw err;
  }
}

/**
 * The solution's state; an account that may not read solutions (before the import even the
 * manager's own role is missing) is answered by the metadata instead: no `<prefix>_lineconfig`
 * table means no solution; a table that exists while even our settings are refused means the
 * account has no role of ours yet (step 4 of the guide not done). Undefined when neither can tell.
 */
export async function checkSolution(api: DataverseApi, org: string, options: { required?: string; prefix?: string } = {}): Promise<{ state: SolutionState; sentence: string } | undefined> {
  let installed: InstalledSolution;
  try {
    installed = await installedSolution(api);
  } catch (err) {
    if (!(err instanceof DataverseError && err.code === 'forbidden')) throw err;
    const table = `${options.prefix ?? DEFAULT_PUBLISHER_PREFIX}_lineconfig`;
    const found = await api.retrieve<Record<string, unknown>>('EntityDefinitions', { LogicalName: table }, ['LogicalName']).catch((e: unknown) => {
      if (e instanceof DataverseError && (e.code === 'forbidden' || e.code === 'not-found')) return e.code === 'forbidden' ? undefined : null;
      throw e;
    });
    if (found === null) {
      installed = { installed: false };
    } else {
      // The table exists: the solution may have been imported and the role given between the
      // two reads, so ask once more before giving up.
      const readIfAllowed = () => installedSolution(api).catch((e: unknown) => {
        if (e instanceof DataverseError && e.code === 'forbidden') return undefined;
        throw e;
      });
      let again = await readIfAllowed();
      if (again === undefined) {
        if (await holdsNoRole(api, options.prefix)) return { state: { kind: 'unassigned' }, sentence: describeSolutionState({ kind: 'unassigned' }, org) };
        // Our settings are readable, so the account holds a role of ours; if it got it during this check, the
        // solutions are readable now too. Still refused: the role lacks prvReadSolution.
        again = await readIfAllowed();
        if (again === undefined) return undefined;
      }
      installed = again;
    }
  }
  const state = solutionState(installed, options.required);
  return { state, sentence: describeSolutionState(state, org) };
}
