// Who administers the bridge is decided by role ids, never by role names: a
// German org's "Systemadministrator" (System Administrator's role template id)
// and a business unit's copy of TapiInterface Admin (its parent root role is
// ours) count; a look-alike role that merely carries the name does not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { connect } from '../../../src/dataverse/connection.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { UserRepository } from '../../../src/dataverse/repositories/users.ts';
import { ROLE_IDS } from '../../../src/dataverse/solution/model.ts';
import { SEED_USERS } from '../../support/seed-users.ts';
import { onPremise } from '../support/sim.ts';

const SYSADMIN_ROLE = '742bff67-af89-520d-ac62-7bd859df9118';
const BU = { logicalName: 'businessunit', id: '32953ba2-dd63-5dae-ae3e-1aa8ff17cf1e' };
let dv: SimulatedDataverse;
let users: UserRepository;
let close: () => Promise<void>;

function give(userId: string, roleId: string, rowId: string): void {
  dv.store.put('systemuserroles', rowId, { systemuserroleid: rowId, systemuserid: userId, roleid: roleId });
}

beforeAll(async () => {
  dv = await startSimulatedDataverse({ port: 0 });
  const { client } = await connect(parseConnectionConfig(onPremise(dv), 'manager'));
  users = new UserRepository(client);
  close = () => client.close();
});
afterAll(async () => {
  await close?.();
  await dv?.close();
});

describe('admin detection by role ids', () => {
  it('an agent is no admin; TapiInterface Admin by its solution id is', async () => {
    expect(await users.isAdmin(SEED_USERS.anna.id)).toBe(false);
    expect(await users.isAdmin(SEED_USERS.jens.id)).toBe(true);
  });

  it('System Administrator counts by its role template id, whatever the org calls it', async () => {
    const role = dv.store.get('role', SYSADMIN_ROLE);
    dv.store.put('role', SYSADMIN_ROLE, { ...role, name: 'Systemadministrator' });
    give(SEED_USERS.sophie.id, SYSADMIN_ROLE, 'a0000000-0000-4000-8000-000000000001');
    dv.store.nextVersion();
    expect(await users.roleNames(SEED_USERS.sophie.id)).toContain('Systemadministrator');
    expect(await users.isAdmin(SEED_USERS.sophie.id)).toBe(true);
  });

  it('a business unit\'s copy of TapiInterface Admin counts; a look-alike with the same name does not', async () => {
    const copy = 'b0000000-0000-4000-8000-000000000002';
    dv.store.put('role', copy, { roleid: copy, name: 'TapiInterface Admin', businessunitid: BU, parentrootroleid: { logicalName: 'role', id: ROLE_IDS.admin } });
    give(SEED_USERS.mehmet.id, copy, 'a0000000-0000-4000-8000-000000000003');
    const lookalike = 'b0000000-0000-4000-8000-000000000004';
    dv.store.put('role', lookalike, { roleid: lookalike, name: 'TapiInterface Admin', businessunitid: BU });
    give(SEED_USERS.emily.id, lookalike, 'a0000000-0000-4000-8000-000000000005');
    dv.store.nextVersion();
    expect(await users.isAdmin(SEED_USERS.mehmet.id)).toBe(true);
    expect(await users.roleNames(SEED_USERS.emily.id)).toContain('TapiInterface Admin');
    expect(await users.isAdmin(SEED_USERS.emily.id)).toBe(false);
  });
});
