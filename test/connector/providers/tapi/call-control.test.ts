// Hold, unhold and blind transfer on the tapi provider: the real addon's
// lineHold / lineUnhold / lineBlindTransferW over the fake TSP, which the
// simulated PBX drives. A line's controls come from its address caps
// (dwCallFeatures); a line whose caps lack one refuses it, in the provider and
// in the fake TSP itself (LINEERR_OPERATIONUNAVAIL, as a real TSP answers).
import { describe, expect, it } from 'vitest';
import type { ProviderEvent } from '../../../../src/connector/line-provider.ts';
import type { TapiMessage } from '../../../../src/connector/providers/tapi/binding.ts';
import { API_HIGH } from '../../../../src/connector/providers/tapi/lines.ts';
import { addressCapsOf, callStateValue, controlsOf, originValue } from '../../../../src/connector/providers/tapi/mapping.ts';
import { LINE_MESSAGE, LINECALLFEATURE, LINECALLPRIVILEGE, LINECALLREASON, LINEERR, LINEMEDIAMODE, LINETRANSFERMODE } from '../../../../src/connector/providers/tapi/tapi-constants.ts';
import { checkCallSequence } from '../../../../simulator/pbx/call-machine.ts';
import type { TapiHarness } from '../../provider-contract/tapi-harness.ts';
import { callEvents, fakeTapiSuite, tapiResult } from './fake-suite.ts';

const suite = fakeTapiSuite();
const callsOf = callEvents;

/** 20 offers every control of the PBX, 21 none, 22 hold only, 23 blind transfer only. */
const started = () =>
  suite.started({ lines: ['20', { extension: '21', controls: [] }, { extension: '22', controls: ['hold'] }, { extension: '23', controls: ['transfer'] }] });

/** An external caller rings `line`, the agent answers; resolves with the call id. */
async function answered(h: TapiHarness, events: ProviderEvent[], line: string): Promise<string> {
  await h.ringInbound(line, '+49 30 1234567');
  const offering = callsOf(events).find((e) => e.line === line && e.state === 'offering');
  if (offering === undefined) throw new Error(`no offering on ${line}`);
  await h.provider.answer(offering.callId);
  await h.advance(100);
  expect(callsOf(events, offering.callId).at(-1)?.state).toBe('connected');
  return offering.callId;
}

describe('tapi provider call control on the fake TSP', () => {
  it('reports per line only the controls its address caps allow', async () => {
    const { h } = await started();
    expect(h.provider.lines().map((l) => [l.name, l.controls])).toEqual([
      ['20', ['hold', 'transfer', 'consult', 'conference']],
      ['21', []],
      ['22', ['hold']],
      ['23', ['transfer']],
    ]);
    // hold needs both LINECALLFEATURE_HOLD and _UNHOLD: a driver that can hold but not take back offers no hold.
    const F = LINECALLFEATURE;
    const T = LINETRANSFERMODE;
    const all = addressCapsOf(['hold', 'transfer', 'consult', 'conference']);
    expect(controlsOf(F.LINECALLFEATURE_HOLD, 0)).toEqual([]);
    expect(controlsOf(all.callFeatures, all.transferModes)).toEqual(['hold', 'transfer', 'consult', 'conference']);
    // A consultation needs lineSetupTransfer, lineDial, lineCompleteTransfer and lineUnhold, and the transfer mode it completes in.
    expect(controlsOf(all.callFeatures, T.LINETRANSFERMODE_TRANSFER)).toEqual(['hold', 'transfer', 'consult']);
    expect(controlsOf(all.callFeatures, T.LINETRANSFERMODE_CONFERENCE)).toEqual(['hold', 'transfer', 'conference']);
    expect(controlsOf(all.callFeatures & ~F.LINECALLFEATURE_COMPLETETRANSF, all.transferModes)).toEqual(['hold', 'transfer']);
    expect(controlsOf(all.callFeatures & ~F.LINECALLFEATURE_DIAL, all.transferModes)).toEqual(['hold', 'transfer']);
    // lineSetupConference / lineAddToConference alone offer nothing: a conference is completed from a consultation.
    expect(controlsOf(F.LINECALLFEATURE_HOLD | F.LINECALLFEATURE_UNHOLD | F.LINECALLFEATURE_SETUPCONF | F.LINECALLFEATURE_ADDTOCONF, all.transferModes)).toEqual(['hold']);
  });

  it('hold puts the call ONHOLD on the switch, unhold takes it back; each request is settled by its LINE_REPLY', async () => {
    const { h, events } = await started();
    const callId = await answered(h, events, '20');
    await expect(h.provider.unhold(callId)).rejects.toMatchObject({ code: 'invalid-state' });
    await h.provider.hold(callId);
    await h.advance(100);
    expect(callsOf(events, callId).at(-1)?.state).toBe('onhold');
    expect(h.pbx.activeCalls().find((c) => c.line === '20')?.state).toBe('onhold');
    await expect(h.provider.hold(callId)).rejects.toMatchObject({ code: 'invalid-state' });
    await h.provider.unhold(callId);
    await h.advance(100);
    expect(callsOf(events, callId).at(-1)?.state).toBe('connected');
    expect(h.pbx.activeCalls().find((c) => c.line === '20')?.state).toBe('connected');
    await h.provider.drop(callId);
    await h.advance(100);
    expect(checkCallSequence(callsOf(events, callId), { requireIdle: true })).toEqual([]);
    expect(h.feed.refusals).toEqual([]);
  });

  it('blind transfer: the line\'s call goes DISCONNECTED (transferred) and IDLE, the caller now rings at the target', async () => {
    const { h, events } = await started();
    const callId = await answered(h, events, '20');
    await h.provider.transfer(callId, '23');
    await h.advance(100);
    const mine = callsOf(events, callId);
    expect(mine.map((e) => e.state).slice(-2)).toEqual(['disconnected', 'idle']);
    expect(mine.at(-1)?.reason).toBe('transferred');
    expect(checkCallSequence(mine, { requireIdle: true })).toEqual([]);
    // The far end moved: line 23 is offered the same caller, passed on by 20.
    const moved = callsOf(events).find((e) => e.line === '23' && e.state === 'offering');
    expect(moved?.caller?.number).toBe('+49 30 1234567');
    expect(moved?.redirecting?.number).toBe('20');
    expect(h.provider.activeCalls().map((c) => c.line)).toEqual(['23']);
    await expect(h.provider.transfer(callId, '22')).rejects.toMatchObject({ code: 'no-such-call' });
  });

  it('a held call can be transferred; an external target is dialled out and the line\'s part ends', async () => {
    const { h, events } = await started();
    const callId = await answered(h, events, '20');
    await h.provider.hold(callId);
    await h.advance(100);
    await h.provider.transfer(callId, '030 7654321');
    await h.advance(100);
    expect(callsOf(events, callId).at(-1)).toMatchObject({ state: 'idle', reason: 'transferred' });
    expect(h.provider.activeCalls()).toEqual([]);
  });

  it('refuses what the line\'s caps lack with not-supported, before anything reaches the switch', async () => {
    const { h, events } = await started();
    const plain = await answered(h, events, '21');
    const before = h.feed.stats().hooked;
    for (const attempt of [h.provider.hold(plain), h.provider.unhold(plain), h.provider.transfer(plain, '20'), h.provider.consult(plain, '20'), h.provider.conference(plain)]) {
      await expect(attempt).rejects.toMatchObject({ code: 'not-supported' });
    }
    expect(h.feed.stats().hooked).toBe(before);
    const holdOnly = await answered(h, events, '22');
    await expect(h.provider.transfer(holdOnly, '20')).rejects.toMatchObject({ code: 'not-supported' });
    await h.provider.hold(holdOnly);
    await h.advance(100);
    expect(callsOf(events, holdOnly).at(-1)?.state).toBe('onhold');
  });

  it('a driver that answers LINEERR_OPERATIONUNAVAIL after all fails the request with not-supported', async () => {
    const { h, events } = await started();
    const callId = await answered(h, events, '20');
    const reply = (request: string) => suite.binding.fakeControl(`reply\t${request.split('\t')[1]}\t${LINEERR.LINEERR_OPERATIONUNAVAIL}`);
    suite.binding.fakeHook(reply);
    const refused = await h.provider.hold(callId).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'not-supported' });
    expect((refused as Error).message).toContain('LINEERR_OPERATIONUNAVAIL');
    await expect(h.provider.transfer(callId, '21')).rejects.toMatchObject({ code: 'not-supported' });
    expect(callsOf(events, callId).at(-1)?.state).toBe('connected');
  });

  it('refuses a transfer to nowhere or of a ringing call with invalid-state, and a refused transfer on the switch with its LINEERR_* name', async () => {
    const { h, events } = await started();
    await h.ringInbound('23', '+49 30 1');
    const ringing = callsOf(events).find((e) => e.line === '23' && e.state === 'offering');
    if (ringing === undefined) throw new Error('no offering');
    await expect(h.provider.transfer(ringing.callId, '20')).rejects.toMatchObject({ code: 'invalid-state' });
    await h.provider.answer(ringing.callId);
    await h.advance(100);
    await expect(h.provider.transfer(ringing.callId, '  ')).rejects.toMatchObject({ code: 'invalid-state' });
    // The switch refuses a transfer to the line already in the call: LINE_REPLY carries the error.
    const refused = await h.provider.transfer(ringing.callId, '23').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'invalid-state' });
    expect((refused as Error).message).toContain('LINEERR_INVALCALLSTATE');
    expect(callsOf(events, ringing.callId).at(-1)?.state).toBe('connected');
  });
});

describe('tapi provider: controls that follow the caps', () => {
  it('re-reads a line\'s caps on LINEDEVSTATE_CAPSCHANGE and LINEADDRESSSTATE_CAPSCHANGE and announces the line again', async () => {
    const { h, events } = await started();
    const added = () => events.filter((e): e is Extract<ProviderEvent, { type: 'lineAdded' }> => e.type === 'lineAdded');
    const plain = await answered(h, events, '21');
    await expect(h.provider.hold(plain)).rejects.toMatchObject({ code: 'not-supported' });
    // The switch now lets line 21 hold and consult (LINE_LINEDEVSTATE): the same call can be held.
    h.feed.changeCaps('21', ['hold', 'consult']);
    await h.settle();
    expect(added().map((e) => [e.line.name, e.line.controls])).toEqual([['21', ['hold', 'consult']]]);
    expect(h.provider.lines().find((l) => l.name === '21')?.controls).toEqual(['hold', 'consult']);
    await h.provider.hold(plain);
    await h.advance(100);
    expect(callsOf(events, plain).at(-1)?.state).toBe('onhold');
    // Line 20 loses everything, told through LINE_ADDRESSSTATE of address 0.
    const full = await answered(h, events, '20');
    h.feed.changeCaps('20', [], 'address');
    await h.settle();
    expect(added().at(-1)?.line).toMatchObject({ name: '20', controls: [] });
    for (const attempt of [h.provider.hold(full), h.provider.transfer(full, '23'), h.provider.consult(full, '23')]) await expect(attempt).rejects.toMatchObject({ code: 'not-supported' });
    // Caps that change in nothing the provider maps announce nothing.
    h.feed.changeCaps('20', []);
    await h.settle();
    expect(added()).toHaveLength(2);
    expect(h.feed.refusals).toEqual([]);
  });
});

describe('the fake TSP\'s call-control functions', () => {
  it('answer LINEERR_OPERATIONUNAVAIL where the address lacks the feature, and refuse a forged address', async () => {
    // The addon's session straight on the fake, without the provider's own checks.
    const f = (s: string) => encodeURIComponent(s);
    expect(suite.binding.fakeControl('reset').result).toBe(0);
    const audio = String(LINEMEDIAMODE.LINEMEDIAMODE_INTERACTIVEVOICE);
    expect(suite.binding.fakeControl(['line', '30', 'plain', '30', '1', audio, '1', '0'].join('\t')).result).toBe(0);
    expect(suite.binding.fakeControl(['line', '31', 'full', '31', '2', audio, '1', String(addressCapsOf(['hold', 'transfer']).callFeatures)].join('\t')).result).toBe(0);
    const messages: TapiMessage[] = [];
    const session = new suite.binding.Session('call-control test', API_HIGH, (m) => messages.push(m));
    try {
      const owner = LINECALLPRIVILEGE.LINECALLPRIVILEGE_OWNER;
      expect(session.addressCaps(0, 0, API_HIGH).callFeatures & addressCapsOf(['hold', 'transfer']).callFeatures).toBe(0);
      expect(session.addressCaps(1, 0, API_HIGH).callFeatures & addressCapsOf(['hold', 'transfer']).callFeatures).toBe(addressCapsOf(['hold', 'transfer']).callFeatures);
      session.open(0, API_HIGH, owner, LINEMEDIAMODE.LINEMEDIAMODE_INTERACTIVEVOICE);
      session.open(1, API_HIGH, owner, LINEMEDIAMODE.LINEMEDIAMODE_INTERACTIVEVOICE);
      const connected = String(callStateValue('connected'));
      for (const [key, ext] of [['a', '30'], ['b', '31']]) {
        const fields = ['call', key, ext, connected, '0', String(originValue('inbound')), String(LINECALLREASON.LINECALLREASON_DIRECT), f('+49 30 1'), '', '', '', '', '', '', '', ''];
        expect(suite.binding.fakeControl(fields.join('\t')).result).toBe(0);
      }
      const deadline = Date.now() + 10_000;
      const states = () => messages.filter((m) => m.message === LINE_MESSAGE.LINE_CALLSTATE);
      while (states().length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      const [plain, full] = states().map((m) => m.hDevice);
      expect(tapiResult(() => session.hold(plain ?? 0))).toBe(LINEERR.LINEERR_OPERATIONUNAVAIL);
      expect(tapiResult(() => session.blindTransfer(plain ?? 0, '20'))).toBe(LINEERR.LINEERR_OPERATIONUNAVAIL);
      // Fields travel tab-separated to the PBX: an address with a tab is refused, not split.
      expect(tapiResult(() => session.blindTransfer(full ?? 0, '20\tforged'))).toBe(LINEERR.LINEERR_INVALADDRESS);
      expect(tapiResult(() => session.blindTransfer(full ?? 0, ''))).toBe(LINEERR.LINEERR_INVALADDRESS);
      expect(tapiResult(() => session.unhold(full ?? 0))).toBe(LINEERR.LINEERR_INVALCALLSTATE);
      const requests: string[] = [];
      suite.binding.fakeHook((r) => requests.push(r));
      expect(session.hold(full ?? 0)).toBeGreaterThan(0);
      expect(session.blindTransfer(full ?? 0, '030 1234567')).toBeGreaterThan(0);
      while (requests.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(requests.map((r) => r.split('\t').filter((_, i) => i !== 1))).toEqual([
        ['hold', 'b'],
        ['transfer', 'b', '030 1234567'],
      ]);
    } finally {
      suite.binding.fakeHook(null);
      session.shutdown();
      suite.binding.fakeControl('reset');
    }
  });
});
