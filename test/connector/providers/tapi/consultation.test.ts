// Consultation transfer and conference on the tapi provider: the real addon's
// lineSetupTransferW / lineDialW / lineCompleteTransfer over the fake TSP, which
// the simulated PBX drives and which reports what a TSP reports (the held call
// ONHOLDPENDTRANSFER, the consultation's own handle from DIALTONE on, IDLE for
// transferred calls, CONFERENCED parties and a conference call). The provider
// turns that into the protocol's events, the same the simulator reports.
import { describe, expect, it } from 'vitest';
import type { ProviderEvent } from '../../../../src/connector/line-provider.ts';
import type { TapiMessage } from '../../../../src/connector/providers/tapi/binding.ts';
import { API_HIGH } from '../../../../src/connector/providers/tapi/lines.ts';
import type { TapiTrace } from '../../../../src/connector/providers/tapi/lines.ts';
import { addressCapsOf, callStateValue, originValue } from '../../../../src/connector/providers/tapi/mapping.ts';
import { LINE_MESSAGE, LINECALLPRIVILEGE, LINECALLREASON, LINECALLSTATE, LINEERR, LINEMEDIAMODE, LINETRANSFERMODE } from '../../../../src/connector/providers/tapi/tapi-constants.ts';
import { checkCallSequence } from '../../../../simulator/pbx/call-machine.ts';
import { tapiHarness } from '../../provider-contract/tapi-harness.ts';
import type { TapiHarness } from '../../provider-contract/tapi-harness.ts';
import { callEvents, fakeTapiSuite, tapiResult } from './fake-suite.ts';

const suite = fakeTapiSuite();
const callsOf = callEvents;

/** 20 offers every control, 21 none, 22 consult but no conference, 24 and 25 answer consultations; the TAPI messages traced. */
async function started(): Promise<{ h: TapiHarness; events: ProviderEvent[]; messages: TapiMessage[] }> {
  const messages: TapiMessage[] = [];
  const trace = (record: TapiTrace) => {
    if (record.what === 'message') messages.push(record as unknown as TapiMessage);
  };
  const h = tapiHarness(suite.binding, { lines: ['20', { extension: '21', controls: [] }, { extension: '22', controls: ['hold', 'consult'] }, '24', '25'] }, { trace });
  suite.open.push(h);
  const events: ProviderEvent[] = [];
  h.provider.subscribe((e) => events.push(e));
  await h.provider.open();
  return { h, events, messages };
}

async function answered(h: TapiHarness, events: ProviderEvent[], line: string, from = '+49 30 1234567'): Promise<string> {
  await h.ringInbound(line, from);
  const offering = callsOf(events).find((e) => e.line === line && e.state === 'offering' && callsOf(events, e.callId).at(-1)?.state === 'offering');
  if (offering === undefined) throw new Error(`no offering on ${line}`);
  await h.provider.answer(offering.callId);
  await h.advance(100);
  return offering.callId;
}

/** Line `line`'s ringing call answered on the switch (the consulted colleague picks up). */
async function pickUp(h: TapiHarness, events: ProviderEvent[], line: string): Promise<string> {
  await h.advance(10_000);
  const ringing = callsOf(events).find((e) => e.line === line && e.state === 'offering');
  if (ringing === undefined) throw new Error(`nothing rings on ${line}`);
  await h.provider.answer(ringing.callId);
  await h.advance(100);
  return ringing.callId;
}

const states = (messages: readonly TapiMessage[], hCall: number) => messages.filter((m) => m.message === LINE_MESSAGE.LINE_CALLSTATE && m.hDevice === hCall).map((m) => m.param1);
const handleOf = (h: TapiHarness, callId: string) => (h.provider as unknown as { calls: { byCallId(id: string): { hCall: number } | undefined } }).calls.byCallId(callId)?.hCall;

describe('tapi provider consultation on the fake TSP', () => {
  it('consult → complete: the call is held pending transfer, the consultation dials, both leave the line as transferred', async () => {
    const { h, events, messages } = await started();
    const callId = await answered(h, events, '20');
    const hPrimary = handleOf(h, callId) as number;
    const consultation = await h.provider.consult(callId, '24');
    await h.advance(100);
    const consultEvents = callsOf(events, consultation);
    expect(consultEvents[0]).toMatchObject({ state: 'dialtone', line: '20', origin: 'internal', called: { number: '24' }, consultationOf: callId });
    expect(consultEvents.every((e) => e.consultationOf === callId)).toBe(true);
    expect(callsOf(events, callId).at(-1)?.state).toBe('onhold');
    expect(states(messages, hPrimary)).toContain(LINECALLSTATE.LINECALLSTATE_ONHOLDPENDTRANSFER);
    const colleague = await pickUp(h, events, '24');
    expect(callsOf(events, consultation).at(-1)?.state).toBe('connected');
    // Nothing else may happen to the held call while the consultation runs.
    await expect(h.provider.unhold(callId)).rejects.toMatchObject({ code: 'invalid-state' });
    await expect(h.provider.consult(callId, '25')).rejects.toMatchObject({ code: 'invalid-state' });
    await expect(h.provider.transfer(callId, '25')).rejects.toMatchObject({ code: 'invalid-state' });
    const hConsult = handleOf(h, consultation) as number;
    await h.provider.completeTransfer(callId);
    await h.advance(100);
    // The TSP takes both calls IDLE without DISCONNECTED; the provider reports them ended as transferred.
    expect(states(messages, hPrimary).at(-1)).toBe(LINECALLSTATE.LINECALLSTATE_IDLE);
    expect(states(messages, hPrimary)).not.toContain(LINECALLSTATE.LINECALLSTATE_DISCONNECTED);
    expect(states(messages, hConsult)).not.toContain(LINECALLSTATE.LINECALLSTATE_DISCONNECTED);
    for (const id of [callId, consultation]) {
      expect(callsOf(events, id).map((e) => e.state).slice(-2)).toEqual(['disconnected', 'idle']);
      expect(callsOf(events, id).at(-1)?.reason).toBe('transferred');
    }
    // The caller and the colleague now talk to each other; line 20 is free.
    expect(callsOf(events, colleague).at(-1)).toMatchObject({ state: 'connected', connected: { number: '+49 30 1234567' } });
    expect(h.provider.activeCalls().map((c) => c.line)).toEqual(['24']);
    expect(checkCallSequence(callsOf(events), {})).toEqual([]);
    expect(h.feed.refusals).toEqual([]);
  });

  it('consult → cancel: the consultation is dropped, the held call goes ONHOLD and lineUnhold takes it back', async () => {
    const { h, events, messages } = await started();
    const callId = await answered(h, events, '20');
    const hPrimary = handleOf(h, callId) as number;
    const consultation = await h.provider.consult(callId, '030 7654321');
    await h.advance(100);
    await h.provider.cancelConsult(callId);
    await h.advance(100);
    expect(callsOf(events, consultation).map((e) => e.state).slice(-2)).toEqual(['disconnected', 'idle']);
    expect(states(messages, hPrimary).slice(-3)).toEqual([LINECALLSTATE.LINECALLSTATE_ONHOLDPENDTRANSFER, LINECALLSTATE.LINECALLSTATE_ONHOLD, LINECALLSTATE.LINECALLSTATE_CONNECTED]);
    // ONHOLDPENDTRANSFER → ONHOLD is no news: the call is reported on hold once, then connected.
    expect(callsOf(events, callId).map((e) => e.state)).toEqual(['offering', 'connected', 'onhold', 'connected']);
    expect(h.pbx.activeCalls().find((c) => c.line === '20')?.state).toBe('connected');
    await expect(h.provider.cancelConsult(callId)).rejects.toMatchObject({ code: 'invalid-state' });
    // The call can be consulted again, and dropped while the consultation rings: both go.
    const again = await h.provider.consult(callId, '25');
    await h.advance(100);
    await h.provider.drop(again);
    await h.advance(100);
    await h.provider.unhold(callId);
    await h.advance(100);
    await h.provider.drop(callId);
    await h.advance(100);
    expect(h.provider.activeCalls().filter((c) => c.line === '20')).toEqual([]);
    expect(checkCallSequence(callsOf(events), { requireIdle: true })).toEqual([]);
    expect(h.feed.refusals).toEqual([]);
  });

  it('a number the switch cannot dial fails the consult and gives the held call back', async () => {
    const { h, events } = await started();
    const callId = await answered(h, events, '20');
    const refused = await h.provider.consult(callId, '12ab').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'invalid-state' });
    expect((refused as Error).message).toContain('LINEERR_INVALADDRESS');
    await h.advance(100);
    expect(callsOf(events, callId).at(-1)?.state).toBe('connected');
    expect(h.pbx.activeCalls().find((c) => c.line === '20')?.state).toBe('connected');
    // The consultation call was never dialled: the switch reported no state for it, and neither does the provider.
    expect(callsOf(events).filter((e) => e.callId !== callId)).toEqual([]);
    expect(callsOf(events, callId).map((e) => e.state)).toEqual(['offering', 'connected', 'onhold', 'connected']);
    await expect(h.provider.consult(callId, '   ')).rejects.toMatchObject({ code: 'invalid-state' });
  });

  it('conference: the parties become CONFERENCED, a conference call carries the primary call on; the consultation ends as conferenced', async () => {
    const { h, events, messages } = await started();
    const callId = await answered(h, events, '20');
    const hPrimary = handleOf(h, callId) as number;
    const consultation = await h.provider.consult(callId, '24');
    await h.advance(100);
    // A conference needs the consulted party in the call.
    await expect(h.provider.conference(callId)).rejects.toMatchObject({ code: 'invalid-state' });
    const colleague = await pickUp(h, events, '24');
    const hConsult = handleOf(h, consultation) as number;
    await h.provider.conference(callId);
    await h.advance(100);
    expect(states(messages, hPrimary).at(-1)).toBe(LINECALLSTATE.LINECALLSTATE_CONFERENCED);
    expect(states(messages, hConsult).at(-1)).toBe(LINECALLSTATE.LINECALLSTATE_CONFERENCED);
    const hConference = handleOf(h, callId) as number;
    expect(hConference).not.toBe(hPrimary);
    expect(states(messages, hConference)).toEqual([LINECALLSTATE.LINECALLSTATE_CONNECTED]);
    expect(callsOf(events, consultation).map((e) => e.state).slice(-2)).toEqual(['disconnected', 'idle']);
    expect(callsOf(events, consultation).at(-1)?.reason).toBe('conferenced');
    expect(callsOf(events, callId).map((e) => e.state)).toEqual(['offering', 'connected', 'onhold', 'connected']);
    expect(callsOf(events, colleague).at(-1)?.state).toBe('connected');
    // The conference is the call now: hold and unhold go to the conference call's handle.
    await h.provider.hold(callId);
    await h.advance(100);
    expect(states(messages, hConference).at(-1)).toBe(LINECALLSTATE.LINECALLSTATE_ONHOLD);
    await h.provider.unhold(callId);
    await h.advance(100);
    await h.provider.drop(callId);
    await h.advance(100);
    expect(callsOf(events, callId).at(-1)?.state).toBe('idle');
    // Every handle went IDLE and was deallocated: parties, consultation and conference call.
    for (const handle of [hPrimary, hConsult, hConference]) expect(states(messages, handle).at(-1)).toBe(LINECALLSTATE.LINECALLSTATE_IDLE);
    expect(h.feed.stats().queued).toBe(0);
    expect(h.provider.activeCalls().filter((c) => c.line === '20')).toEqual([]);
    expect(checkCallSequence(callsOf(events), {})).toEqual([]);
    expect(h.feed.refusals).toEqual([]);
  });

  it('a line whose caps lack them refuses consult, complete, cancel and conference with not-supported, before the switch hears of it', async () => {
    const { h, events } = await started();
    const plain = await answered(h, events, '21');
    const before = h.feed.stats().hooked;
    for (const attempt of [h.provider.consult(plain, '24'), h.provider.completeTransfer(plain), h.provider.cancelConsult(plain), h.provider.conference(plain)]) {
      await expect(attempt).rejects.toMatchObject({ code: 'not-supported' });
    }
    expect(h.feed.stats().hooked).toBe(before);
    // Line 22 consults but cannot conference (no LINETRANSFERMODE_CONFERENCE in its caps).
    const callId = await answered(h, events, '22', '+49 30 2');
    await h.provider.consult(callId, '24');
    await pickUp(h, events, '24');
    await expect(h.provider.conference(callId)).rejects.toMatchObject({ code: 'not-supported' });
    await h.provider.completeTransfer(callId);
    await h.advance(100);
    expect(callsOf(events, callId).at(-1)).toMatchObject({ state: 'idle', reason: 'transferred' });
  });
});

describe('the fake TSP\'s consultation functions', () => {
  it('refuse as a TSP does: missing caps, wrong call states, an unknown transfer mode, a forged address, calls of another line', async () => {
    // The addon's session straight on the fake, without the provider's own checks.
    const b = suite.binding;
    expect(b.fakeControl('reset').result).toBe(0);
    const audio = String(LINEMEDIAMODE.LINEMEDIAMODE_INTERACTIVEVOICE);
    const consultOnly = addressCapsOf(['consult']);
    expect(b.fakeControl(['line', '40', 'consult', '40', '1', audio, '1', String(consultOnly.callFeatures), String(consultOnly.transferModes)].join('\t')).result).toBe(0);
    expect(b.fakeControl(['line', '41', 'plain', '41', '2', audio, '1', '0', '0'].join('\t')).result).toBe(0);
    const messages: TapiMessage[] = [];
    const session = new b.Session('consultation test', API_HIGH, (m) => messages.push(m));
    try {
      for (const device of [0, 1]) session.open(device, API_HIGH, LINECALLPRIVILEGE.LINECALLPRIVILEGE_OWNER, LINEMEDIAMODE.LINEMEDIAMODE_INTERACTIVEVOICE);
      const handles = new Map<string, number>();
      for (const [key, ext, state] of [
        ['a', '40', 'connected'],
        ['b', '41', 'connected'],
        ['c', '40', 'connected'],
        ['d', '40', 'onhold'],
      ] as const) {
        const fields = ['call', key, ext, String(callStateValue(state)), '0', String(originValue('inbound')), String(LINECALLREASON.LINECALLREASON_DIRECT), '', '', '', '', '', '', '', '', ''];
        expect(b.fakeControl(fields.join('\t')).result).toBe(0);
        const deadline = Date.now() + 10_000;
        const seen = () => messages.filter((m) => m.message === LINE_MESSAGE.LINE_CALLSTATE).length;
        while (seen() < handles.size + 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
        handles.set(key, messages.filter((m) => m.message === LINE_MESSAGE.LINE_CALLSTATE).at(-1)?.hDevice ?? 0);
      }
      const h = (key: string) => handles.get(key) ?? 0;
      const T = LINETRANSFERMODE;
      const E = LINEERR;
      expect(tapiResult(() => session.setupTransfer(h('b')))).toBe(E.LINEERR_OPERATIONUNAVAIL);
      expect(tapiResult(() => session.setupTransfer(h('d')))).toBe(E.LINEERR_INVALCALLSTATE);
      expect(tapiResult(() => session.dial(h('a'), '24'))).toBe(E.LINEERR_INVALCALLSTATE);
      expect(tapiResult(() => session.dial(h('a'), '24\tforged'))).toBe(E.LINEERR_INVALADDRESS);
      expect(tapiResult(() => session.completeTransfer(h('d'), h('c'), 99))).toBe(E.LINEERR_INVALTRANSFERMODE);
      expect(tapiResult(() => session.completeTransfer(h('d'), h('c'), T.LINETRANSFERMODE_CONFERENCE))).toBe(E.LINEERR_OPERATIONUNAVAIL);
      expect(tapiResult(() => session.completeTransfer(h('a'), h('c'), T.LINETRANSFERMODE_TRANSFER))).toBe(E.LINEERR_INVALCALLSTATE);
      expect(tapiResult(() => session.completeTransfer(h('d'), h('d'), T.LINETRANSFERMODE_TRANSFER))).toBe(E.LINEERR_INVALCALLHANDLE);
      expect(tapiResult(() => session.completeTransfer(h('d'), h('b'), T.LINETRANSFERMODE_TRANSFER))).toBe(E.LINEERR_INVALCALLHANDLE);
      const requests: string[] = [];
      b.fakeHook((r) => requests.push(r));
      expect(session.completeTransfer(h('d'), h('c'), T.LINETRANSFERMODE_TRANSFER)).toBeGreaterThan(0);
      expect(session.setupTransfer(h('a'))).toBeGreaterThan(0);
      const deadline = Date.now() + 10_000;
      while (requests.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(requests.map((r) => r.split('\t').filter((_, i) => i !== 1))).toEqual([
        ['completeTransfer', 'd', 'c', 'transfer'],
        ['setupTransfer', 'a'],
      ]);
    } finally {
      b.fakeHook(null);
      session.shutdown();
      b.fakeControl('reset');
    }
  });
});
