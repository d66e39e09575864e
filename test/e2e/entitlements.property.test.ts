// Issue 7, end to end, as a property: for random assignments of lines to
// users — own user line records, records shared with a user, records shared
// with a team — made through the Web API as an admin would, every signed-in
// user receives exactly the calls of the lines they are entitled to, never
// others. Each run adds fresh lines to the PBX at run time (the connector
// reports them, the manager creates their records), so runs do not interfere.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSchema, lookupValue } from '../../src/dataverse/schema.ts';
import type { E2eClient } from './support/client.ts';
import { startStack, type Stack } from './support/stack.ts';
import { until } from './support/wait.ts';
import { USERS, type UserKey } from './support/webapi.ts';

const SIGNED_IN = ['anna', 'lukas', 'sophie', 'mehmet', 'emily'] as const satisfies readonly UserKey[];
type Agent = (typeof SIGNED_IN)[number];
/** Seeded teams and which of the signed-in users belong to them (fixtures/crm/seed/08-teammemberships.json). */
const TEAMS = {
  vertriebLeipzig: { id: '9cd56c15-1e7f-5f81-a2c3-f5f94ca0460c', members: ['anna', 'lukas'] },
  kundenserviceBerlin: { id: '63ecbb4c-7464-5954-ade4-4e79c14c2d51', members: ['sophie', 'mehmet'] },
  internationalSales: { id: 'b26e5afb-fc75-5098-ad7f-ae025cfeda89', members: ['emily'] },
} as const satisfies Record<string, { id: string; members: readonly Agent[] }>;
type Team = keyof typeof TEAMS;

type Grant = { kind: 'own'; user: Agent } | { kind: 'userShare'; user: Agent } | { kind: 'teamShare'; team: Team };
const LINES_PER_RUN = 3;
const lc = createSchema().lineConfig;

let stack: Stack;
const clients = new Map<Agent, E2eClient>();
let nextExtension = 100;

beforeAll(async () => {
  stack = await startStack({ lines: '20-21' });
  for (const user of SIGNED_IN) clients.set(user, (await stack.signIn(user)).client);
});

afterAll(async () => {
  await stack?.stop();
});

async function share(recordId: string, principal: { type: 'systemuser' | 'team'; id: string }): Promise<void> {
  await stack.admin.call('POST', 'GrantAccess', {
    Target: { '@odata.type': `Microsoft.Dynamics.CRM.${lc.logicalName}`, [lc.primaryId]: recordId },
    PrincipalAccess: { Principal: { '@odata.type': `Microsoft.Dynamics.CRM.${principal.type}`, [`${principal.type}id`]: principal.id }, AccessMask: 'ReadAccess' },
  });
}

function entitled(grants: readonly Grant[]): Set<Agent> {
  const users = new Set<Agent>();
  for (const g of grants) {
    if (g.kind === 'teamShare') for (const m of TEAMS[g.team].members) users.add(m);
    else users.add(g.user);
  }
  return users;
}

const grantArb: fc.Arbitrary<Grant> = fc.oneof(
  fc.record({ kind: fc.constant('own' as const), user: fc.constantFrom(...SIGNED_IN) }),
  fc.record({ kind: fc.constant('userShare' as const), user: fc.constantFrom(...SIGNED_IN) }),
  fc.record({ kind: fc.constant('teamShare' as const), team: fc.constantFrom(...(Object.keys(TEAMS) as Team[])) }),
);

it('every user receives exactly the calls of their lines', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(grantArb, { maxLength: 3 }), { minLength: LINES_PER_RUN, maxLength: LINES_PER_RUN }), async (assignments) => {
      const extensions = assignments.map(() => String((nextExtension += 1)));
      for (const ext of extensions) stack.pbx.addLine({ extension: ext });
      const recordOf = async (ext: string): Promise<string | undefined> =>
        (await stack.admin.list(lc.entitySet, `$select=${lc.primaryId},${lookupValue(lc.fields.user)}&$filter=${lc.fields.line} eq '${stack.line(ext)}'`))[0]?.[lc.primaryId] as string | undefined;
      await until(async () => (await Promise.all(extensions.map(recordOf))).every((id) => id !== undefined), 'records for the lines added at run time');

      for (const [i, grants] of assignments.entries()) {
        const ext = extensions[i] as string;
        for (const g of grants) {
          if (g.kind === 'own') await stack.assign(ext, g.user);
          else await share((await recordOf(ext)) as string, g.kind === 'userShare' ? { type: 'systemuser', id: USERS[g.user].id } : { type: 'team', id: TEAMS[g.team].id });
        }
      }
      await stack.refreshEntitlements();

      const keys: string[] = [];
      for (const ext of extensions) {
        const call = stack.pbx.incoming({ number: '+49 30 1234567' }, ext);
        const callKey = stack.callKey(call.callIds[0] as string);
        keys.push(callKey);
        await stack.routed.wait((e) => e.callKey === callKey && e.event.state === 'offering', `the call on ${ext} to ring`);
        stack.pbx.remoteHangup(call.session);
        await stack.routed.wait((e) => e.callKey === callKey && e.event.state === 'idle', `the call on ${ext} to end`);
      }
      await Promise.all([...clients.values()].map((c) => c.barrier()));

      for (const user of SIGNED_IN) {
        const client = clients.get(user) as E2eClient;
        const got = keys.filter((k) => client.notifications(k).length > 0);
        const expected = keys.filter((_, i) => entitled(assignments[i] as Grant[]).has(user));
        expect(got, `${user}: assignments ${JSON.stringify(assignments)}`).toEqual(expected);
        // Entitled users saw each call to its end, none of it replayed.
        for (const k of expected) expect(client.notifications(k).map((n) => n.state)).toEqual(['offering', 'disconnected', 'idle']);
      }
    }),
    { numRuns: 12, endOnFailure: true },
  );
}, 60_000);
