// The records a call leaves (manager/records/recorder.ts), built on a recorder
// of its own from calls as the tracker keeps them: who the agent is, when a
// phone call activity is written and how it is worded, what the call log
// keeps of an anonymous, skewed, transferred or hunt-group call, and which
// store refusals count as "recorded already". The records and dial e2e tests
// show the same recorder through the outbox into the simulated Dataverse; each
// case here failed on a hand-made break those did not catch.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { DirectoryMatch } from '../../../src/dataverse/directory/directory.ts';
import { OutboxError } from '../../../src/dataverse/outbox/errors.ts';
import type { OutboxWrite } from '../../../src/dataverse/outbox/store.ts';
import type { LineConfigRecord } from '../../../src/dataverse/repositories/index.ts';
import { CALL_OUTCOME, createSchema, STANDARD, type OpenPhoneCall } from '../../../src/dataverse/schema.ts';
import type { ReportedLine } from '../../../src/manager/contracts.ts';
import { EntitlementTable } from '../../../src/manager/entitlements/table.ts';
import type { KnownUser } from '../../../src/manager/entitlements/users.ts';
import { agentOf, CallRecorder } from '../../../src/manager/records/recorder.ts';
import type { TrackedCall } from '../../../src/manager/routing/calls.ts';
import { lineSettingsFor, userLineRecord } from '../support/line-settings.ts';

const schema = createSchema();
const LOG = schema.callLog.fields;
const PC = STANDARD.phonecall.fields;
const ANNA = '0a000000-0000-4000-8000-000000000001';
const JENS = '0a000000-0000-4000-8000-000000000002';
const LINE = 'pbx:21';

const record = (id: string, userId: string, createdOn: string): LineConfigRecord => userLineRecord(id, LINE, userId, { createdOn: new Date(createdOn) });

function call(extra: Partial<TrackedCall> = {}): TrackedCall {
  return {
    callKey: 'pbx/1', line: LINE, connectorHost: 'pbx', callId: '1', origin: 'inbound', incoming: true, number: '030 1234567', state: 'idle',
    startedAt: '2026-01-01T10:00:00.000Z', connectedAt: '2026-01-01T10:00:05.000Z', endedAt: '2026-01-01T10:01:05.000Z',
    answeredElsewhere: false, seenBy: new Set(), entitled: new Set(), targets: new Map(),
    lastEventAt: 0 as TrackedCall['lastEventAt'], lastTimestamp: '2026-01-01T10:01:05.000Z', ...extra,
  };
}

interface Options {
  records?: LineConfigRecord[];
  open?: OpenPhoneCall;
  users?: KnownUser[];
  matches?: DirectoryMatch[];
  address?: string;
  enqueue?: (w: OutboxWrite) => void;
}

function recorder(o: Options = {}): { recorder: CallRecorder; queued: OutboxWrite[] } {
  const table = new EntitlementTable({ records: o.records ?? [record('r1', ANNA, '2026-01-01')], shares: [], teamMembers: new Map() });
  const users = new Map((o.users ?? [{ id: ANNA, name: 'Anna Schmidt', disabled: false }, { id: JENS, name: 'Jens Wagner', disabled: false }]).map((u) => [u.id, u]));
  const queued: OutboxWrite[] = [];
  const reported = { line: LINE, connectorHost: 'pbx', localName: '21', address: o.address ?? '21', inService: true, connectorOnline: true } satisfies ReportedLine;
  return {
    queued,
    recorder: new CallRecorder({
      outbox: { enqueue: (o.enqueue ?? ((w: OutboxWrite) => void queued.push(w))) as never },
      schema,
      entitlements: () => table,
      settingsOf: () => lineSettingsFor({ openPhoneCall: o.open ?? 'always' }),
      lookup: () => o.matches ?? [],
      user: async (id) => users.get(id),
      reportedLine: () => reported,
      logger: pino({ level: 'silent' }),
    }),
  };
}

const kinds = (writes: readonly OutboxWrite[]) => writes.map((w) => w.kind);
const logOf = (writes: readonly OutboxWrite[]) => writes.find((w) => w.kind === 'callLog')?.body ?? {};
const phoneCallOf = (writes: readonly OutboxWrite[]) => writes.find((w) => w.kind === 'phoneCall')?.body ?? {};

describe('the agent', () => {
  it('on a line two users own, with nobody known to have answered, is the one whose record is oldest', () => {
    const table = new EntitlementTable({ records: [record('r2', JENS, '2026-03-01'), record('r1', ANNA, '2026-01-01')], shares: [], teamMembers: new Map() });
    expect(agentOf(call(), table)).toMatchObject({ agent: ANNA, record: { id: 'r1' } });
  });

  it('who is disabled in the CRM gets no phone call; the call log entry is still written', async () => {
    const { recorder: r } = recorder({ users: [{ id: ANNA, name: 'Anna Schmidt', disabled: true }] });
    const { writes, recorded } = await r.prepare(call());
    expect(kinds(writes)).toEqual(['callLog']);
    expect(recorded).toMatchObject({ agent: ANNA });
    expect(recorded.phoneCallId).toBeUndefined();
  });
});

describe('the phone call activity ("Telefonanruf öffnen")', () => {
  it('follows the option by direction: incoming, outgoing, never, always', async () => {
    const incoming = call();
    const outgoing = call({ incoming: false, origin: 'outbound', dialedBy: ANNA });
    const wants = async (open: OpenPhoneCall) => {
      const { recorder: r } = recorder({ open });
      return [kinds((await r.prepare(incoming)).writes).includes('phoneCall'), kinds((await r.prepare(outgoing)).writes).includes('phoneCall')];
    };
    expect(await wants('incoming')).toEqual([true, false]);
    expect(await wants('outgoing')).toEqual([false, true]);
    expect(await wants('never')).toEqual([false, false]);
    expect(await wants('always')).toEqual([true, true]);
  });

  it('a call between colleagues (internal) is no customer contact: no phone call, whatever the option', async () => {
    const { recorder: r } = recorder({ open: 'always' });
    const { writes } = await r.prepare(call({ origin: 'internal' }));
    expect(kinds(writes)).toEqual(['callLog']);
    expect(logOf(writes)[LOG.direction]).toBe(946410002);
  });

  it('is worded with the best CRM match and regards it; a rejected call says so', async () => {
    const matches: DirectoryMatch[] = [{ entity: 'contact', id: '0b000000-0000-4000-8000-000000000009', name: 'Berliner Büroservice KG', field: 'telephone1', key: '+49301234567', viaFallback: false }];
    const { recorder: r } = recorder({ matches });
    expect(phoneCallOf((await r.prepare(call())).writes)[PC.subject]).toBe('Call from Berliner Büroservice KG');
    const rejected = phoneCallOf((await r.prepare(call({ connectedAt: undefined, reason: 'rejected' }))).writes);
    expect(rejected[PC.subject]).toBe('Rejected call from Berliner Büroservice KG');
    expect(rejected).toHaveProperty('regardingobjectid_contact_phonecall@odata.bind');
  });

  it('a match of an entity without a known entity set is left out: the activity is still written, without a party', async () => {
    const matches: DirectoryMatch[] = [{ entity: 'new_site', id: '0b000000-0000-4000-8000-000000000009', name: 'Standort Mitte', field: 'new_phone', key: '+49301234567', viaFallback: false }];
    const { recorder: r } = recorder({ matches });
    const { writes } = await r.prepare(call());
    expect(kinds(writes)).toEqual(['phoneCall', 'callLog']);
    expect(phoneCallOf(writes)[PC.subject]).toBe('Call from Standort Mitte');
    expect(JSON.stringify(phoneCallOf(writes))).not.toContain('new_site');
  });
});

describe('the call log entry', () => {
  it('an anonymous call (no number) is recorded as "anonymous" in both records', async () => {
    const { recorder: r } = recorder();
    const { writes } = await r.prepare(call({ number: '  ' }));
    expect(logOf(writes)[LOG.number]).toBe('anonymous');
    expect(phoneCallOf(writes)[PC.phoneNumber]).toBe('anonymous');
  });

  it('a connect time after the end (clock skew between connector events) gives duration 0, not a negative one', async () => {
    const { recorder: r } = recorder();
    const { writes } = await r.prepare(call({ connectedAt: '2026-01-01T10:02:00.000Z' }));
    expect(logOf(writes)[LOG.duration]).toBe(0);
  });

  it('a call without an end event ends at its last event', async () => {
    const { recorder: r } = recorder();
    const { writes } = await r.prepare(call({ endedAt: undefined, lastTimestamp: '2026-01-01T10:00:45.000Z' }));
    expect(logOf(writes)[LOG.end]).toBe('2026-01-01T10:00:45.000Z');
    expect(logOf(writes)[LOG.duration]).toBe(40);
  });

  it('leaves out an internal number the connector reported blank and a blank transfer target', async () => {
    const { recorder: r } = recorder({ address: ' ' });
    const { writes } = await r.prepare(call({ transferredTo: ' ' }));
    expect(logOf(writes)).not.toHaveProperty(LOG.internalNumber);
    expect(logOf(writes)).not.toHaveProperty(LOG.transferredTo);
    const { recorder: named } = recorder({ address: '21' });
    expect(logOf((await named.prepare(call({ transferredTo: '24' }))).writes)).toMatchObject({ [LOG.internalNumber]: '21', [LOG.transferredTo]: '24', [LOG.outcome]: CALL_OUTCOME.transferred });
  });

  it('a transfer target of any length keeps both records writable: the column and the words are cut', async () => {
    const { recorder: r } = recorder();
    const { writes } = await r.prepare(call({ transferredTo: '9'.repeat(3000) }));
    expect(kinds(writes)).toEqual(['phoneCall', 'callLog']);
    expect(logOf(writes)[LOG.transferredTo]).toBe('9'.repeat(100));
    expect(String(phoneCallOf(writes)[PC.description])).toBe(`The call was transferred to ${'9'.repeat(120 - 'transferred to '.length)}; the duration is the agent's part.`);
  });
});

describe('queuing', () => {
  it('a hunt-group leg another line took writes nothing', async () => {
    const { recorder: r, queued } = recorder();
    expect(await r.record(call({ connectedAt: undefined, answeredElsewhere: true, reason: 'pickedUpElsewhere' }))).toBeUndefined();
    expect(queued).toEqual([]);
  });

  it('a record whose id the outbox holds already was queued before a restart: the others go in; any other refusal throws', () => {
    const { recorder: r0 } = recorder();
    const seen: string[] = [];
    const enqueue = (w: OutboxWrite) => {
      if (w.kind === 'phoneCall') throw new OutboxError('duplicate-id', 'taken');
      seen.push(w.kind);
    };
    return r0.prepare(call()).then((prepared) => {
      const { recorder: r } = recorder({ enqueue });
      r.enqueue([prepared]);
      expect(seen).toEqual(['callLog']);
      const { recorder: full } = recorder({ enqueue: () => { throw new OutboxError('store-unavailable', 'the outbox cannot be written'); } });
      expect(() => full.enqueue([prepared])).toThrow(/cannot be written/);
    });
  });
});
