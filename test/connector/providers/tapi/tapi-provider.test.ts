// The tapi provider on the real addon over the fake TSP: what the contract
// suite does not reach — late caller id, a line removed mid-call, errors with
// their LINEERR_* names, a burst of 10,000 events, shutdown with events queued.
import { describe, expect, it } from 'vitest';
import { LineProviderError } from '../../../../src/connector/line-provider.ts';
import type { ProviderEvent } from '../../../../src/connector/line-provider.ts';
import { loadTapiBinding, TAPI_UNAVAILABLE } from '../../../../src/connector/providers/tapi/binding.ts';
import { callStateValue, disconnectModeOf, lineErrorName, originValue } from '../../../../src/connector/providers/tapi/mapping.ts';
import { LINECALLREASON, LINEERR } from '../../../../src/connector/providers/tapi/tapi-constants.ts';
import { checkCallSequence } from '../../../../simulator/pbx/call-machine.ts';
import type { CallState } from '../../../../src/protocol/call-state.ts';
import { tapiHarness } from '../../provider-contract/tapi-harness.ts';
import { callEvents, fakeTapiSuite } from './fake-suite.ts';
import type { CallEvent } from './fake-suite.ts';

const suite = fakeTapiSuite();
const { open } = suite;
const started = (lines: string[] = ['20', '21']) => suite.started({ lines });
const calls = (events: readonly ProviderEvent[]) => callEvents(events);

/** A `call`/`info` control command as the switch would send it, for flows the simulated PBX does not produce. */
function switchSays(verb: 'call' | 'info', key: string, line: string, state: CallState, caller: { number?: string; name?: string } = {}, reason?: 'normal'): string {
  const f = (s: string | undefined) => encodeURIComponent(s ?? '');
  const mode = state === 'disconnected' ? disconnectModeOf(reason) : 0;
  return [verb, key, line, callStateValue(state), mode, originValue('inbound'), LINECALLREASON.LINECALLREASON_DIRECT, f(caller.number), f(caller.name), '20', '', '', '', '', '', ''].join('\t');
}

describe('tapi provider on the fake TSP', () => {
  it('never reuses a call id across provider starts: a restarted connector\'s first call is not the earlier process\'s first call', async () => {
    // The manager keys a call by host and id and derives the phone call activity's id from that key (issue 11, case 15).
    const firstIds: string[] = [];
    for (let start = 0; start < 3; start += 1) {
      const { h, events } = await started(['20']);
      expect(suite.binding.fakeControl(switchSays('call', `k${start}`, '20', 'offering', { number: '+49 30 1234567' })).result).toBe(0);
      await h.settle();
      const id = calls(events)[0]?.callId;
      expect(id).toMatch(/^t[0-9a-z]+\.1-1$/);
      firstIds.push(id as string);
      await h.dispose();
      open.splice(open.indexOf(h), 1);
    }
    expect(new Set(firstIds).size).toBe(3);
  });

  it('reports lines with address, permanent line id and media modes read from LINEDEVCAPS / LINEADDRESSCAPS', async () => {
    const { h } = await started(['20', '21']);
    expect(h.provider.lines()).toEqual([
      { name: '20', address: '20', permanentId: '1000', mediaModes: ['audio'], inService: true, controls: ['hold', 'transfer', 'consult', 'conference'] },
      { name: '21', address: '21', permanentId: '1001', mediaModes: ['audio'], inService: true, controls: ['hold', 'transfer', 'consult', 'conference'] },
    ]);
  });

  it('an incoming call goes offering, accepted, connected, disconnected, idle; a caller id that arrives late re-reports the state with it', async () => {
    const { h, events } = await started();
    const name = 'Jürgen Öztürk 📞';
    for (const command of [
      switchSays('call', 'k1', '20', 'offering'),
      switchSays('info', 'k1', '20', 'offering', { number: '+49 30 1234567', name }),
      switchSays('call', 'k1', '20', 'accepted', { number: '+49 30 1234567', name }),
      switchSays('call', 'k1', '20', 'connected', { number: '+49 30 1234567', name }),
      switchSays('call', 'k1', '20', 'disconnected', { number: '+49 30 1234567', name }, 'normal'),
      switchSays('call', 'k1', '20', 'idle', { number: '+49 30 1234567', name }),
    ]) {
      expect(suite.binding.fakeControl(command).result).toBe(0);
    }
    await h.settle();
    const seen = calls(events);
    expect(seen.map((e) => e.state)).toEqual(['offering', 'offering', 'accepted', 'connected', 'disconnected', 'idle']);
    expect(seen[0]?.caller).toBeUndefined();
    // UTF-16 in the driver's structure, UTF-8 out, including a character outside the BMP.
    expect(seen[1]?.caller).toEqual({ number: '+49 30 1234567', name });
    expect(seen.at(-1)?.reason).toBe('normal');
    expect(new Set(seen.map((e) => e.callId)).size).toBe(1);
    expect(checkCallSequence(seen, { requireIdle: true })).toEqual([]);
    expect(h.provider.activeCalls()).toEqual([]);
  });

  it('a call first seen mid-way is reported from a start state; idle straight after connected is passed on', async () => {
    const { h, events } = await started();
    suite.binding.fakeControl(switchSays('call', 'k9', '20', 'connected', { number: '+49 30 9' }));
    suite.binding.fakeControl(switchSays('call', 'k9', '20', 'idle', { number: '+49 30 9' }));
    await h.settle();
    expect(calls(events).map((e) => e.state)).toEqual(['offering', 'connected', 'idle']);
    expect(checkCallSequence(calls(events), { requireIdle: true })).toEqual([]);
  });

  it('LINE_CLOSE: the line goes out of service; when the driver closed every line, reinitRequired', async () => {
    const { h, events } = await started();
    expect(suite.binding.fakeControl('close\t20').result).toBe(0);
    await h.settle();
    expect(events.map((e) => e.type)).toEqual(['lineOutOfService']);
    expect(h.provider.lines().find((l) => l.name === '20')?.inService).toBe(false);
    await expect(h.provider.makeCall('20', '123')).rejects.toMatchObject({ code: 'invalid-state' });
    expect(suite.binding.fakeControl('close\t21').result).toBe(0);
    await h.settle();
    expect(events.map((e) => e.type)).toEqual(['lineOutOfService', 'lineOutOfService', 'reinitRequired']);
    await h.provider.reinitialize();
    expect(h.provider.lines().every((l) => l.inService)).toBe(true);
  });

  it('makeCall resolves with the call of its LINE_REPLY; a refused request fails with the LINEERR_* name', async () => {
    const { h, events } = await started();
    const id = await h.provider.makeCall('20', '0301234567');
    await h.advance(10_000);
    expect(calls(events).filter((e) => e.callId === id).map((e) => e.state)).toEqual(['dialtone', 'dialing', 'proceeding', 'ringback', 'connected']);
    await h.provider.drop(id);
    await h.advance(100);
    expect(calls(events).at(-1)).toMatchObject({ callId: id, state: 'idle', reason: 'normal' });
    const refused = await h.provider.makeCall('20', 'not a number').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LineProviderError);
    expect(refused).toMatchObject({ code: 'invalid-state' });
    expect((refused as Error).message).toContain('LINEERR_INVALADDRESS');
  });

  it('a request without LINE_REPLY fails with provider-down after RequestTimeout', async () => {
    const h = tapiHarness(suite.binding, { lines: ['20'] }, { requestTimeoutMs: 300 });
    open.push(h);
    await h.provider.open();
    suite.binding.fakeHook(null);
    const failure = await h.provider.makeCall('20', '030 1').catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'provider-down' });
    expect((failure as Error).message).toContain('no LINE_REPLY within 300 ms');
  });

  it('a request refused with LINEERR_REINIT fails provider-down and asks for re-initialisation once', async () => {
    const { h, events } = await started();
    suite.binding.fakeHook((request) => suite.binding.fakeControl(`reply\t${request.split('\t')[1]}\t${LINEERR.LINEERR_REINIT}`));
    const failures = await Promise.all([h.provider.makeCall('20', '1'), h.provider.makeCall('21', '2')].map((p) => p.catch((e: unknown) => e)));
    expect(failures).toMatchObject([{ code: 'provider-down' }, { code: 'provider-down' }]);
    expect((failures[0] as Error).message).toContain('LINEERR_REINIT');
    expect(events.filter((e) => e.type === 'reinitRequired')).toHaveLength(1);
  });

  it('answers and rejects through lineAnswer / lineDrop', async () => {
    const { h, events } = await started();
    await h.ringInbound('20', '+49 30 111');
    await h.ringInbound('21', '+49 30 222');
    const [first, second] = calls(events);
    await h.provider.answer(first?.callId as string);
    await h.provider.reject(second?.callId as string);
    await h.advance(100);
    expect(calls(events).filter((e) => e.callId === first?.callId).at(-1)?.state).toBe('connected');
    expect(calls(events).filter((e) => e.callId === second?.callId).map((e) => [e.state, e.reason])).toEqual([
      ['offering', undefined],
      ['disconnected', 'rejected'],
      ['idle', 'rejected'],
    ]);
  });

  it('a line removed during a call: the call ends (outOfService), then lineRemoved; the line is gone for commands', async () => {
    const { h, events } = await started();
    await h.ringInbound('21', '+49 30 1234567');
    const offering = calls(events)[0] as CallEvent;
    await h.provider.answer(offering.callId);
    await h.advance(100);
    h.pbx.removeLine('21');
    await h.settle();
    expect(events.slice(-3).map((e) => (e.type === 'call' ? `${e.state}:${e.reason}` : e.type))).toEqual(['disconnected:outOfService', 'idle:outOfService', 'lineRemoved']);
    expect(h.provider.lines().map((l) => l.name)).toEqual(['20']);
    expect(h.provider.activeCalls()).toEqual([]);
    await expect(h.provider.makeCall('21', '123')).rejects.toMatchObject({ code: 'unknown-line' });
  });

  it('REINIT: reinitRequired, and reinitialize() opens the lines again; calls in progress end with providerRestart', async () => {
    const { h, events } = await started();
    await h.ringInbound('20', '+49 30 1234567');
    h.pbx.requestReinit('TSP configuration changed');
    await h.settle();
    expect(events.at(-1)).toMatchObject({ type: 'reinitRequired' });
    await h.provider.reinitialize();
    expect(calls(events).slice(-2).map((e) => `${e.state}:${e.reason}`)).toEqual(['disconnected:providerRestart', 'idle:providerRestart']);
    expect(h.provider.lines().map((l) => l.name)).toEqual(['20', '21']);
    // The PBX ended its calls too (the application lost its handles); the line rings again with a new call id.
    h.pbx.reinitialize();
    await h.ringInbound('20', '+49 30 7654321');
    const last = calls(events).at(-1) as CallEvent;
    expect(last).toMatchObject({ state: 'offering', line: '20', caller: { number: '+49 30 7654321' } });
    expect(calls(events).filter((e) => e.callId === last.callId)).toHaveLength(1);
  });

  it('a burst of 10,000 events arrives complete and in order', async () => {
    const { h, events } = await started(['20']);
    // 2,500 calls, each offering → connected → disconnected → idle, all queued before the application reads any.
    for (let i = 0; i < 2_500; i++) {
      const { callIds } = h.pbx.incoming({ number: `+49 30 ${i}` }, '20');
      h.pbx.answer(callIds[0] as string);
      h.pbx.drop(callIds[0] as string);
    }
    expect(h.feed.stats().posted).toBeGreaterThan(10_000);
    await h.settle();
    const seen = calls(events);
    expect(seen).toHaveLength(10_000);
    expect(checkCallSequence(seen, { requireIdle: true })).toEqual([]);
    const callIds = [...new Set(seen.map((e) => e.callId))];
    expect(callIds).toHaveLength(2_500);
    callIds.forEach((id, i) => {
      const mine = seen.slice(i * 4, i * 4 + 4);
      expect(mine.map((e) => e.callId)).toEqual([id, id, id, id]);
      expect(mine[0]?.caller?.number).toBe(`+49 30 ${i}`);
    });
  });

  it('closing with thousands of events still queued neither crashes nor delivers afterwards; the next session starts clean', async () => {
    const { h, events } = await started(['20']);
    for (let i = 0; i < 2_500; i++) {
      const { callIds } = h.pbx.incoming({ number: `+49 30 ${i}` }, '20');
      h.pbx.drop(callIds[0] as string);
    }
    await h.provider.close();
    const atClose = events.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(events.length).toBe(atClose);
    expect(h.feed.stats()).toMatchObject({ initialized: false, queued: 0 });
    await h.dispose();
    open.splice(0);
    const again = await started(['20']);
    await again.h.ringInbound('20', '+49 30 1');
    expect(calls(again.events)).toHaveLength(1);
  });

  it('a TAPI function that fails throws with the function and its LINEERR_* result', () => {
    const session = new suite.binding.Session('crm-tapi test', 0x00020002, () => undefined);
    try {
      const failure = (() => {
        try {
          session.open(99, 0x00020002, 6, 4);
        } catch (err) {
          return err as { tapiFunction: string; tapiResult: number };
        }
        return undefined;
      })();
      expect(failure?.tapiFunction).toBe('lineOpenW');
      expect(lineErrorName(failure?.tapiResult as number)).toBe('LINEERR_BADDEVICEID');
    } finally {
      session.shutdown();
      session.shutdown();
    }
  });

  it('where the addon cannot be loaded, the provider says what to use instead', () => {
    const err = (() => {
      try {
        loadTapiBinding('/nonexistent/crm-tapi-native');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(LineProviderError);
    expect(err).toMatchObject({ code: 'provider-down' });
    expect((err as Error).message).toContain(TAPI_UNAVAILABLE);
  });
});
