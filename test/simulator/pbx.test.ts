import { describe, expect, it } from 'vitest';
import { LineProviderError } from '../../src/connector/line-provider.ts';
import { checkCallSequence } from '../../simulator/pbx/call-machine.ts';
import { virtualPbx } from './helpers.ts';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LineProviderError);
    return (err as LineProviderError).code;
  }
  return undefined;
}

describe('simulated PBX', () => {
  it('inbound answered: offering → connected → disconnected → idle with the caller as connected party', () => {
    const { pbx, clock, calls, states } = virtualPbx();
    const { callIds, session } = pbx.incoming({ number: '+49 30 1234567', name: 'Erika' }, '25');
    const id = callIds[0] as string;
    clock.advance(3000);
    pbx.answer(id);
    clock.advance(40_000);
    pbx.remoteHangup(session);
    expect(states(id)).toEqual(['offering', 'connected', 'disconnected', 'idle']);
    const connected = calls(id)[1];
    expect(connected).toMatchObject({ at: 3000, origin: 'inbound', line: '25', connected: { number: '+49 30 1234567', name: 'Erika' } });
    expect(calls(id)[2]).toMatchObject({ at: 43_000, reason: 'normal' });
  });

  it('missed call: the PBX gives up after noAnswerMs; a caller who hangs up first ends it as callerHungUp', () => {
    const { pbx, clock, calls } = virtualPbx({ timing: { noAnswerMs: 20_000 } });
    const a = pbx.incoming({ number: '1' }, '21').callIds[0] as string;
    const b = pbx.incoming({ number: '2' }, '22');
    clock.advance(8000);
    pbx.remoteHangup(b.session);
    clock.advance(20_000);
    expect(calls(a).at(-2)).toMatchObject({ state: 'disconnected', reason: 'noAnswer', at: 20_000 });
    expect(calls(b.callIds[0]).at(-2)).toMatchObject({ state: 'disconnected', reason: 'callerHungUp', at: 8000 });
  });

  it('hunt group: all members ring; when one answers, the others end as pickedUpElsewhere', () => {
    const { pbx, clock, calls } = virtualPbx({ huntGroups: { '600': ['21', '22', '23'] } });
    const { callIds } = pbx.incoming({ number: '+49 221 444555' }, '600');
    expect(callIds).toHaveLength(3);
    clock.advance(4000);
    pbx.answer(callIds[1] as string);
    for (const other of [callIds[0], callIds[2]]) {
      expect(calls(other).map((e) => [e.state, e.reason])).toEqual([
        ['offering', undefined],
        ['disconnected', 'pickedUpElsewhere'],
        ['idle', 'pickedUpElsewhere'],
      ]);
    }
    expect(calls(callIds[1]).at(-1)?.state).toBe('connected');
  });

  it('a busy line in the hunt group is skipped; an external caller finds a talking line busy', () => {
    const { pbx } = virtualPbx({ huntGroups: { '600': ['21', '22'] } });
    const first = pbx.incoming({ number: '1' }, '21');
    pbx.answer(first.callIds[0] as string);
    expect(pbx.incoming({ number: '2' }, '600').callIds).toHaveLength(1);
    expect(pbx.incoming({ number: '3' }, '21').outcome).toBe('busy');
  });

  it('internal call: both ends see their own legs, agree on the parties and change state at the same instant', () => {
    const { pbx, clock, calls } = virtualPbx({ lines: [{ extension: '24', displayName: 'Bernd' }, { extension: '27', displayName: 'Clara' }] });
    const caller = pbx.makeCall('24', '27');
    clock.advance(1000);
    const callee = calls().find((e) => e.line === '27')?.callId as string;
    expect(calls(caller).map((e) => e.state)).toEqual(['dialtone', 'dialing', 'proceeding', 'ringback']);
    expect(calls(callee)[0]).toMatchObject({ state: 'offering', origin: 'internal', caller: { number: '24', name: 'Bernd' } });
    pbx.answer(callee);
    clock.advance(5000);
    pbx.drop(caller);
    const [a, b] = [calls(caller), calls(callee)];
    expect(a.find((e) => e.state === 'connected')).toMatchObject({ connected: { number: '27', name: 'Clara' }, origin: 'internal' });
    expect(b.find((e) => e.state === 'connected')).toMatchObject({ connected: { number: '24', name: 'Bernd' } });
    expect(a.find((e) => e.state === 'connected')?.at).toBe(b.find((e) => e.state === 'connected')?.at);
    expect(a.at(-1)?.at).toBe(b.at(-1)?.at);
    expect(b.at(-2)?.reason).toBe('normal');
  });

  it('internal call to a busy extension: the caller hears busy, then hangs up (reason busy)', () => {
    const { pbx, clock, states, calls } = virtualPbx();
    pbx.answer(pbx.incoming({ number: '1' }, '25').callIds[0] as string);
    const id = pbx.makeCall('24', '25');
    clock.advance(10_000);
    expect(states(id)).toEqual(['dialtone', 'dialing', 'proceeding', 'busy', 'disconnected', 'idle']);
    expect(calls(id).at(-1)?.reason).toBe('busy');
  });

  it('outbound external: ringback, the far end answers, or is busy', () => {
    const { pbx, clock, states } = virtualPbx({ farEnd: (n) => (n === '0309999' ? { kind: 'busy' } : { kind: 'answer', afterMs: 6000 }) });
    const ok = pbx.makeCall('21', '030 123-4567');
    const busy = pbx.makeCall('22', '0309999');
    clock.advance(10_000);
    expect(states(ok)).toEqual(['dialtone', 'dialing', 'proceeding', 'ringback', 'connected']);
    expect(states(busy)).toEqual(['dialtone', 'dialing', 'proceeding', 'busy', 'disconnected', 'idle']);
  });

  it('hold and resume a connected call', () => {
    const { pbx, clock, states } = virtualPbx();
    const id = pbx.incoming({ number: '1' }, '20').callIds[0] as string;
    pbx.answer(id);
    pbx.hold(id);
    clock.advance(1000);
    pbx.resume(id);
    expect(states(id)).toEqual(['offering', 'connected', 'onhold', 'connected']);
    expect(code(() => pbx.resume(id))).toBe('invalid-state');
  });

  it('blind transfer: the old line ends as transferred, the target rings with the redirecting number', () => {
    const { pbx, calls } = virtualPbx({ lines: [{ extension: '20', displayName: 'Empfang' }, '26'] });
    const id = pbx.incoming({ number: '+49 30 1234567' }, '20').callIds[0] as string;
    pbx.answer(id);
    pbx.transfer(id, '26');
    expect(calls(id).at(-2)?.reason).toBe('transferred');
    const offered = calls().find((e) => e.line === '26');
    expect(offered).toMatchObject({ state: 'offering', caller: { number: '+49 30 1234567' }, called: { number: '26' }, redirecting: { number: '20', name: 'Empfang' } });
    pbx.answer(offered?.callId as string);
    expect(calls(offered?.callId).at(-1)).toMatchObject({ state: 'connected', connected: { number: '+49 30 1234567' } });
  });

  it('call pickup: the ringing line sees pickedUpElsewhere, the picker talks with the caller', () => {
    const { pbx, calls } = virtualPbx();
    const id = pbx.incoming({ number: '555' }, '21').callIds[0] as string;
    const picked = pbx.pickup(id, '23');
    expect(calls(id).at(-2)?.reason).toBe('pickedUpElsewhere');
    expect(calls(picked).map((e) => e.state)).toEqual(['offering', 'connected']);
    expect(calls(picked)[0]).toMatchObject({ line: '23', redirecting: { number: '21' } });
  });

  it('one call reported under two ids: both reports carry each other as related call id', () => {
    const { pbx, calls } = virtualPbx();
    const { callIds } = pbx.incoming({ number: '555' }, '25', { twoIds: true });
    const id = callIds[0] as string;
    const reports = calls().filter((e) => e.line === '25' && e.state === 'offering');
    expect(reports).toHaveLength(2);
    const alias = reports[1]?.callId as string;
    expect(reports[0]?.relatedCallId).toBe(alias);
    expect(reports[1]?.relatedCallId).toBe(id);
    pbx.answer(alias);
    expect(calls(id).at(-1)?.state).toBe('connected');
    expect(calls(alias).at(-1)?.state).toBe('connected');
    expect(pbx.activeCalls().map((c) => c.callId).sort()).toEqual([id, alias].sort());
  });

  it('a line out of service ends its calls, is unreachable and cannot dial; lines come and go at run time', () => {
    const { pbx, events, calls } = virtualPbx();
    const id = pbx.incoming({ number: '1' }, '20').callIds[0] as string;
    pbx.answer(id);
    pbx.setInService('20', false);
    expect(calls(id).at(-2)?.reason).toBe('outOfService');
    expect(pbx.incoming({ number: '2' }, '20').outcome).toBe('unreachable');
    expect(code(() => pbx.makeCall('20', '123'))).toBe('invalid-state');
    pbx.setInService('20', true);
    pbx.addLine({ extension: '30' });
    pbx.removeLine('30');
    expect(events.filter((e) => e.type !== 'call').map((e) => e.type)).toEqual(['lineOutOfService', 'lineInService', 'lineAdded', 'lineRemoved']);
    expect(code(() => pbx.removeLine('30'))).toBe('unknown-line');
  });

  it('restart: calls end with providerRestart, the PBX is down, then up again', () => {
    const { pbx, clock, events } = virtualPbx({ timing: { restartMs: 5000 } });
    const id = pbx.incoming({ number: '1' }, '20').callIds[0] as string;
    pbx.answer(id);
    pbx.restart();
    expect(code(() => pbx.makeCall('21', '123'))).toBe('provider-down');
    expect(code(() => pbx.incoming({ number: '1' }, '21'))).toBe('provider-down');
    clock.advance(5000);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['providerDown', 'providerUp']);
    expect(events.find((e) => e.type === 'call' && e.state === 'disconnected')).toMatchObject({ reason: 'providerRestart' });
    expect(pbx.activeCalls()).toEqual([]);
    expect(pbx.incoming({ number: '1' }, '21').outcome).toBe('ringing');
  });

  it('bad commands are typed errors and change nothing', () => {
    const { pbx, events } = virtualPbx();
    const id = pbx.incoming({ number: '1' }, '20').callIds[0] as string;
    pbx.drop(id);
    const before = events.length;
    expect(code(() => pbx.answer(id))).toBe('no-such-call');
    expect(code(() => pbx.makeCall('99', '123'))).toBe('unknown-line');
    expect(code(() => pbx.makeCall('20', ''))).toBe('invalid-state');
    expect(code(() => pbx.makeCall('20', 'abc'))).toBe('invalid-state');
    expect(code(() => pbx.incoming({ number: '1' }, '99'))).toBe('unknown-line');
    expect(code(() => pbx.transfer('nope', '21'))).toBe('no-such-call');
    expect(code(() => pbx.remoteHangup('s999'))).toBe('no-such-call');
    expect(events.length).toBe(before);
    expect(checkCallSequence(events.filter((e) => e.type === 'call'), { requireIdle: true })).toEqual([]);
  });
});
