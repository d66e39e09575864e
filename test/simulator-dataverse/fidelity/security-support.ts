// Building an organisation for the security tests: business units, users, teams, roles with
// privileges at a depth, records with an owner, written the way the seed writes them (the
// simulator's own write path, privileges skipped). Requests then go through the Web API as the
// System Administrator impersonating the test user (MSCRMCallerID): the administrator holds
// every privilege organisation-wide, so what decides is the impersonated user's security —
// Dataverse demands both principals' privileges.
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/impersonate-another-user-web-api
import { DynamicsWebApi } from 'dynamics-web-api';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { DEPTH_MASK, type Depth } from '../../../simulator/dataverse/privileges.ts';
import { nameGuid } from '../../../simulator/dataverse/seed.ts';
import type { StoredRecord } from '../../../simulator/dataverse/store.ts';
import { userToken } from '../support.ts';

export const ROOT_BU = '32953ba2-dd63-5dae-ae3e-1aa8ff17cf1e';

export class World {
  private n = 0;
  constructor(readonly dv: SimulatedDataverse, private readonly tag: string) {}

  private create(logicalName: string, body: Record<string, unknown>): StoredRecord {
    const entity = this.dv.metadata.entity(logicalName);
    if (!entity) throw new Error(`no entity ${logicalName}`);
    return this.dv.state.writes.create(entity, body, { callerId: SYSTEM, userId: SYSTEM, now: this.dv.clock.now() }, undefined, { skipPrivileges: true, allowReadOnly: true });
  }

  id(kind: string): string {
    this.n += 1;
    return nameGuid(`${this.tag}:${kind}:${this.n}`);
  }

  businessUnit(parent = ROOT_BU): string {
    const id = this.id('bu');
    this.create('businessunit', { businessunitid: id, name: `BU ${id.slice(0, 8)}`, 'parentbusinessunitid@odata.bind': `/businessunits(${parent})` });
    return id;
  }

  user(bu = ROOT_BU, roles: string[] = []): string {
    const id = this.id('user');
    this.create('systemuser', { systemuserid: id, lastname: `User ${id.slice(0, 8)}`, domainname: `${id}@test`, accessmode: 0, isdisabled: false, 'businessunitid@odata.bind': `/businessunits(${bu})` });
    for (const role of roles) this.dv.store.put('systemuserroles', nameGuid(`${id}:${role}`), { systemuserroleid: nameGuid(`${id}:${role}`), systemuserid: id, roleid: role });
    return id;
  }

  team(bu: string, members: string[], roles: string[] = []): string {
    const id = this.id('team');
    this.create('team', { teamid: id, name: `Team ${id.slice(0, 8)}`, teamtype: 0, isdefault: false, 'businessunitid@odata.bind': `/businessunits(${bu})` });
    for (const m of members) this.dv.store.put('teammembership', nameGuid(`${id}:${m}`), { teammembershipid: nameGuid(`${id}:${m}`), teamid: id, systemuserid: m });
    for (const r of roles) this.dv.store.put('teamroles', nameGuid(`${id}:${r}`), { teamroleid: nameGuid(`${id}:${r}`), teamid: id, roleid: r });
    return id;
  }

  /** A role holding each privilege at its depth. */
  role(privileges: Record<string, Depth>): string {
    const id = this.id('role');
    this.create('role', { roleid: id, name: `Role ${id.slice(0, 8)}`, 'businessunitid@odata.bind': `/businessunits(${ROOT_BU})` });
    for (const [name, depth] of Object.entries(privileges)) {
      const privilegeid = nameGuid(`privilege:${name}`);
      if (!this.dv.store.get('privilege', privilegeid)) throw new Error(`no privilege ${name}`);
      const rp = nameGuid(`roleprivilege:${id}:${privilegeid}`);
      this.dv.store.put('roleprivileges', rp, { roleprivilegeid: rp, roleid: id, privilegeid, privilegedepthmask: DEPTH_MASK[depth] });
    }
    return id;
  }

  /** A record of a user-owned table owned by a user or a team. */
  record(logicalName: string, owner: { kind: 'systemuser' | 'team'; id: string }, body: Record<string, unknown> = {}): string {
    const entity = this.dv.metadata.entity(logicalName);
    if (!entity) throw new Error(`no entity ${logicalName}`);
    const id = this.id(logicalName);
    const name = entity.primaryNameAttribute && entity.attributes[entity.primaryNameAttribute]?.join === undefined ? { [entity.primaryNameAttribute]: `R ${id.slice(0, 8)}` } : { lastname: `R ${id.slice(0, 8)}` };
    this.create(logicalName, { [entity.primaryIdAttribute]: id, ...name, 'ownerid@odata.bind': `/${owner.kind === 'team' ? 'teams' : 'systemusers'}(${owner.id})`, ...body });
    return id;
  }
}

const SYSTEM = nameGuid('systemuser:SYSTEM');

/** Petra Hoffmann, System Administrator. */
export const ADMIN_SAM = 'phoffmann';

/**
 * A dynamics-web-api client (its Node build, over real HTTP) signed in as the administrator,
 * impersonating `userId` when given.
 */
export async function dwa(dv: SimulatedDataverse, userId?: string): Promise<DynamicsWebApi> {
  const token = await userToken(dv, ADMIN_SAM);
  return new DynamicsWebApi({ serverUrl: dv.url, dataApi: { version: '9.2' }, onTokenRefresh: () => Promise.resolve(token), ...(userId ? { impersonate: userId } : {}) });
}

/** The error dynamics-web-api rejects with, reduced to what Dataverse sent. */
export async function failure(p: Promise<unknown>): Promise<{ status: number | undefined; code: string | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { status?: number; code?: string; message?: string };
    return { status: e.status, code: e.code, message: String(e.message) };
  }
  throw new Error('expected the request to fail');
}
