import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataverseError } from '../../../src/dataverse/web-api/errors.ts';
import { DEFAULT_BACKOFF, judge, nextDelay } from '../../../src/dataverse/outbox/policy.ts';
import { callLogWrite, eventLogWrite, parsePhoneTimeFields, phoneCallWrite } from '../../../src/dataverse/outbox/records.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';

const err = (code: ConstructorParameters<typeof DataverseError>[0], status?: number, retryAfterMs?: number) =>
  new DataverseError(code, `HTTP ${status ?? '-'}`, { ...(status === undefined ? {} : { status }), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

describe('what the outbox does after a failed attempt', () => {
  it.each([
    ['precondition-failed', 412, 'delivered'],
    ['unauthorized', 401, 'wait'],
    ['throttled', 429, 'retry'],
    ['server-error', 503, 'retry'],
    ['server-error', 504, 'retry'],
    ['conflict', 409, 'retry'],
    ['timeout', undefined, 'retry'],
    ['unreachable', undefined, 'retry'],
    ['retry-budget-exhausted', 429, 'retry'],
    ['bad-request', 400, 'dead'],
    ['forbidden', 403, 'dead'],
    ['not-found', 404, 'dead'],
    ['bad-request', 413, 'dead'],
  ] as const)('%s (HTTP %s) → %s', (code, status, action) => {
    expect(judge(err(code, status)).action).toBe(action);
  });

  it('passes the Retry-After on and keeps unknown failures waiting rather than losing them', () => {
    expect(judge(err('throttled', 429, 7000))).toMatchObject({ action: 'retry', retryAfterMs: 7000, failure: { code: 'throttled', status: 429 } });
    expect(judge(new TypeError('boom'))).toMatchObject({ action: 'retry', failure: { code: 'internal', message: 'boom' } });
  });

  it('back-off: honours a usable Retry-After, clamps absurd ones, falls back for nonsense', () => {
    expect(nextDelay(1, 3000, DEFAULT_BACKOFF, 0)).toBe(3000);
    expect(nextDelay(1, 3000, DEFAULT_BACKOFF, 1)).toBe(3300);
    expect(nextDelay(1, 86_400_000, DEFAULT_BACKOFF, 0.5)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(nextDelay(3, -1, DEFAULT_BACKOFF, 0)).toBe(2000);
    expect(nextDelay(3, Number.NaN, DEFAULT_BACKOFF, 1)).toBe(4000);
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000 }), fc.option(fc.double({ min: -1e12, max: 1e12, noNaN: false }), { nil: undefined }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempts, retryAfter, random) => {
      const d = nextDelay(attempts, retryAfter, DEFAULT_BACKOFF, random);
      return Number.isFinite(d) && d >= 0 && d <= DEFAULT_BACKOFF.maxMs;
    }));
  });
});

describe('record builders', () => {
  const schema = createSchema();
  const agent = { systemUserId: '{F16C8D43-0882-59E2-A842-5FBC915A2AA0}' };

  it('an incoming phone call goes from the caller to the agent, on the agent\'s behalf, direction always set', () => {
    const w = phoneCallWrite({ id: 'A0000000-0000-4000-8000-000000000001', subject: 's', direction: 'incoming', phoneNumber: '+49301', agent, party: { entity: 'account', id: 'b0000000-0000-4000-8000-000000000002' }, start: new Date(0), durationSeconds: 89 });
    expect(w).toMatchObject({ id: 'a0000000-0000-4000-8000-000000000001', kind: 'phoneCall', entitySet: 'phonecalls', onBehalfOf: { systemUserId: 'f16c8d43-0882-59e2-a842-5fbc915a2aa0' } });
    expect(w.body).toEqual({
      subject: 's', phonenumber: '+49301', directioncode: false, actualstart: '1970-01-01T00:00:00.000Z', actualdurationminutes: 1,
      phonecall_activity_parties: [
        { participationtypemask: 1, 'partyid_account@odata.bind': '/accounts(b0000000-0000-4000-8000-000000000002)' },
        { participationtypemask: 2, 'partyid_systemuser@odata.bind': '/systemusers(f16c8d43-0882-59e2-a842-5fbc915a2aa0)' },
      ],
      'regardingobjectid_account_phonecall@odata.bind': '/accounts(b0000000-0000-4000-8000-000000000002)',
    });
  });

  it('a call log entry depends on its phone call and stays the manager\'s', () => {
    const w = callLogWrite(schema, { number: '+49301', line: 'h:25', start: new Date(0), direction: 'internal', missed: true, phoneCallId: 'C0000000-0000-4000-8000-000000000003' }, () => 'd0000000-0000-4000-8000-000000000004');
    expect(w).toMatchObject({ id: 'd0000000-0000-4000-8000-000000000004', dependsOn: 'c0000000-0000-4000-8000-000000000003', entitySet: 'ctapi_calllogs' });
    expect(w.onBehalfOf).toBeUndefined();
    expect(w.body['ctapi_phonecallid@odata.bind']).toBe('/phonecalls(c0000000-0000-4000-8000-000000000003)');
  });

  it('names the bad field of malformed input', () => {
    const ok = { number: '1', line: 'l', start: new Date(0), direction: 'incoming', missed: false } as const;
    expect(() => callLogWrite(schema, { ...ok, id: 'nope' })).toThrow('call log id "nope" is not a GUID');
    expect(() => callLogWrite(schema, { ...ok, start: new Date('x') })).toThrow('call log start is not a valid time');
    expect(() => callLogWrite(schema, { ...ok, durationSeconds: -3 })).toThrow('call log duration -3 is not a whole number of seconds ≥ 0');
    expect(() => callLogWrite(schema, { ...ok, number: ' ' })).toThrow('call log number is empty');
    expect(() => callLogWrite(schema, { ...ok, direction: 'sideways' as never })).toThrow(/direction "sideways"/);
    expect(() => phoneCallWrite({ subject: 's', direction: 'incoming', phoneNumber: '1', agent, party: { entity: 'new_site', id: 'b0000000-0000-4000-8000-000000000002' }, start: new Date(0) })).toThrow('phone call party: the entity set of "new_site" is unknown; pass entitySet');
    expect(() => eventLogWrite(schema, { name: 'n', level: 'fatal' as never, source: 's', message: 'm', occurredOn: new Date(0) })).toThrow(/level "fatal"/);
  });

  it('reads "Telefon Zeitfelder" from the line configuration', () => {
    expect(parsePhoneTimeFields('actualstart, actualend; scheduledstart', 'actualdurationminutes scheduleddurationminutes')).toEqual({ start: ['actualstart', 'scheduledstart'], end: ['actualend'], duration: ['actualdurationminutes', 'scheduleddurationminutes'] });
    expect(parsePhoneTimeFields('', null)).toEqual({ start: ['actualstart'], end: ['actualend'], duration: ['actualdurationminutes'] });
    expect(() => parsePhoneTimeFields('actualstart,subject', '')).toThrow('Telefon Zeitfelder (Start/Ende): "subject" is neither a start nor an end field');
    expect(() => parsePhoneTimeFields('', 'actual-duration')).toThrow('Telefon Zeitfelder (Dauer): "actual-duration" is not an attribute name');
  });
});
