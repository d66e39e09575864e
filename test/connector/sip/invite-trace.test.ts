// The SIP benchmark starts its popup clock at the INVITE: Kamailio, started
// with `onInvite`, logs each new INVITE just before it relays it to the
// registered phone, with gettimeofday's microseconds. Over real SIP: the
// trace names the called extension and the SIP Call-ID, comes before the
// phone's offering, and a call to no one (404) is not traced.
import { describe, expect, it } from 'vitest';
import { parseInviteTrace, type InviteTrace } from '../../../src/lab/kamailio.ts';
import { SIP_AVAILABLE, SIP_MISSING, startSipWorld, waitFor } from '../../support/sip-world.ts';

it('reads the trace line, and nothing else', () => {
  expect(parseInviteTrace(' 2(1234) ALERT: <script>: crm-tapi-invite user=25 call-id=abc-1@127.0.0.1 at=1764763200.012345')).toEqual({ user: '25', callId: 'abc-1@127.0.0.1', epochMs: 1764763200012.345 });
  expect(parseInviteTrace('crm-tapi-invite user=25 call-id=x at=17.5')).toBeUndefined();
  expect(parseInviteTrace(' 0(99) INFO: <core> [main.c:2000]: main(): processes (including main): 9')).toBeUndefined();
});

describe.runIf(SIP_AVAILABLE)('Kamailio traces the INVITE it relays', () => {
  it('before the phone offers the call, naming the extension; a 404 is not traced', async () => {
    const traces: InviteTrace[] = [];
    const w = await startSipWorld({ onInvite: (t) => traces.push(t) });
    try {
      const before = performance.timeOrigin + performance.now();
      const id = await w.world.makeCall('26', '25');
      await waitFor('25 to ring', () => w.providerEvents.some((e) => e.type === 'call' && e.state === 'offering'));
      const offeredAt = performance.timeOrigin + performance.now();
      const trace = await waitFor('the INVITE trace', () => traces.find((t) => t.user === '25'));
      expect(trace.callId).toMatch(/\S+/);
      expect(trace.epochMs).toBeGreaterThanOrEqual(before - 1);
      expect(trace.epochMs).toBeLessThanOrEqual(offeredAt + 1);
      await w.world.drop(id);
      await w.world.makeCall('26', '29');
      await waitFor('the 404 to end the call', () => w.worldEvents.filter((e) => e.type === 'call' && e.state === 'idle').length >= 2);
      expect(traces.map((t) => t.user)).toEqual(['25']);
    } finally {
      await w.dispose();
    }
  }, 60_000);
});

if (!SIP_AVAILABLE) {
  describe('Kamailio traces the INVITE it relays', () => {
    it.skip(SIP_MISSING, () => undefined);
  });
}
