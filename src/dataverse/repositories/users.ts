// Users, teams and roles as the manager needs them: who a user is (by id or
// by Entra object id), whether they administer the bridge (TapiInterface
// Admin or System Administrator, directly or through a team, recognised by
// role ids and never by names, which an org translates), which teams
// they belong to, and the language of their CRM UI. Roles are read through
// the intersect tables (systemuserroles, teamroles, teammembership), which
// on-premises and online both expose.
import { STANDARD } from '../schema.ts';
import { ROLE_IDS, SYSTEM_ADMINISTRATOR_TEMPLATE_ID } from '../solution/model.ts';
import { odataGuid } from '../web-api/odata.ts';
import type { DataverseApi } from '../web-api/types.ts';
import { bool, guid, int, text, type Row } from './fields.ts';

export interface UserRecord {
  id: string;
  fullName: string;
  domainName?: string;
  entraObjectId?: string;
  isDisabled: boolean;
  /** Set for application users (the manager's own account online). */
  applicationId?: string;
  email?: string;
}

export interface TeamRecord {
  id: string;
  name: string;
}

const U = STANDARD.systemuser;
const USER_SELECT = [U.primaryId, ...Object.values(U.fields)];

/** Filters `<attr> eq a or <attr> eq b …` in chunks small enough for a URL. */
function inChunks(attribute: string, ids: readonly string[], size = 40): string[] {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size).map((id) => `${attribute} eq ${odataGuid(id)}`).join(' or '));
  return out;
}

export class UserRepository {
  constructor(private readonly api: DataverseApi) {}

  parse(row: Row): UserRecord | undefined {
    const id = guid(row, U.primaryId);
    if (id === undefined) return undefined;
    return {
      id,
      fullName: text(row, U.fields.fullName) ?? '',
      domainName: text(row, U.fields.domainName),
      entraObjectId: guid(row, U.fields.entraObjectId),
      isDisabled: bool(row, U.fields.isDisabled) ?? false,
      applicationId: guid(row, U.fields.applicationId),
      email: text(row, U.fields.email),
    };
  }

  async byId(id: string): Promise<UserRecord | undefined> {
    const row = await this.api.retrieve<Row>(U.entitySet, id, USER_SELECT);
    return row === null ? undefined : this.parse(row);
  }

  async byEntraObjectId(objectId: string): Promise<UserRecord | undefined> {
    const rows = await this.api.list<Row>(U.entitySet, { select: USER_SELECT, filter: `${U.fields.entraObjectId} eq ${odataGuid(objectId)}`, top: 2 });
    const first = rows[0];
    return first === undefined ? undefined : this.parse(first);
  }

  async teamsOf(userId: string): Promise<TeamRecord[]> {
    const tm = STANDARD.teammembership;
    const links = await this.api.list<Row>(tm.entitySet, { select: [tm.fields.teamId], filter: `${tm.fields.userId} eq ${odataGuid(userId)}` });
    const ids = [...new Set(links.map((l) => guid(l, tm.fields.teamId)).filter((v): v is string => v !== undefined))];
    return this.teams(ids);
  }

  async membersOf(teamId: string): Promise<string[]> {
    const tm = STANDARD.teammembership;
    const links = await this.api.list<Row>(tm.entitySet, { select: [tm.fields.userId], filter: `${tm.fields.teamId} eq ${odataGuid(teamId)}` });
    return [...new Set(links.map((l) => guid(l, tm.fields.userId)).filter((v): v is string => v !== undefined))];
  }

  private async teams(ids: readonly string[]): Promise<TeamRecord[]> {
    const T = STANDARD.team;
    const out: TeamRecord[] = [];
    for (const filter of inChunks(T.primaryId, ids)) {
      for (const row of await this.api.list<Row>(T.entitySet, { select: [T.primaryId, T.primaryName], filter })) {
        const id = guid(row, T.primaryId);
        if (id !== undefined) out.push({ id, name: text(row, T.primaryName) ?? '' });
      }
    }
    return out;
  }

  /** Ids of the security roles the user holds directly or through a team. */
  async roleIds(userId: string): Promise<string[]> {
    const direct = await this.api.list<Row>('systemuserrolescollection', { select: ['roleid'], filter: `systemuserid eq ${odataGuid(userId)}` });
    const roleIds = new Set(direct.map((r) => guid(r, 'roleid')).filter((v): v is string => v !== undefined));
    const teams = await this.teamsOf(userId);
    for (const filter of inChunks('teamid', teams.map((t) => t.id))) {
      for (const r of await this.api.list<Row>('teamrolescollection', { select: ['roleid'], filter })) {
        const id = guid(r, 'roleid');
        if (id !== undefined) roleIds.add(id);
      }
    }
    return [...roleIds];
  }

  /** Names of the security roles the user holds directly or through a team (for people to read, never to decide). */
  async roleNames(userId: string): Promise<string[]> {
    const roleIds = await this.roleIds(userId);
    const R = STANDARD.role;
    const names = new Set<string>();
    for (const filter of inChunks(R.primaryId, [...roleIds])) {
      for (const row of await this.api.list<Row>(R.entitySet, { select: [R.primaryId, R.primaryName], filter })) {
        const name = text(row, R.primaryName);
        if (name !== undefined) names.add(name);
      }
    }
    return [...names].sort();
  }

  /**
   * TapiInterface Admin or System Administrator (manual 3.2.1.4): our admin role by its fixed
   * id (or a business unit's copy of it, whose parent root role is ours), System Administrator by
   * its role template id — a German org calls it "Systemadministrator".
   */
  async isAdmin(userId: string): Promise<boolean> {
    const roleIds = await this.roleIds(userId);
    if (roleIds.includes(ROLE_IDS.admin)) return true;
    const R = STANDARD.role;
    for (const filter of inChunks(R.primaryId, roleIds)) {
      for (const row of await this.api.list<Row>(R.entitySet, { select: [R.primaryId, '_roletemplateid_value', '_parentrootroleid_value'], filter })) {
        if (guid(row, '_roletemplateid_value') === SYSTEM_ADMINISTRATOR_TEMPLATE_ID || guid(row, '_parentrootroleid_value') === ROLE_IDS.admin) return true;
      }
    }
    return false;
  }

  /** The CRM UI language (LCID, e.g. 1031 German, 1033 English), undefined when unknown. */
  async uiLanguage(userId: string): Promise<number | undefined> {
    const S = STANDARD.usersettings;
    const row = await this.api.retrieve<Row>(S.entitySet, userId, [S.primaryId, S.fields.uiLanguageId]);
    if (row === null) return undefined;
    const lcid = int(row, S.fields.uiLanguageId);
    return lcid === undefined || lcid <= 0 ? undefined : lcid;
  }
}
