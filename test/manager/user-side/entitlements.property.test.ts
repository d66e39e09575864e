// Property: over random assignments of lines to users (own records, several
// records per line), shares with users and with teams, and random team
// memberships, every user receives exactly the call events of the lines they
// are entitled to — never others — through the real router with one
// recipient per user; and the table agrees with a naive reading of the rule.
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { LineConfigRecord, LineShare } from '../../../src/dataverse/repositories/index.ts';
import type { MonoMs } from '../../../src/manager/clock.ts';
import type { RoutedCallEvent } from '../../../src/manager/contracts.ts';
import { lineSettings } from '../../../src/manager/entitlements/settings.ts';
import { EntitlementTable } from '../../../src/manager/entitlements/table.ts';
import { MissedStore } from '../../../src/manager/routing/missed.ts';
import { CallRouter } from '../../../src/manager/routing/router.ts';
import type { CallNotificationMessage, CallState } from '../../../src/protocol/index.ts';

const uid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const DEFAULT: LineConfigRecord = { id: uid(900), kind: 'default', name: 'Standard', dialing: { countryCode: '49', internationalPrefix: '00', nationalPrefix: '0' }, popup: {} };
const SITE: LineConfigRecord = { id: uid(901), kind: 'site', name: 'Standort', parentId: DEFAULT.id, dialing: { maxInternalLength: 3 }, popup: {} };

const world = fc.record({
  users: fc.integer({ min: 1, max: 8 }),
  lines: fc.integer({ min: 1, max: 8 }),
  teams: fc.integer({ min: 0, max: 3 }),
}).chain(({ users, lines, teams }) => fc.record({
  users: fc.constant(users),
  lines: fc.constant(lines),
  // [line, user or -1 for no user]: several records may name one line.
  records: fc.array(fc.tuple(fc.nat(lines - 1), fc.integer({ min: -1, max: users - 1 })), { minLength: 1, maxLength: 16 }),
  shares: fc.array(fc.tuple(fc.nat(15), fc.boolean(), fc.nat(Math.max(users, teams, 1) - 1)), { maxLength: 12 }),
  members: fc.array(fc.tuple(fc.nat(Math.max(teams, 1) - 1), fc.nat(users - 1)), { maxLength: 16 }),
  teamCount: fc.constant(teams),
  online: fc.array(fc.boolean(), { minLength: users, maxLength: users }),
  calls: fc.array(fc.tuple(fc.nat(lines - 1), fc.constantFrom<CallState>('offering', 'connected', 'idle')), { minLength: 1, maxLength: 20 }),
}));

type World = typeof world extends fc.Arbitrary<infer T> ? T : never;
const lineName = (l: number) => `pbx.example:${10 + l}`;

/** The line records, shares and team memberships of a random world. */
function inputOf(w: World): { records: LineConfigRecord[]; shares: LineShare[]; teamMembers: Map<string, string[]> } {
  const records: LineConfigRecord[] = w.records.map(([l, u], i) => ({
    id: uid(i), kind: 'userLine', name: lineName(l), line: lineName(l), parentId: SITE.id, dialing: {}, popup: {},
    ...(u >= 0 ? { userId: uid(100 + u) } : {}), createdOn: new Date(1_700_000_000_000 + i),
  }));
  const shares: LineShare[] = w.shares
    .filter(([r, toTeam, p]) => r < records.length && (!toTeam || (w.teamCount > 0 && p < w.teamCount)) && (toTeam || p < w.users))
    .map(([r, toTeam, p]) => ({ lineId: uid(r), principalId: toTeam ? uid(500 + p) : uid(100 + p), principalType: toTeam ? 'team' : 'systemuser', accessRightsMask: 1 }));
  const teamMembers = new Map<string, string[]>();
  for (const [t, u] of w.members) if (t < w.teamCount) teamMembers.set(uid(500 + t), [...new Set([...(teamMembers.get(uid(500 + t)) ?? []), uid(100 + u)])]);
  return { records, shares, teamMembers };
}

describe('entitlements and routing', () => {
  it('every user receives exactly the events of their lines (own, shared with them, shared with their team)', () => {
    fc.assert(fc.property(world, (w) => {
      const { records, shares, teamMembers } = inputOf(w);
      const table = new EntitlementTable({ records: [DEFAULT, SITE, ...records], shares, teamMembers });

      // The rule, read naively.
      const entitled = (user: string, line: string): boolean =>
        records.some((r) => r.line === line && (r.userId === user
          || shares.some((s) => s.lineId === r.id && (s.principalId === user || (teamMembers.get(s.principalId) ?? []).includes(user)))));
      for (let u = 0; u < w.users; u += 1) {
        for (let l = 0; l < w.lines; l += 1) expect(table.grant(uid(100 + u), lineName(l)) !== undefined).toBe(entitled(uid(100 + u), lineName(l)));
      }

      const inbox = new Map<string, CallNotificationMessage[]>();
      const router = new CallRouter({
        entitlements: () => table,
        settingsOf: (r) => lineSettings(r, table.recordsById, { default: DEFAULT, site: SITE }),
        lookup: () => [],
        recipients: { pick: (user) => (w.online[Number(user.slice(-3)) - 100] ? { id: `c-${user}`, send: (m) => inbox.set(user, [...(inbox.get(user) ?? []), m]) } : undefined) },
        missed: new MissedStore(),
        nameOf: () => undefined,
        onFinished: () => undefined,
        now: () => 0 as MonoMs,
        newId: (() => { let n = 0; return () => `n${(n += 1)}`; })(),
        logger: pino({ level: 'silent' }),
      });
      const sent: { line: string; callKey: string }[] = [];
      w.calls.forEach(([l, state], i) => {
        const event: RoutedCallEvent = {
          callKey: `pbx.example/c${i}`, line: lineName(l), connectorHost: 'pbx.example', receivedAt: i as MonoMs,
          event: { channel: 'connector', command: 'callState', seq: i, timestamp: '2024-05-01T12:00:00.000Z', line: String(10 + l), callId: `c${i}`, state, origin: 'inbound', callerNumber: '0301234567', snapshot: false },
        };
        sent.push({ line: event.line, callKey: event.callKey });
        router.route(event);
      });
      router.stop();
      for (let u = 0; u < w.users; u += 1) {
        const user = uid(100 + u);
        const got = (inbox.get(user) ?? []).map((m) => m.callKey).sort();
        const want = w.online[u] ? sent.filter((s) => entitled(user, s.line)).map((s) => s.callKey).sort() : [];
        expect(got).toEqual(want);
      }
    }), { numRuns: 300 });
  });
});

describe('the entitlement table built a slice per turn (issue 18)', () => {
  it('is the same table as the one built at once, for any slice size, and yields between slices', async () => {
    await fc.assert(fc.asyncProperty(world, fc.integer({ min: 1, max: 20 }), async (w, perTurn) => {
      const { records, shares, teamMembers } = inputOf(w);
      const input = { records: [DEFAULT, SITE, ...records], shares, teamMembers };
      let turns = 0;
      const counting = setImmediate(function count() { turns += 1; });
      const sliced = await EntitlementTable.build(input, perTurn);
      clearImmediate(counting);
      const whole = new EntitlementTable(input);
      expect(sliced.users().sort()).toEqual(whole.users().sort());
      for (const user of whole.users()) expect(sliced.linesOf(user)).toEqual(whole.linesOf(user));
      for (let l = 0; l < w.lines; l += 1) expect([...sliced.usersOf(lineName(l))].sort()).toEqual([...whole.usersOf(lineName(l))].sort());
      expect([...sliced.entityLines]).toEqual([...whole.entityLines]);
      expect([...sliced.recordsById.keys()]).toEqual([...whole.recordsById.keys()]);
      // More steps than one slice: the build gave the loop at least one turn.
      if (input.records.length + shares.length > perTurn) expect(turns).toBeGreaterThan(0);
    }), { numRuns: 60 });
  });
});
