// Role assignments in the simulated Dataverse, as an administrator makes them
// after importing a solution: associate and disassociate through `$ref`, the
// privileges in force at once, Dataverse's refusals; and an org started
// without the solution, which cannot hold assignments of roles it lacks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldBackSeed } from '../../simulator/dataverse/index.ts';
import { api, startSim, user, userToken, SEED_DIR, type Api } from './support.ts';

const TAPI_ADMIN = 'a1404fae-7653-5b93-ac63-830e966019c5';
const TAPI_USER = 'ecb2bb9b-86ba-5814-a57c-8e50cb4cf746';
let dv: Awaited<ReturnType<typeof startSim>>;
let admin: Api;

beforeAll(async () => {
  dv = await startSim();
  admin = api(dv, await userToken(dv, 'phoffmann'));
});
afterAll(async () => { await dv?.close(); });

const roleRef = (id: string): { '@odata.id': string } => ({ '@odata.id': `${dv.webApiUrl}roles(${id})` });

/** The ids of the roles a user holds now, sorted (agents hold TapiInterface User and a customer's Salesperson role). */
function rolesOf(userId: unknown): string[] {
  return [...dv.store.all('systemuserroles')].filter((r) => r['systemuserid'] === userId).map((r) => String(r['roleid'])).sort();
}

describe('associating security roles', () => {
  it('an admin gives a user a role and takes it back; the privileges follow at once', async () => {
    const lukas = user(dv, 'lbecker');
    const asLukas = api(dv, await userToken(dv, 'lbecker'));
    const rolesBefore = rolesOf(lukas.systemuserid);
    expect(rolesBefore).toContain(TAPI_USER);
    expect(rolesBefore).not.toContain(TAPI_ADMIN);
    expect((await asLukas('ctapi_settings?$top=1')).status).toBe(200); // TapiInterface User reads settings
    expect((await asLukas('ctapi_settings', { method: 'POST', body: { ctapi_name: 'X', ctapi_datatype: 946410000 } })).status).toBe(403);

    const given = await admin(`systemusers(${lukas.systemuserid})/systemuserroles_association/$ref`, { method: 'POST', body: roleRef(TAPI_ADMIN) });
    expect(given.status).toBe(204);
    const created = await asLukas('ctapi_settings', { method: 'POST', body: { ctapi_name: 'X', ctapi_datatype: 946410000 } });
    expect(created.status).toBe(204);
    const again = await admin(`systemusers(${lukas.systemuserid})/systemuserroles_association/$ref`, { method: 'POST', body: roleRef(TAPI_ADMIN) });
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: '0x80040237', message: 'Cannot insert duplicate key.' });

    expect((await admin(`systemusers(${lukas.systemuserid})/systemuserroles_association(${TAPI_ADMIN})/$ref`, { method: 'DELETE' })).status).toBe(204);
    expect((await asLukas('ctapi_settings', { method: 'POST', body: { ctapi_name: 'Y', ctapi_datatype: 946410000 } })).status).toBe(403);
    expect(rolesOf(lukas.systemuserid)).toEqual(rolesBefore);
  });

  it('teams get roles the same way, by the $id form of a disassociate too', async () => {
    const team = [...dv.store.all('team')].find((t) => ![...dv.store.all('teamroles')].some((r) => r['teamid'] === t['teamid']));
    expect(team).toBeDefined();
    const teamId = String(team?.['teamid']);
    expect((await admin(`teams(${teamId})/teamroles_association/$ref`, { method: 'POST', body: roleRef(TAPI_USER) })).status).toBe(204);
    expect([...dv.store.all('teamroles')].some((r) => r['teamid'] === teamId && r['roleid'] === TAPI_USER)).toBe(true);
    const ref = encodeURIComponent(`${dv.webApiUrl}roles(${TAPI_USER})`);
    expect((await admin(`teams(${teamId})/teamroles_association/$ref?$id=${ref}`, { method: 'DELETE' })).status).toBe(204);
    expect([...dv.store.all('teamroles')].some((r) => r['teamid'] === teamId)).toBe(false);
  });

  it('refuses an agent (no Write on users), an unknown role or user, a body without a role, and an unknown relationship', async () => {
    const anna = user(dv, 'aschmidt');
    const asAnna = api(dv, await userToken(dv, 'aschmidt'));
    const rolesBefore = rolesOf(anna.systemuserid);
    expect(rolesBefore).toContain(TAPI_USER);
    const selfPromotion = await asAnna(`systemusers(${anna.systemuserid})/systemuserroles_association/$ref`, { method: 'POST', body: roleRef(TAPI_ADMIN) });
    expect(selfPromotion.status).toBe(403);
    expect(selfPromotion.body.error.message).toContain('is missing prvWriteUser privilege');
    const unknownRole = await admin(`systemusers(${anna.systemuserid})/systemuserroles_association/$ref`, { method: 'POST', body: roleRef('00000000-0000-0000-0000-00000000abcd') });
    expect(unknownRole).toMatchObject({ status: 404, body: { error: { message: 'role With Id = 00000000-0000-0000-0000-00000000abcd Does Not Exist' } } });
    expect((await admin(`systemusers(00000000-0000-0000-0000-00000000abcd)/systemuserroles_association/$ref`, { method: 'POST', body: roleRef(TAPI_ADMIN) })).status).toBe(404);
    const noRole = await admin(`systemusers(${anna.systemuserid})/systemuserroles_association/$ref`, { method: 'POST', body: { '@odata.id': `${dv.webApiUrl}accounts(${anna.systemuserid})` } });
    expect(noRole.status).toBe(400);
    expect((await admin(`systemusers(${anna.systemuserid})/no_such_association/$ref`, { method: 'POST', body: roleRef(TAPI_ADMIN) })).status).toBe(400);
    expect(rolesOf(anna.systemuserid)).toEqual(rolesBefore);
  });
});

describe('an org without the solution', () => {
  it('holds no assignment of the solution\'s roles; heldBackSeed lists exactly those the seeded org has', async () => {
    const bare = await startSim({ withoutSolution: true });
    try {
      const ours = new Set([TAPI_ADMIN, TAPI_USER, '5f64e815-39d3-5972-a8e8-4d1fbe049d20']);
      const assigned = [...bare.store.all('systemuserroles'), ...bare.store.all('teamroles')].map((r) => String(r['roleid']));
      expect(assigned.length).toBeGreaterThan(0); // Petra's System Administrator stays
      expect(assigned.filter((id) => ours.has(id))).toEqual([]);
      const held = (await heldBackSeed(SEED_DIR)).flatMap((d) => d.records.map((r) => `${d.entity}:${String(r['roleid'])}`));
      const seeded = [...dv.store.all('systemuserroles')].map((r) => `systemuserroles:${String(r['roleid'])}`)
        .concat([...dv.store.all('teamroles')].map((r) => `teamroles:${String(r['roleid'])}`)).filter((k) => ours.has(k.split(':')[1] ?? ''));
      expect(held.length).toBeGreaterThan(0);
      expect(held.every((k) => ours.has(k.split(':')[1] ?? ''))).toBe(true);
      expect(seeded).toEqual(expect.arrayContaining(held));
    } finally {
      await bare.close();
    }
  });
});
