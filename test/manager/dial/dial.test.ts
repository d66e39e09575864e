// Click-to-dial and call control (manager/dial/dial.ts) on a service of its
// own, with a connector side that records what reaches it: who is noted as
// having dialled, which controls a line refuses before the connector is
// asked, what a transfer needs and what it leaves in the event log and the
// call's records, and what a long user name does to the audit. The gateway
// tests (user-side/dial-records.test.ts, e2e/dial-control.test.ts) show the
// same service on real sockets; each case here failed on a hand-made break
// those did not catch.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { OutboxWrite } from '../../../src/dataverse/outbox/store.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';
import type { MonoMs } from '../../../src/manager/clock.ts';
import type { CommandOutcome, ConnectorCommand, ConnectorSide, ReportedLine } from '../../../src/manager/contracts.ts';
import { DialService, type Caller } from '../../../src/manager/dial/dial.ts';
import { TokenBuckets } from '../../../src/manager/dial/rate-limit.ts';
import { EntitlementTable } from '../../../src/manager/entitlements/table.ts';
import type { CallControl, CallControlAction } from '../../../src/protocol/index.ts';
import { lineSettingsFor, userLineRecord } from '../support/line-settings.ts';

const schema = createSchema();
const LINE = 'pbx:21';
const ANNA: Caller = { userId: 'anna', userName: 'Anna Schmidt' };

const SETTINGS = lineSettingsFor({ dialing: { outsideLinePrefix: '0' } });

interface World {
  service: DialService;
  sent: ConnectorCommand[];
  audits: OutboxWrite[];
  dialed: [string, string][];
  answers: [string, string][];
  controlled: [string, CallControlAction, string | undefined, 'asked' | 'refused'][];
  clock: { now: number };
}

function world(o: { outcome?: CommandOutcome; controls?: CallControl[]; online?: boolean; capacity?: number } = {}): World {
  const table = new EntitlementTable({ records: [userLineRecord('r1', LINE, 'anna')], shares: [], teamMembers: new Map() });
  const reported: ReportedLine = {
    line: LINE, connectorHost: 'pbx', localName: '21', address: '21', inService: true, connectorOnline: o.online ?? true,
    ...(o.controls === undefined ? {} : { controls: o.controls }),
  };
  const w: Omit<World, 'service'> = { sent: [], audits: [], dialed: [], answers: [], controlled: [], clock: { now: 0 } };
  const connectorSide = {
    command: async (c: ConnectorCommand) => {
      w.sent.push(c);
      return o.outcome ?? { ok: true, callId: 'c9' };
    },
  } as unknown as ConnectorSide;
  const service = new DialService({
    connectorSide,
    reportedLine: (line) => (line === LINE ? reported : undefined),
    entitlements: () => table,
    settingsOf: () => SETTINGS,
    buckets: new TokenBuckets({ capacity: o.capacity ?? 100, refillPerSecond: 1 }, () => w.clock.now as MonoMs),
    outbox: { enqueue: (write: OutboxWrite) => void w.audits.push(write) } as never,
    schema,
    logger: pino({ level: 'silent' }),
    wallNow: () => Date.parse('2026-12-01T10:00:00Z'),
    lineOfCall: (key) => (key.startsWith('pbx/') ? LINE : undefined),
    onDialed: (key, user) => void w.dialed.push([key, user]),
    onAnswerRequested: (key, user) => void w.answers.push([key, user]),
    onControlled: (...args) => void w.controlled.push(args),
    source: 'crm-tapi manager test',
  });
  return { ...w, service };
}

const messages = (w: World) => w.audits.map((a) => String(a.body[schema.eventLog.fields.message]));
let n = 0;
const control = (w: World, action: CallControlAction, target?: string) =>
  w.service.callControl(ANNA, { channel: 'intincall', command: 'callControl', requestId: `r${(n += 1)}`, callKey: 'pbx/c1', action, ...(target === undefined ? {} : { target }) });

describe('dial', () => {
  it('notes who dialled under the call key the connector named, and audits the dial string', async () => {
    const w = world();
    const result = await w.service.dial(ANNA, { channel: 'intincall', command: 'dial', requestId: 'd1', line: LINE, number: '030 1234567' });
    expect(result).toMatchObject({ ok: true, dialString: '01234567' });
    expect(w.sent).toEqual([{ kind: 'makeCall', line: LINE, dialString: '01234567' }]);
    expect(w.dialed).toEqual([['pbx/c9', 'anna']]);
    expect(messages(w)).toEqual([expect.stringContaining('dialled 01234567')]);
  });

  it('a dial whose result names no call (a 1.1 connector) succeeds and notes nobody: the records go to the line\'s own user', async () => {
    const w = world({ outcome: { ok: true } });
    const result = await w.service.dial(ANNA, { channel: 'intincall', command: 'dial', requestId: 'd1', line: LINE, number: '030 1234567' });
    expect(result).toMatchObject({ ok: true, dialString: '01234567' });
    expect(w.dialed).toEqual([]);
  });

  it('a refusal by the phone system is audited with both codes, and nobody is noted as dialling', async () => {
    const w = world({ outcome: { ok: false, error: { code: 'busy-line', message: 'the line is busy' } } });
    const result = await w.service.dial(ANNA, { channel: 'intincall', command: 'dial', requestId: 'd1', line: LINE, number: '030 1234567' });
    expect(result.error?.code).toBe('pbx-refused');
    expect(w.dialed).toEqual([]);
    expect(messages(w)).toEqual([expect.stringContaining('refused: pbx-refused (dial string 01234567; connector said busy-line)')]);
  });

  it('a line whose connector is away is refused before the connector is asked', async () => {
    const w = world({ online: false });
    const result = await w.service.dial(ANNA, { channel: 'intincall', command: 'dial', requestId: 'd1', line: LINE, number: '030 1234567' });
    expect(result.error?.code).toBe('connector-offline');
    expect(w.sent).toEqual([]);
  });

  it('a run of rate-limit refusals is audited once; the next run, after a dial went through, again once', async () => {
    const w = world({ capacity: 1 });
    const dial = () => w.service.dial(ANNA, { channel: 'intincall', command: 'dial', requestId: 'd', line: LINE, number: '40' });
    expect((await dial()).ok).toBe(true);
    expect((await dial()).error?.code).toBe('rate-limited');
    expect((await dial()).error?.code).toBe('rate-limited');
    w.clock.now += 1000;
    expect((await dial()).ok).toBe(true);
    expect((await dial()).error?.code).toBe('rate-limited');
    expect(messages(w).filter((m) => m.includes('rate-limited'))).toHaveLength(2);
  });

  it('a user name too long for the event log\'s name column still gets its audit, the name cut to 200', async () => {
    const w = world();
    await w.service.dial({ userId: 'anna', userName: 'A'.repeat(300) }, { channel: 'intincall', command: 'dial', requestId: 'd1', line: LINE, number: '40' });
    expect(w.audits).toHaveLength(1);
    expect(String(w.audits[0]?.body[schema.eventLog.fields.name])).toHaveLength(200);
  });
});

describe('call control', () => {
  it('a control the line\'s phone system does not offer is refused without asking the connector', async () => {
    const w = world({ controls: ['transfer'] });
    const result = await control(w, 'hold');
    expect(result).toMatchObject({ ok: false, error: { code: 'control-not-supported', message: expect.stringContaining('does not offer hold') } });
    expect(w.sent).toEqual([]);
    expect((await control(w, 'drop')).ok).toBe(true);
  });

  it('a transfer without a target is refused and nothing is asked', async () => {
    const w = world();
    expect(await control(w, 'transfer')).toMatchObject({ ok: false, error: { code: 'not-a-phone-number' } });
    expect(w.sent).toEqual([]);
    expect(w.controlled).toEqual([]);
  });

  it('a transfer is converted like a dial, noted for the records before it is sent, and audited', async () => {
    const w = world();
    expect((await control(w, 'transfer', '030 7654321')).ok).toBe(true);
    expect(w.sent).toEqual([{ kind: 'transfer', callKey: 'pbx/c1', dialString: '07654321' }]);
    expect(w.controlled).toEqual([['pbx/c1', 'transfer', '07654321', 'asked']]);
    expect(messages(w)).toEqual([expect.stringContaining('transferred to 07654321')]);
  });

  it('a transfer the phone system refuses is taken back from the records and audited as refused', async () => {
    const w = world({ outcome: { ok: false, error: { code: 'invalid-state', message: 'not now' } } });
    expect((await control(w, 'transfer', '030 7654321')).error?.code).toBe('pbx-refused');
    expect(w.controlled.map((c) => c[3])).toEqual(['asked', 'refused']);
    expect(messages(w)).toEqual([expect.stringContaining('refused: invalid-state')]);
  });

  it('a consultation the connector names is noted as dialled by the caller, on the held call\'s connector', async () => {
    const w = world({ outcome: { ok: true, callId: 'c7' } });
    expect((await control(w, 'consult', '030 7654321')).ok).toBe(true);
    expect(w.sent).toEqual([{ kind: 'consult', callKey: 'pbx/c1', dialString: '07654321' }]);
    expect(w.dialed).toEqual([['pbx/c7', 'anna']]);
    // Only a call the command placed is noted: a hold's result names none, a transfer's call is not ours.
    await control(w, 'hold');
    await control(w, 'transfer', '030 7654321');
    expect(w.dialed).toEqual([['pbx/c7', 'anna']]);
  });

  it('a consultation from an older connector that names no call notes nobody', async () => {
    const w = world({ outcome: { ok: true } });
    expect((await control(w, 'consult', '030 7654321')).ok).toBe(true);
    expect(w.dialed).toEqual([]);
  });

  it('answer notes who pressed it; other controls do not', async () => {
    const w = world();
    await control(w, 'answer');
    await control(w, 'drop');
    expect(w.answers).toEqual([['pbx/c1', 'anna']]);
  });
});

describe('the per-user rate limit', () => {
  it('says how many whole seconds until the next token, rounded up', () => {
    const buckets = new TokenBuckets({ capacity: 1, refillPerSecond: 0.3 }, () => 0 as MonoMs);
    expect(buckets.take('anna')).toBe(true);
    expect(buckets.take('anna')).toBe(false);
    expect(buckets.waitSeconds('anna')).toBe(4); // 3.33 s: "try again in 3 s" would be refused again
    expect(buckets.waitSeconds('jens')).toBe(0);
  });

  it('keeps at most maxKeys buckets: the oldest user starts afresh', () => {
    const buckets = new TokenBuckets({ capacity: 1, refillPerSecond: 0.001 }, () => 0 as MonoMs, 2);
    for (const u of ['anna', 'jens', 'lukas']) expect(buckets.take(u)).toBe(true);
    expect(buckets.take('lukas')).toBe(false);
    expect(buckets.take('anna')).toBe(true);
  });
});
