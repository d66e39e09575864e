// Call control on real SIP phones: the provider's baresip (25) on Kamailio,
// "the world" (26, the trunk) and a third phone (27) with a baresip of its
// own. Hold and resume are re-INVITEs that baresip 1.0.0 reports with no
// event, so the provider's state follows the accepted command; a blind
// transfer is a REFER whose NOTIFY of the target's answer ends our leg.
import { describe, expect, it } from 'vitest';
import { SipLineProvider } from '../../../src/connector/providers/sip/provider.ts';
import { cleanDialString, transferUri } from '../../../src/connector/providers/sip/messages.ts';
import type { ProviderEvent } from '../../../src/connector/line-provider.ts';
import { SIP_AVAILABLE, SIP_MISSING, account, settle, startSipWorld, waitFor } from '../../support/sip-world.ts';

type CallEvent = Extract<ProviderEvent, { type: 'call' }>;
const callEvents = (events: readonly ProviderEvent[], callId?: string): CallEvent[] =>
  events.filter((e): e is CallEvent => e.type === 'call' && (callId === undefined || e.callId === callId));

it('builds the Refer-To URI on the line account’s domain, as dial does', () => {
  expect(transferUri('sip:25@pbx.example.com', '0301234567')).toBe('sip:0301234567@pbx.example.com');
  expect(transferUri('sip:25@127.0.0.1:5070', '+4930123')).toBe('sip:+4930123@127.0.0.1:5070');
  expect(transferUri('sips:25@pbx.example.com', '27')).toBe('sips:27@pbx.example.com');
  expect(transferUri('sip:25@pbx.example.com', 'sip:bob@elsewhere.example')).toBe('sip:bob@elsewhere.example');
  expect(transferUri('sip:25@pbx.example.com', cleanDialString('030 123-45') as string)).toBe('sip:03012345@pbx.example.com');
});

describe.runIf(SIP_AVAILABLE)('sip provider: hold, resume and blind transfer through baresip', () => {
  it('offers hold and transfer only; holds, resumes, and transfers to a third phone that answers', async () => {
    const w = await startSipWorld();
    const third = new SipLineProvider({ phones: [{ accounts: [account('27', w.kamailio.domain)] }] });
    const thirdEvents: ProviderEvent[] = [];
    third.subscribe((e) => thirdEvents.push(e));
    try {
      await third.open();
      expect(w.provider.lines().map((l) => [l.name, l.controls])).toEqual([['25', ['hold', 'transfer']]]);

      const far = await w.world.makeCall('26', '25');
      const offer = await waitFor('25 to ring', () => callEvents(w.providerEvents).find((e) => e.state === 'offering'));
      await expectCode(w.provider.hold(offer.callId), 'invalid-state');
      await expectCode(w.provider.transfer(offer.callId, '27'), 'invalid-state');
      await w.provider.answer(offer.callId);
      await waitFor('both ends connected', () => callEvents(w.providerEvents, offer.callId).at(-1)?.state === 'connected' && callEvents(w.worldEvents, far).at(-1)?.state === 'connected');

      await expectCode(w.provider.unhold(offer.callId), 'invalid-state');
      await w.provider.hold(offer.callId);
      expect(callEvents(w.providerEvents, offer.callId).at(-1)?.state).toBe('onhold');
      expect(w.provider.activeCalls().find((c) => c.callId === offer.callId)?.state).toBe('onhold');
      await expectCode(w.provider.hold(offer.callId), 'invalid-state');
      await w.provider.unhold(offer.callId);
      expect(callEvents(w.providerEvents, offer.callId).at(-1)?.state).toBe('connected');
      // The far phone stays in its call through both re-INVITEs.
      await settle(w.worldEvents, 300);
      expect(callEvents(w.worldEvents, far).at(-1)?.state).toBe('connected');

      await expectCode(w.provider.transfer(offer.callId, 'not a number'), 'invalid-state');
      await w.provider.hold(offer.callId);
      await w.provider.transfer(offer.callId, '27');
      const ringing = await waitFor('27 to ring', () => callEvents(thirdEvents).find((e) => e.state === 'offering'));
      expect(ringing.caller?.number).toBe('26');
      // Until the target answers, the call stays on the agent's line as it was.
      expect(callEvents(w.providerEvents, offer.callId).at(-1)?.state).toBe('onhold');
      await third.answer(ringing.callId);
      await waitFor('our leg to end', () => callEvents(w.providerEvents, offer.callId).at(-1)?.state === 'idle');
      expect(callEvents(w.providerEvents, offer.callId).find((e) => e.state === 'disconnected')?.reason).toBe('transferred');
      expect(w.provider.activeCalls()).toEqual([]);
      await settle(thirdEvents, 300);
      expect(callEvents(thirdEvents, ringing.callId).at(-1)?.state).toBe('connected');
      await third.drop(ringing.callId);
    } finally {
      await third.close();
      await w.dispose();
    }
  }, 90_000);

  it('a held call can be hung up: both ends go idle', async () => {
    const w = await startSipWorld();
    try {
      const far = await w.world.makeCall('26', '25');
      const offer = await waitFor('25 to ring', () => callEvents(w.providerEvents).find((e) => e.state === 'offering'));
      await w.provider.answer(offer.callId);
      await waitFor('connected', () => callEvents(w.providerEvents, offer.callId).at(-1)?.state === 'connected');
      await w.provider.hold(offer.callId);
      await w.provider.drop(offer.callId);
      await waitFor('our leg to end', () => callEvents(w.providerEvents, offer.callId).at(-1)?.state === 'idle');
      expect(callEvents(w.providerEvents, offer.callId).map((e) => e.state)).toEqual(['offering', 'connected', 'onhold', 'disconnected', 'idle']);
      expect(callEvents(w.providerEvents, offer.callId).find((e) => e.state === 'disconnected')?.reason).toBe('normal');
      await waitFor('the far phone’s call to end', () => callEvents(w.worldEvents, far).at(-1)?.state === 'idle');
    } finally {
      await w.dispose();
    }
  }, 60_000);

  it('a transfer the target refuses ends the call at both ends (baresip 1.0.0), reason unreachable', async () => {
    const logs: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
    const w = await startSipWorld({ provider: { log: (level, message, fields) => logs.push({ level, message, fields }) } });
    try {
      const far = await w.world.makeCall('26', '25');
      const offer = await waitFor('25 to ring', () => callEvents(w.providerEvents).find((e) => e.state === 'offering'));
      await w.provider.answer(offer.callId);
      await waitFor('connected', () => callEvents(w.providerEvents, offer.callId).at(-1)?.state === 'connected');
      // Numbers no phone owns go to the trunk (the world's `gateway`), which refuses this one.
      await w.provider.transfer(offer.callId, '030 1234567');
      const atTrunk = await waitFor('the trunk to ring', () => callEvents(w.worldEvents).find((e) => e.line === 'gateway' && e.state === 'offering'));
      await w.world.reject(atTrunk.callId);
      await waitFor('the trunk call to end', () => callEvents(w.worldEvents, atTrunk.callId).at(-1)?.state === 'idle');
      await waitFor('our leg to end', () => callEvents(w.providerEvents, offer.callId).at(-1)?.state === 'idle');
      expect(callEvents(w.providerEvents, offer.callId).find((e) => e.state === 'disconnected')?.reason).toBe('unreachable');
      await waitFor('the far phone’s call to end', () => callEvents(w.worldEvents, far).at(-1)?.state === 'idle');
      expect(logs).toContainEqual({ level: 'warn', message: 'the transfer target refused the call', fields: { line: '25', callId: offer.callId, status: expect.stringMatching(/^486/) } });
      expect(w.provider.activeCalls()).toEqual([]);
      await expectCode(w.provider.drop(offer.callId), 'no-such-call');
    } finally {
      await w.dispose();
    }
  }, 60_000);
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

if (!SIP_AVAILABLE) {
  describe('sip provider: hold, resume and blind transfer through baresip', () => {
    it.skip(SIP_MISSING, () => undefined);
  });
}
