// What `crm-tapi check` verifies, like the vendor's installer does before it
// starts the manager: the server answers, TLS holds, the organisation
// exists, the account can sign in, and it holds every privilege the manager
// uses. Each failure is one sentence and its own exit status
// (docs/dataverse.md "crm-tapi check").
import { createSchema } from './schema.ts';
import { checkSolution } from './solution/installed.ts';
import type { ConnectionConfig } from './connection-config.ts';
import { connect, type ConnectOptions } from './connection.ts';
import { DataverseError } from './web-api/errors.ts';
import type { DataverseApi, RolePrivilege } from './web-api/types.ts';

export const CHECK_STATUS = {
  ok: 0,
  internal: 1,
  config: 2,
  unreachable: 3,
  tls: 4,
  organisationNotFound: 5,
  userInvalid: 6,
  privilegesMissing: 7,
  serverError: 8,
  solutionMissing: 9,
} as const;

export type CheckResult =
  | { ok: true; organisation: string; friendlyName: string; version: string; userId: string }
  | { ok: false; status: number; code: string; problems: string[] };

type Verb = 'Create' | 'Read' | 'Write' | 'Delete' | 'Append' | 'AppendTo';

export interface RequiredPrivilege {
  readonly verb: Verb;
  /** Entity logical name as operators know it. */
  readonly entity: string;
  /** The name in privilege names (Dataverse: activities share "Activity", systemuser is "User"). */
  readonly privilegeEntity: string;
  /** Reads of the directory must see every record, not only the account's own. */
  readonly organisationWide?: boolean;
  readonly why: string;
}

export function privilegeName(p: Pick<RequiredPrivilege, 'verb' | 'privilegeEntity'>): string {
  return `prv${p.verb}${p.privilegeEntity}`;
}

/** Every privilege the manager's account uses, with the reason (shown in docs and errors). */
export function requiredPrivileges(prefix?: string): RequiredPrivilege[] {
  const s = createSchema(prefix);
  const custom = (verb: Verb, entity: string, why: string, organisationWide = false): RequiredPrivilege => ({ verb, entity, privilegeEntity: entity, why, organisationWide });
  return [
    { verb: 'Read', entity: 'account', privilegeEntity: 'Account', organisationWide: true, why: 'phone directory' },
    { verb: 'Read', entity: 'contact', privilegeEntity: 'Contact', organisationWide: true, why: 'phone directory' },
    { verb: 'Read', entity: 'lead', privilegeEntity: 'Lead', organisationWide: true, why: 'phone directory' },
    { verb: 'Read', entity: 'systemuser', privilegeEntity: 'User', organisationWide: true, why: 'line users and identity proof' },
    { verb: 'Read', entity: 'team', privilegeEntity: 'Team', organisationWide: true, why: 'lines shared with teams' },
    { verb: 'Read', entity: 'role', privilegeEntity: 'Role', why: 'admin rights (TapiInterface Admin)' },
    { verb: 'Read', entity: 'usersettings', privilegeEntity: 'UserSettings', why: 'UI language of the client' },
    { verb: 'Create', entity: 'phonecall', privilegeEntity: 'Activity', why: 'phone call activities' },
    { verb: 'Append', entity: 'phonecall', privilegeEntity: 'Activity', why: 'regarding record of phone calls' },
    { verb: 'Read', entity: 'solution', privilegeEntity: 'Solution', why: 'the check that the crm-tapi solution is installed' },
    custom('Read', s.lineConfig.logicalName, 'line configuration', true),
    custom('Create', s.lineConfig.logicalName, 'default, site and user line records'),
    custom('Append', s.lineConfig.logicalName, 'parent of line records'),
    custom('AppendTo', s.lineConfig.logicalName, 'parent of line records'),
    custom('Read', s.setting.logicalName, 'settings (IncallPhoneFields)', true),
    custom('Create', s.callLog.logicalName, 'call log'),
    custom('Append', s.callLog.logicalName, 'agent and phone call of a call log entry'),
    { verb: 'AppendTo', entity: 'phonecall', privilegeEntity: 'Activity', why: 'the phone call a call log entry points at' },
    { verb: 'AppendTo', entity: 'systemuser', privilegeEntity: 'User', why: 'the agent of a call log entry' },
    custom('Create', s.eventLog.logicalName, 'event log'),
    custom('Read', s.clientSession.logicalName, 'identity proof of browser clients', true),
    custom('Delete', s.clientSession.logicalName, 'single-use identity proof', true),
  ];
}

/** Missing privileges as sentences, e.g. "the account has no Create privilege on phonecall (prvCreateActivity)". */
export function missingPrivileges(held: readonly RolePrivilege[], required: readonly RequiredPrivilege[], actOnBehalf = true): string[] {
  const byName = new Map<string, RolePrivilege[]>();
  for (const p of held) byName.set(p.PrivilegeName.toLowerCase(), [...(byName.get(p.PrivilegeName.toLowerCase()) ?? []), p]);
  const problems: string[] = [];
  for (const r of required) {
    const name = privilegeName(r);
    const found = byName.get(name.toLowerCase());
    if (found === undefined) {
      problems.push(`the account has no ${r.verb} privilege on ${r.entity} (${name}), needed for ${r.why}`);
    } else if (r.organisationWide === true && !found.some((p) => p.Depth === 'Global')) {
      problems.push(`the account's ${r.verb} privilege on ${r.entity} (${name}) covers only part of the organisation (${found[0]?.Depth ?? '?'}); it needs Organization depth for ${r.why}`);
    }
  }
  if (actOnBehalf && !byName.has('prvactonbehalfofanotheruser')) {
    problems.push('the account may not act on behalf of another user (prvActOnBehalfOfAnotherUser), needed to create phone calls owned by the agent');
  }
  return problems;
}

function failure(status: number, code: string, ...problems: string[]): CheckResult {
  return { ok: false, status, code, problems };
}

/** Maps a failure of the first request to the installer's categories. */
export function classify(err: unknown, config: ConnectionConfig, server: string): CheckResult {
  if (!(err instanceof DataverseError)) {
    return failure(CHECK_STATUS.internal, 'internal', `unexpected failure: ${err instanceof Error ? err.message : String(err)}`);
  }
  switch (err.code) {
    case 'unreachable':
    case 'timeout':
      return failure(CHECK_STATUS.unreachable, 'server-unreachable', `the CRM server ${server} cannot be reached: ${err.message}`);
    case 'tls':
      return failure(CHECK_STATUS.tls, 'tls-failed', `the TLS connection to ${server} failed: ${err.message}`);
    case 'not-found':
      return failure(CHECK_STATUS.organisationNotFound, 'organisation-not-found', `organisation "${config.CrmOrganisation}" was not found on ${server} (unique name, case sensitive)`);
    case 'unauthorized':
      return failure(CHECK_STATUS.userInvalid, 'user-invalid', `the CRM account ${config.CrmUsername ?? config.CrmClientId ?? ''} could not sign in: ${err.message}`.replace('  ', ' '));
    case 'forbidden':
      return failure(CHECK_STATUS.privilegesMissing, 'privileges-missing', `the CRM account may not use the Web API: ${err.message}`);
    case 'throttled':
    case 'retry-budget-exhausted':
    case 'server-error':
      return failure(CHECK_STATUS.serverError, 'server-error', `the CRM server ${server} answered with errors: ${err.message}`);
    default:
      return failure(CHECK_STATUS.internal, err.code, err.message);
  }
}

export async function runCheck(config: ConnectionConfig, options: ConnectOptions = {}): Promise<CheckResult> {
  const connection = await connect(config, { retry: { maxAttempts: 2, maxWaitMs: 2000, budgetMs: 10_000 }, ...options });
  const server = new URL(connection.webApiUrl).host;
  try {
    return await verify(connection.client, config, server);
  } finally {
    await connection.client.close();
  }
}

export async function verify(api: DataverseApi, config: ConnectionConfig, server: string): Promise<CheckResult> {
  let who;
  try {
    who = await api.whoAmI();
  } catch (err) {
    return classify(err, config, server);
  }
  try {
    const org = await api.retrieveCurrentOrganization();
    // The Web API answers for the organisation its URL names; a different one means CrmServer or
    // CrmOrganisation points elsewhere (unique names are case sensitive in the manual).
    if (org.UniqueName !== config.CrmOrganisation) {
      return failure(CHECK_STATUS.organisationNotFound, 'organisation-not-found',
        `organisation "${config.CrmOrganisation}" was not found on ${server}: the server hosts "${org.UniqueName}" (unique name, case sensitive)`);
    }
    const version = await api.retrieveVersion();
    // Without the solution every ctapi_* privilege is "missing": say the one thing that helps.
    const solution = await checkSolution(api, org.UniqueName, { prefix: config.CrmPublisherPrefix });
    if (solution !== undefined && solution.state.kind !== 'ok' && solution.state.kind !== 'unassigned') {
      return failure(CHECK_STATUS.solutionMissing, solution.state.kind === 'missing' ? 'solution-missing' : 'solution-outdated', solution.sentence);
    }
    const privileges = await api.retrieveUserPrivileges(who.UserId);
    const problems = missingPrivileges(privileges, requiredPrivileges(config.CrmPublisherPrefix));
    // An account with no role of ours: the one step that helps first, then the details.
    const first = solution?.state.kind === 'unassigned' ? [solution.sentence] : [];
    if (problems.length > 0 || first.length > 0) return failure(CHECK_STATUS.privilegesMissing, 'privileges-missing', ...first, ...problems);
    return { ok: true, organisation: org.UniqueName, friendlyName: org.FriendlyName, version, userId: who.UserId };
  } catch (err) {
    return classify(err, config, server);
  }
}
