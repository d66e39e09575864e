// Property: for random business-unit trees, users and teams in them, random roles (Read and
// Write on accounts at random depths, held directly or through a team), random owners and random
// shares, what each user can read (queries and retrieve) and write (update) through the Web API
// is exactly what a small reference model of Dataverse's rules allows — never more, never less.
// The reference model is written here, independently of simulator/dataverse/access.ts, from:
//   https://learn.microsoft.com/power-platform/admin/security-roles-privileges#access-levels
//   https://learn.microsoft.com/power-platform/admin/wp-security-cds (privilege check, then access check; sharing)
//   https://learn.microsoft.com/power-platform/admin/manage-teams#about-team-privileges (team members inherit the
//   team's privileges at Basic depth as their own, "Direct User (Basic) access level and Team privileges")
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import type { Depth } from '../../../simulator/dataverse/privileges.ts';
import { api, startSim, userToken, type Api } from '../support.ts';
import { ADMIN_SAM, ROOT_BU, World } from './security-support.ts';

type Op = 'Read' | 'Write';
type RoleSpec = Partial<Record<Op, Depth>>;
interface Scenario {
  /** parent index of BU i+1 (BU 0 is the root). */
  parents: number[];
  users: { bu: number; roles: RoleSpec[] }[];
  teams: { bu: number; members: number[]; role: RoleSpec | null }[];
  records: { owner: { team: boolean; index: number } }[];
  shares: { record: number; principal: { team: boolean; index: number }; rights: Op[] }[];
}

const depth = fc.constantFrom<Depth>('Basic', 'Local', 'Deep', 'Global');
const role: fc.Arbitrary<RoleSpec> = fc.record({ Read: depth, Write: depth }, { requiredKeys: [] });
const scenario: fc.Arbitrary<Scenario> = fc.integer({ min: 0, max: 4 }).chain((extraBus) =>
  fc.record({
    parents: fc.tuple(...Array.from({ length: extraBus }, (_, i) => fc.integer({ min: 0, max: i }))),
    users: fc.array(fc.record({ bu: fc.integer({ min: 0, max: extraBus }), roles: fc.array(role, { maxLength: 2 }) }), { minLength: 1, maxLength: 4 }),
    teams: fc.array(fc.record({ bu: fc.integer({ min: 0, max: extraBus }), members: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), role: fc.option(role) }), { maxLength: 2 }),
    records: fc.array(fc.record({ owner: fc.record({ team: fc.boolean(), index: fc.integer({ min: 0, max: 3 }) }) }), { minLength: 1, maxLength: 5 }),
    shares: fc.array(fc.record({ record: fc.integer({ min: 0, max: 4 }), principal: fc.record({ team: fc.boolean(), index: fc.integer({ min: 0, max: 3 }) }), rights: fc.subarray<Op>(['Read', 'Write'], { minLength: 1 }) }), { maxLength: 3 }),
  }),
);

// ── the reference model ──────────────────────────────────────────────────────────────────────
interface Principal { team: boolean; index: number }
const same = (a: Principal, b: Principal): boolean => a.team === b.team && a.index === b.index;

function buOf(s: Scenario, p: Principal): number {
  return p.team ? (s.teams[p.index]?.bu ?? 0) : (s.users[p.index]?.bu ?? 0);
}

function isUnder(s: Scenario, bu: number, ancestor: number): boolean {
  for (let b: number | undefined = bu; b !== undefined; b = b === 0 ? undefined : s.parents[b - 1]) if (b === ancestor) return true;
  return false;
}

/** Grants of `op` for user u: [depth, anchor]. */
function grants(s: Scenario, u: number, op: Op): [Depth, Principal][] {
  const out: [Depth, Principal][] = [];
  for (const r of s.users[u]?.roles ?? []) if (r[op]) out.push([r[op], { team: false, index: u }]);
  s.teams.forEach((t, ti) => {
    const d = t.role?.[op];
    if (d && t.members.includes(u)) out.push([d, { team: true, index: ti }], ['Basic', { team: false, index: u }]);
  });
  return out;
}

type Outcome = 'allowed' | 'no-privilege' | 'no-access';

function reference(s: Scenario, u: number, op: Op, record: number): Outcome {
  const g = grants(s, u, op);
  if (g.length === 0) return 'no-privilege';
  const owner = s.records[record]?.owner as Principal;
  const ownerBu = buOf(s, owner);
  const covered = g.some(([d, anchor]) => d === 'Global' || same(owner, anchor)
    || (d === 'Local' && ownerBu === buOf(s, anchor)) || (d === 'Deep' && isUnder(s, ownerBu, buOf(s, anchor))));
  const principals = (p: Principal): boolean => (p.team ? (s.teams[p.index]?.members.includes(u) ?? false) : p.index === u);
  const shared = s.shares.some((sh) => sh.record === record && sh.rights.includes(op) && principals(sh.principal));
  return covered || shared ? 'allowed' : 'no-access';
}

// ── building the scenario in the simulator ───────────────────────────────────────────────────
let dv: SimulatedDataverse;
let call: Api;
let runs = 0;

beforeAll(async () => {
  dv = await startSim();
  call = api(dv, await userToken(dv, ADMIN_SAM));
});
afterAll(async () => {
  await dv?.close();
});

/** Clamps indices into what the scenario has (generators draw from fixed ranges). */
function normalise(s: Scenario): Scenario {
  const users = s.users.length;
  return {
    ...s,
    teams: s.teams.map((t) => ({ ...t, members: t.members.filter((m) => m < users) })),
    records: s.records.map((r) => ({ owner: fixPrincipal(s, r.owner) })),
    shares: s.shares.filter((sh) => sh.record < s.records.length).map((sh) => ({ ...sh, principal: fixPrincipal(s, sh.principal) })),
  };
}

function fixPrincipal(s: Scenario, p: Principal): Principal {
  if (p.team && s.teams.length > 0) return { team: true, index: p.index % s.teams.length };
  return { team: false, index: p.index % s.users.length };
}

function build(s: Scenario): { users: string[]; records: string[] } {
  runs += 1;
  const w = new World(dv, `prop${runs}`);
  const bus = [ROOT_BU];
  for (const parent of s.parents) bus.push(w.businessUnit(bus[parent]));
  const roleOf = (r: RoleSpec): string => w.role(Object.fromEntries(Object.entries(r).map(([op, d]) => [`prv${op}Account`, d])));
  const users = s.users.map((u) => w.user(bus[u.bu], u.roles.map(roleOf)));
  const teams = s.teams.map((t) => w.team(bus[t.bu] as string, t.members.map((m) => users[m] as string), t.role ? [roleOf(t.role)] : []));
  const idOf = (p: Principal): { kind: 'systemuser' | 'team'; id: string } => (p.team ? { kind: 'team', id: teams[p.index] as string } : { kind: 'systemuser', id: users[p.index] as string });
  const records = s.records.map((r) => w.record('account', idOf(r.owner)));
  for (const sh of s.shares) {
    const p = idOf(sh.principal);
    const target = records[sh.record] as string;
    const id = `${target.slice(0, 24)}${p.id.slice(24)}`;
    const existing = dv.store.get('principalobjectaccess', id);
    const mask = sh.rights.reduce((m, r) => m | (r === 'Read' ? 1 : 2), Number(existing?.['accessrightsmask'] ?? 0));
    dv.store.put('principalobjectaccess', id, { principalobjectaccessid: id, objectid: { id: target, logicalName: 'account' }, principalid: { id: p.id, logicalName: p.kind }, accessrightsmask: mask });
  }
  return { users, records };
}

function outcomeOf(status: number, code: string | undefined): Outcome | string {
  if (status >= 200 && status < 300) return 'allowed';
  if (status === 403 && code === '0x80040220') return 'no-privilege';
  if (status === 403 && code === '0x80048306') return 'no-access';
  return `unexpected ${status} ${code ?? ''}`;
}

describe('record-level security against a reference model (property)', () => {
  it('random roles, business units, teams, owners and shares: reads and writes are exactly what the rules allow', async () => {
    await fc.assert(fc.asyncProperty(scenario.map(normalise), async (s) => {
      const { users, records } = build(s);
      const filter = encodeURIComponent(records.map((id) => `accountid eq ${id}`).join(' or '));
      for (const [u, userId] of users.entries()) {
        const headers = { MSCRMCallerID: userId };
        const list = await call(`accounts?$select=accountid&$filter=${filter}`, { headers });
        const expectedRead = records.map((_, r) => reference(s, u, 'Read', r));
        if (expectedRead[0] === 'no-privilege') {
          expect(outcomeOf(list.status, list.body?.error?.code)).toBe('no-privilege');
        } else {
          expect(list.status).toBe(200);
          const seen = new Set((list.body.value as { accountid: string }[]).map((r) => r.accountid));
          expect(records.map((id) => seen.has(id))).toEqual(expectedRead.map((o) => o === 'allowed'));
        }
        for (const [r, id] of records.entries()) {
          const one = await call(`accounts(${id})?$select=accountid`, { headers });
          expect(outcomeOf(one.status, one.body?.error?.code)).toBe(reference(s, u, 'Read', r));
          const write = await call(`accounts(${id})`, { method: 'PATCH', headers: { ...headers, 'If-Match': '*' }, body: { telephone1: `u${u}` } });
          expect(outcomeOf(write.status, write.body?.error?.code)).toBe(reference(s, u, 'Write', r));
        }
      }
    }), { numRuns: 25 });
  }, 120_000);
});
