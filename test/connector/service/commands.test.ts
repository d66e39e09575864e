import { afterEach, describe, expect, it } from 'vitest';
import type { TapiMessage } from '../../../src/protocol/index.ts';
import { LineProviderError, type CallInfo } from '../../../src/connector/line-provider.ts';
import { toCallState, wireCallId } from '../../../src/connector/wire.ts';
import { FakeManager, until } from '../support/fake-manager.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: Parameters<typeof startHarness>[1] = {}): Promise<{ m: FakeManager; h: Harness }> {
  const m = await FakeManager.start();
  cleanups.push(() => m.close());
  const h = await startHarness(m, { lines: ['20', '21', { extension: '29', video: true }], ...options });
  cleanups.push(() => h.service.stop());
  await m.waitFor(() => m.of('lines').length === 1);
  return { m, h };
}

async function request(m: FakeManager, message: TapiMessage & { requestId: string }) {
  m.send(message);
  await m.waitFor(() => m.of('result').some((r) => r.requestId === message.requestId), 5_000, `result of ${message.requestId}`);
  return m.of('result').find((r) => r.requestId === message.requestId);
}

function ringing(h: Harness, line = '20'): string {
  return h.pbx.incoming({ number: '0301234' }, line).callIds[0] as string;
}

describe('commands from the manager', () => {
  it('places a call and answers with ok, naming the call it placed (1.2)', async () => {
    const { m, h } = await setup();
    const r = await request(m, { channel: 'connector', command: 'makeCall', requestId: 'r1', line: '20', dialString: '0301234567' });
    const placed = h.pbx.activeCalls().filter((c) => c.line === '20' && c.origin === 'outbound');
    expect(placed).toHaveLength(1);
    expect(r).toEqual({ channel: 'connector', command: 'result', requestId: 'r1', ok: true, callId: placed[0]?.callId });
    // The manager matches the result to the call's events by this id: they must carry the same one.
    await m.waitFor(() => m.of('callState').some((e) => e.callId === r?.callId && e.line === '20'), 5_000, 'a callState of the placed call');
  });

  it('names the consultation call in the result of consult, and no call in the result of other commands', async () => {
    const { m, h } = await setup();
    const callId = ringing(h);
    const answered = await request(m, { channel: 'connector', command: 'answer', requestId: 'c-a', callId });
    expect(answered).toEqual({ channel: 'connector', command: 'result', requestId: 'c-a', ok: true });
    const r = await request(m, { channel: 'connector', command: 'consult', requestId: 'c-c', callId, dialString: '0309876' });
    expect(r?.ok).toBe(true);
    expect(r?.callId).toEqual(expect.any(String));
    expect(r?.callId).not.toBe(callId);
    await m.waitFor(() => m.of('callState').some((e) => e.callId === r?.callId && e.consultationOf === callId), 5_000, 'the consultation\'s callState');
    const dropped = await request(m, { channel: 'connector', command: 'cancelConsult', requestId: 'c-x', callId });
    expect(dropped).toEqual({ channel: 'connector', command: 'result', requestId: 'c-x', ok: true });
  });

  it('names a placed call whose id the wire cannot carry as its events do', async () => {
    const { m, h } = await setup();
    const raw = `sim\u0000${'x'.repeat(300)}`;
    h.provider.makeCall = () => Promise.resolve(raw);
    const r = await request(m, { channel: 'connector', command: 'makeCall', requestId: 'w1', line: '20', dialString: '1' });
    expect(r?.ok).toBe(true);
    expect(r?.callId).toBe(wireCallId(raw));
    expect(r?.callId).toBe(toCallState({ line: '20', callId: raw, state: 'dialing', origin: 'outbound' } as CallInfo, 'x', false).callId);
    expect(r?.callId).toHaveLength(128);
    expect(r?.callId).not.toContain('\u0000');
  });

  it('answers and drops calls', async () => {
    const { m, h } = await setup();
    const callId = ringing(h);
    expect((await request(m, { channel: 'connector', command: 'answer', requestId: 'a', callId }))?.ok).toBe(true);
    expect(h.pbx.activeCalls().find((c) => c.callId === callId)?.state).toBe('connected');
    expect((await request(m, { channel: 'connector', command: 'drop', requestId: 'd', callId }))?.ok).toBe(true);
  });

  it('passes the provider error codes through', async () => {
    const { m } = await setup();
    expect((await request(m, { channel: 'connector', command: 'makeCall', requestId: 'x1', line: '99', dialString: '1' }))?.error?.code).toBe('unknown-line');
    expect((await request(m, { channel: 'connector', command: 'answer', requestId: 'x2', callId: 'nope' }))?.error?.code).toBe('no-such-call');
  });

  it('treats a video line that was not reported as unknown', async () => {
    const { m, h } = await setup();
    expect((await request(m, { channel: 'connector', command: 'makeCall', requestId: 'v1', line: '29', dialString: '20' }))?.error?.code).toBe('unknown-line');
    const callId = ringing(h, '29');
    expect((await request(m, { channel: 'connector', command: 'answer', requestId: 'v2', callId }))?.error?.code).toBe('no-such-call');
    expect((await request(m, { channel: 'connector', command: 'hold', requestId: 'v3', callId }))?.error?.code).toBe('no-such-call');
    expect((await request(m, { channel: 'connector', command: 'drop', requestId: 'v4', callId }))?.error?.code).toBe('no-such-call');
    // Refused, not carried out: the call on the line the manager was never told about still rings.
    expect(h.pbx.activeCalls().find((c) => c.callId === callId)?.state).toBe('offering');
  });

  it('an unexpected failure crosses the wire as one generic sentence; its details stay in the connector\'s log', async () => {
    const { m, h } = await setup();
    h.provider.makeCall = () => Promise.reject(new Error('ECONNRESET talking to pbx-admin:secret@10.0.0.7'));
    const r = await request(m, { channel: 'connector', command: 'makeCall', requestId: 'i1', line: '20', dialString: '1' });
    expect(r?.error).toEqual({ code: 'internal', message: 'the connector failed to carry out the command; see its log' });
  });

  it('refuses reject while RejectViaDisconnect = 0, with a clear sentence', async () => {
    const { m, h } = await setup();
    const callId = ringing(h);
    const r = await request(m, { channel: 'connector', command: 'reject', requestId: 'j1', callId });
    expect(r?.ok).toBe(false);
    expect(r?.error).toEqual({ code: 'reject-disabled', message: 'rejecting calls is switched off on this connector (RejectViaDisconnect = 0)' });
    expect(h.pbx.activeCalls().find((c) => c.callId === callId)?.state).toBe('offering');
  });

  it('rejects when RejectViaDisconnect = 1, also after a change while running', async () => {
    const { m, h } = await setup();
    h.service.applyLiveSettings({ ConnectionKeepAliveIntervall: 20, RejectViaDisconnect: true });
    const callId = ringing(h);
    expect((await request(m, { channel: 'connector', command: 'reject', requestId: 'j2', callId }))?.ok).toBe(true);
    expect(h.pbx.activeCalls().find((c) => c.callId === callId && c.state === 'offering')).toBeUndefined();
  });

  it('reports rejectAllowed with each line and sends lines again when RejectViaDisconnect changes while running', async () => {
    const { m, h } = await setup();
    expect(m.of('lines')[0]?.lines.map((l) => [l.name, l.rejectAllowed])).toEqual([['20', false], ['21', false]]);
    h.service.applyLiveSettings({ ConnectionKeepAliveIntervall: 20, RejectViaDisconnect: true });
    await m.waitFor(() => m.of('lines').length === 2, 5_000, 'a second lines');
    expect(m.of('lines')[1]?.lines.every((l) => l.rejectAllowed === true)).toBe(true);
    h.service.applyLiveSettings({ ConnectionKeepAliveIntervall: 25, RejectViaDisconnect: true }); // no change of the flag: no new list
    h.service.applyLiveSettings({ ConnectionKeepAliveIntervall: 25, RejectViaDisconnect: false });
    await m.waitFor(() => m.of('lines').length === 3, 5_000, 'a third lines');
    expect(m.of('lines')[2]?.lines.every((l) => l.rejectAllowed === false)).toBe(true);
  });

  it('runs a repeated request once and answers it again', async () => {
    const { m, h } = await setup();
    await request(m, { channel: 'connector', command: 'makeCall', requestId: 'dup', line: '21', dialString: '0301' });
    m.send({ channel: 'connector', command: 'makeCall', requestId: 'dup', line: '21', dialString: '0301' });
    await m.waitFor(() => m.of('result').filter((r) => r.requestId === 'dup').length === 2);
    expect(h.pbx.activeCalls().filter((c) => c.line === '21' && c.origin === 'outbound')).toHaveLength(1);
  });

  it('remembers the last 256 requests only', async () => {
    const { m, h } = await setup();
    await request(m, { channel: 'connector', command: 'makeCall', requestId: 'first', line: '21', dialString: '0301' });
    // 255 more: 'first' is still among the last 256 and answered from memory.
    for (let i = 0; i < 255; i += 1) m.send({ channel: 'connector', command: 'drop', requestId: `n${i}`, callId: 'none' });
    await m.waitFor(() => m.of('result').length === 256, 10_000, '256 results');
    m.send({ channel: 'connector', command: 'makeCall', requestId: 'first', line: '21', dialString: '0301' });
    await m.waitFor(() => m.of('result').filter((r) => r.requestId === 'first').length === 2, 5_000, 'the second answer');
    const fromMemory = () => h.logs.records.filter((r) => r.msg === 'repeated request answered from memory' && r.requestId === 'first').length;
    expect(fromMemory()).toBe(1);
    // One more pushes it out: the same id now runs again.
    await request(m, { channel: 'connector', command: 'drop', requestId: 'n255', callId: 'none' });
    m.send({ channel: 'connector', command: 'makeCall', requestId: 'first', line: '21', dialString: '0301' });
    await m.waitFor(() => m.of('result').filter((r) => r.requestId === 'first').length === 3, 5_000, 'the third answer');
    expect(fromMemory()).toBe(1);
  });

  it('re-initialises on request and sends the line list again', async () => {
    const { m } = await setup();
    expect((await request(m, { channel: 'connector', command: 'reinitialize', requestId: 'ri' }))?.ok).toBe(true);
    await m.waitFor(() => m.of('lines').length === 2, 5_000, 'the line list again');
    expect(m.of('lines')[1]?.lines.map((l) => l.name)).toEqual(['20', '21']);
  });

  it('answers timeout when the phone system does not answer a command in time', async () => {
    const { m, h } = await setup({ service: { commandTimeoutMs: 100 } });
    h.provider.makeCall = () => new Promise<string>(() => {});
    const r = await request(m, { channel: 'connector', command: 'makeCall', requestId: 't1', line: '20', dialString: '1' });
    expect(r?.error).toEqual({ code: 'timeout', message: 'the phone system did not answer within 100 ms' });
  });

  it("cuts a provider's long error sentence to the protocol's 1,024 characters and keeps its code", async () => {
    const { m, h } = await setup();
    h.provider.makeCall = () => Promise.reject(new LineProviderError('invalid-state', `busy: ${'x'.repeat(5_000)}`));
    const r = await request(m, { channel: 'connector', command: 'makeCall', requestId: 'long', line: '20', dialString: '1' });
    expect(r?.error?.code).toBe('invalid-state');
    expect(r?.error?.message).toBe(`busy: ${'x'.repeat(1_018)}`);
  });


  it('answers shutting-down once a graceful stop began', async () => {
    const { m, h } = await setup();
    m.options.autoAck = false;
    ringing(h); // an unacknowledged event keeps the stop waiting for the manager
    await until(() => h.service.stats.buffer.lastSeq > m.lastSeq || m.events.length > 0);
    const stopping = h.service.stop();
    const r = await request(m, { channel: 'connector', command: 'makeCall', requestId: 's1', line: '20', dialString: '1' });
    expect(r?.error?.code).toBe('shutting-down');
    m.ack();
    expect(await stopping).toEqual({ unacknowledged: 0 });
  });
});
