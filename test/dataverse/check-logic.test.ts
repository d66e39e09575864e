// The privilege sentences of `crm-tapi check` (pure part; the command itself
// is tested as a child process against the simulated Dataverse).
import { describe, expect, it } from 'vitest';
import { missingPrivileges, privilegeName, requiredPrivileges } from '../../src/dataverse/check.ts';

const all = requiredPrivileges().map((r) => ({ PrivilegeName: privilegeName(r), PrivilegeId: 'x', Depth: 'Global' }));
const actOnBehalf = { PrivilegeName: 'prvActOnBehalfOfAnotherUser', PrivilegeId: 'y', Depth: 'Global' };

describe('missingPrivileges', () => {
  it('is empty when every privilege is held organisation-wide', () => {
    expect(missingPrivileges([...all, actOnBehalf], requiredPrivileges())).toEqual([]);
  });

  it('names entity and privilege of each missing one', () => {
    const held = [...all.filter((p) => p.PrivilegeName !== 'prvCreateActivity'), actOnBehalf];
    expect(missingPrivileges(held, requiredPrivileges())).toEqual([
      'the account has no Create privilege on phonecall (prvCreateActivity), needed for phone call activities',
    ]);
  });

  it('reports a directory read limited to the business unit and a missing impersonation right', () => {
    const held = all.map((p) => (p.PrivilegeName === 'prvReadContact' ? { ...p, Depth: 'Local' } : p));
    expect(missingPrivileges(held, requiredPrivileges())).toEqual([
      "the account's Read privilege on contact (prvReadContact) covers only part of the organisation (Local); it needs Organization depth for phone directory",
      'the account may not act on behalf of another user (prvActOnBehalfOfAnotherUser), needed to create phone calls owned by the agent',
    ]);
  });

  it('uses the configured publisher prefix for our tables', () => {
    expect(requiredPrivileges('acme').map(privilegeName)).toContain('prvCreateacme_calllog');
  });
});
