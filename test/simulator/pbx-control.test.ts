// The simulated PBX's agent call control (simulator/pbx/pbx-control.ts): what
// the parties left see after a transfer, consultation or conference, and the
// refusals a real switch would give.
import { describe, expect, it } from 'vitest';
import { LineProviderError } from '../../src/connector/line-provider.ts';
import { virtualPbx } from './helpers.ts';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof LineProviderError ? err.code : 'not a LineProviderError';
  }
}

describe('simulated PBX call control', () => {
  it('a completed consultation joins two internal parties; when one hangs up the other is cleared too', () => {
    const { pbx, calls, clock } = virtualPbx();
    // 22 calls the agent on 21; the agent consults 23 and hands 22 over to 23.
    const caller = pbx.makeCall('22', '21');
    clock.advance(1000);
    const agent = calls().find((e) => e.line === '21' && e.state === 'offering')?.callId as string;
    pbx.answer(agent);
    const consultation = pbx.consult(agent, '23');
    expect(calls(agent).at(-1)?.state).toBe('onhold');
    expect(calls(consultation)[0]).toMatchObject({ line: '21', state: 'dialtone', consultationOf: agent });
    clock.advance(1000);
    const colleague = calls().find((e) => e.line === '23' && e.state === 'offering')?.callId as string;
    expect(code(() => pbx.completeTransfer(agent))).toBe('invalid-state'); // 23 still rings
    pbx.answer(colleague);
    pbx.completeTransfer(agent);
    expect(calls(agent).find((e) => e.state === 'disconnected')?.reason).toBe('transferred');
    expect(calls(consultation).find((e) => e.state === 'disconnected')?.reason).toBe('transferred');
    expect(calls(caller).at(-1)).toMatchObject({ state: 'connected', connected: { number: '23' } });
    expect(calls(colleague).at(-1)).toMatchObject({ state: 'connected', connected: { number: '22' } });
    expect(pbx.activeCalls().map((c) => c.line).sort()).toEqual(['22', '23']);
    pbx.drop(caller);
    expect(pbx.activeCalls()).toEqual([]);
    expect(pbx.faults()).toEqual([]);
  });

  it('blind transfer by the line that dialled an external number: the outside party rings the target', () => {
    const { pbx, calls, clock } = virtualPbx({ timing: { remoteAnswerMs: 100 } });
    const agent = pbx.makeCall('21', '0301234567');
    clock.advance(1000);
    expect(calls(agent).at(-1)?.state).toBe('connected');
    pbx.transfer(agent, '24', { dialled: true });
    expect(calls(agent).find((e) => e.state === 'disconnected')?.reason).toBe('transferred');
    expect(calls().find((e) => e.line === '24')).toMatchObject({ state: 'offering', origin: 'inbound', caller: { number: '0301234567' }, redirecting: { number: '21' } });
  });

  it('a blind transfer to an external number puts an internal far party through and frees the agent\'s line', () => {
    const { pbx, calls, clock } = virtualPbx();
    const caller = pbx.makeCall('22', '21');
    clock.advance(1000);
    const agent = calls().find((e) => e.line === '21' && e.state === 'offering')?.callId as string;
    pbx.answer(agent);
    pbx.transfer(agent, '0307654321', { dialled: true });
    expect(pbx.activeCalls().map((c) => c.line)).toEqual(['22']);
    expect(calls(caller).at(-1)).toMatchObject({ state: 'connected', connected: { number: '0307654321' } });
  });

  it('refuses what the state or the line does not allow, with typed codes', () => {
    const { pbx, calls } = virtualPbx({ lines: ['20', { extension: '21', controls: ['hold'] }, '22'] });
    const ringing = pbx.incoming({ number: '+4930111' }, '20').callIds[0] as string;
    expect(code(() => pbx.consult(ringing, '22'))).toBe('invalid-state'); // not answered yet
    pbx.answer(ringing);
    const consultation = pbx.consult(ringing, '22');
    expect(code(() => pbx.consult(ringing, '22'))).toBe('invalid-state'); // one consultation at a time
    expect(code(() => pbx.consult(consultation, '22'))).toBe('invalid-state');
    expect(code(() => pbx.resume(ringing))).toBe('invalid-state'); // complete, cancel or conference it first
    expect(code(() => pbx.transfer(ringing, '22'))).toBe('invalid-state');
    pbx.cancelConsult(ringing);
    expect(calls(ringing).at(-1)?.state).toBe('connected');
    expect(code(() => pbx.cancelConsult(ringing))).toBe('invalid-state');
    // Line 21 offers hold only.
    const other = pbx.incoming({ number: '+4930222' }, '21').callIds[0] as string;
    pbx.answer(other);
    expect(code(() => pbx.consult(other, '22'))).toBe('not-supported');
    expect(code(() => pbx.transfer(other, '22'))).toBe('not-supported');
    expect(code(() => pbx.conference(other))).toBe('not-supported');
    expect(pbx.faults()).toEqual([]);
  });
});
