// The call log's own columns for what the agent did with a call (issue 17):
// outcome and "transferred to", mapped from the manager's view of the call
// into the call log write the outbox sends to Dataverse.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { callLogWrite } from '../../../src/dataverse/outbox/records.ts';
import { CALL_OUTCOME, createSchema } from '../../../src/dataverse/schema.ts';
import { outcomeNote, outcomeOf } from '../../../src/manager/records/recorder.ts';
import { isMissed, type TrackedCall } from '../../../src/manager/routing/calls.ts';
import type { CallEndReason } from '../../../src/protocol/index.ts';

const schema = createSchema();
const f = schema.callLog.fields;

function call(extra: Partial<TrackedCall>): TrackedCall {
  return {
    callKey: 'pbx/1', line: 'pbx:21', connectorHost: 'pbx', callId: '1', origin: 'inbound', incoming: true, number: '0301234', state: 'idle',
    startedAt: '2026-01-01T10:00:00.000Z', answeredElsewhere: false, seenBy: new Set(), entitled: new Set(), targets: new Map(),
    lastEventAt: 0 as TrackedCall['lastEventAt'], lastTimestamp: '2026-01-01T10:01:00.000Z', ...extra,
  };
}

const connected = '2026-01-01T10:00:05.000Z';

describe('call log outcome and transferred-to', () => {
  it.each<[string, Partial<TrackedCall>, boolean, keyof typeof CALL_OUTCOME]>([
    ['a blind transfer', { connectedAt: connected, transferredTo: '24', reason: 'transferred' }, false, 'transferred'],
    ['a completed consultation (the PBX says transferred)', { connectedAt: connected, reason: 'transferred' }, false, 'transferred'],
    ['a consultation joined to a conference', { connectedAt: connected, reason: 'conferenced' }, false, 'conferenced'],
    ['a call answered and hung up', { connectedAt: connected, reason: 'callerHungUp' }, false, 'answered'],
    ['a call the agent rejected (seen and turned away: not missed)', { reason: 'rejected' }, false, 'rejected'],
    ['a missed call', { reason: 'callerHungUp' }, true, 'missed'],
    ['an outgoing call nobody answered', { incoming: false, origin: 'outbound', reason: 'noAnswer' }, false, 'notAnswered'],
  ])('%s is recorded as %s', (_what, extra, missed, outcome) => {
    expect(isMissed(call(extra))).toBe(missed);
    expect(outcomeOf(call(extra), missed)).toBe(outcome);
  });

  it('writes both columns, keeps the words in the name, and refuses an outcome it does not know', () => {
    const c = call({ connectedAt: connected, transferredTo: '24', reason: 'transferred' });
    const w = callLogWrite(schema, {
      number: c.number, line: c.line, start: new Date(c.startedAt), direction: 'incoming', missed: false,
      note: outcomeNote(c) as string, outcome: outcomeOf(c, false), transferredTo: c.transferredTo as string,
    });
    expect(w.body).toMatchObject({ [f.outcome]: CALL_OUTCOME.transferred, [f.transferredTo]: '24' });
    expect(w.body[f.name]).toBe('incoming 0301234 on pbx:21, transferred to 24');
    const plain = callLogWrite(schema, { number: '1', line: 'pbx:21', start: new Date(), direction: 'incoming', missed: true, outcome: 'missed' });
    expect(plain.body).not.toHaveProperty(f.transferredTo);
    expect(() => callLogWrite(schema, { number: '1', line: 'pbx:21', start: new Date(), direction: 'incoming', missed: true, outcome: 'lost' as 'missed' })).toThrow(/outcome "lost"/);
    expect(() => callLogWrite(schema, { number: '1', line: 'pbx:21', start: new Date(), direction: 'incoming', missed: false, transferredTo: '2'.repeat(101) })).toThrow(/longer than 100/);
  });

  const reasons: CallEndReason[] = ['pickedUpElsewhere', 'rejected', 'busy', 'noAnswer', 'callerHungUp', 'calleeHungUp', 'transferred', 'unreachable', 'conferenced', 'other'];
  test.prop([fc.boolean(), fc.boolean(), fc.option(fc.constantFrom(...reasons), { nil: undefined }), fc.option(fc.stringMatching(/^[0-9]{1,20}$/), { nil: undefined })])(
    'every call gets exactly one known outcome; a transfer target always means transferred; an answered call is never missed or rejected',
    (incoming, answered, reason, transferredTo) => {
      const c = call({ incoming, ...(answered ? { connectedAt: connected } : {}), ...(reason === undefined ? {} : { reason }), ...(transferredTo === undefined ? {} : { transferredTo }) });
      const missed = incoming && !answered;
      const outcome = outcomeOf(c, missed);
      expect(Object.keys(CALL_OUTCOME)).toContain(outcome);
      if (transferredTo !== undefined) expect(outcome).toBe('transferred');
      if (answered) expect(['missed', 'rejected', 'notAnswered']).not.toContain(outcome);
    },
  );
});
