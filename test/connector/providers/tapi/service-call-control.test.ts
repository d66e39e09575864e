// The connector service on the tapi provider (real addon, fake TSP driven by
// the simulated PBX) against a manager on a real socket: the lines it reports
// carry the controls of their address caps, and the manager's hold, unhold and
// transfer commands reach the switch through lineHold / lineUnhold /
// lineBlindTransferW; a line whose caps lack them answers not-supported.
import { afterEach, describe, expect, it } from 'vitest';
import type { TapiMessage } from '../../../../src/protocol/messages.ts';
import { FakeManager } from '../../support/fake-manager.ts';
import { tapiHarness } from '../../provider-contract/tapi-harness.ts';
import { fakeTapiSuite, tapiConnectorService } from './fake-suite.ts';

const suite = fakeTapiSuite();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function request(m: FakeManager, message: Extract<TapiMessage, { requestId: string }>) {
  m.send(message);
  await m.waitFor(() => m.of('result').some((r) => r.requestId === message.requestId), 10_000, `result of ${message.requestId}`);
  return m.of('result').find((r) => r.requestId === message.requestId);
}

describe('connector service on the tapi provider: call control', () => {
  it('reports each line\'s controls; hold, unhold and blind transfer reach the switch; a line without them refuses', async () => {
    const m = await FakeManager.start();
    cleanups.push(() => m.close());
    const h = tapiHarness(suite.binding, { lines: ['20', { extension: '21', controls: [] }, '22'] });
    cleanups.push(() => h.dispose());
    const service = tapiConnectorService(h, m);
    await service.start();
    cleanups.push(() => service.stop());
    await m.waitFor(() => m.of('lines').length === 1, 10_000, 'the line list');
    const reported = m.of('lines')[0]?.lines.map((l) => [l.address, l.controls]);
    expect(reported).toEqual([
      ['20', ['hold', 'transfer']],
      ['21', []],
      ['22', ['hold', 'transfer']],
    ]);

    const answered = async (line: string, requestId: string): Promise<string> => {
      await h.ringInbound(line, '+49 30 1234567');
      await m.waitFor(() => m.of('callState').some((e) => e.line.endsWith(line) && e.state === 'offering'), 10_000, `a call on ${line}`);
      const callId = m.of('callState').find((e) => e.line.endsWith(line) && e.state === 'offering')?.callId as string;
      expect((await request(m, { channel: 'connector', command: 'answer', requestId, callId }))?.ok).toBe(true);
      await h.advance(100);
      return callId;
    };
    const stateOf = (callId: string) => m.of('callState').filter((e) => e.callId === callId).at(-1);

    const callId = await answered('20', 'a1');
    expect((await request(m, { channel: 'connector', command: 'hold', requestId: 'h1', callId }))?.ok).toBe(true);
    await h.advance(100);
    await m.waitFor(() => stateOf(callId)?.state === 'onhold', 10_000, 'onhold');
    expect((await request(m, { channel: 'connector', command: 'unhold', requestId: 'u1', callId }))?.ok).toBe(true);
    await h.advance(100);
    await m.waitFor(() => stateOf(callId)?.state === 'connected', 10_000, 'connected again');
    expect((await request(m, { channel: 'connector', command: 'transfer', requestId: 't1', callId, dialString: '22' }))?.ok).toBe(true);
    await h.advance(100);
    await m.waitFor(() => stateOf(callId)?.state === 'idle', 10_000, 'the transferred call idle');
    expect(m.of('callState').find((e) => e.callId === callId && e.state === 'disconnected')?.reason).toBe('transferred');
    await m.waitFor(() => m.of('callState').some((e) => e.line.endsWith('22') && e.state === 'offering'), 10_000, 'the caller ringing at 22');

    const plain = await answered('21', 'a2');
    const refused = await request(m, { channel: 'connector', command: 'hold', requestId: 'h2', callId: plain });
    expect(refused).toMatchObject({ ok: false, error: { code: 'not-supported' } });
    expect(stateOf(plain)?.state).toBe('connected');
    expect(m.violations).toEqual([]);
  });
});
