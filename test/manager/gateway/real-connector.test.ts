// The gateway against the real connector service (src/connector) with the
// simulated PBX as its line provider: registration, lines, calls, commands,
// and a reconnect that replays only what was not acknowledged.
import { afterEach, describe, expect, it } from 'vitest';
import { KEY as HARNESS_KEY, startHarness, type Harness } from '../../connector/support/harness.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { RawConnector, until } from '../support/raw-connector.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(settings: Parameters<typeof startGateway>[0] = {}): Promise<{ g: TestGateway; h: Harness }> {
  const g = await startGateway({ connectorKeys: [HARNESS_KEY], ...settings });
  cleanups.push(() => g.stop());
  const h = await startHarness({ port: g.port }, { lines: ['20', '21', '22'] });
  cleanups.push(() => h.service.stop());
  await until(() => g.gateway.lines().length === 3, 'three lines');
  return { g, h };
}

describe('with the real connector', () => {
  it('receives the lines and every call event of an answered call, once each', async () => {
    const { g, h } = await setup();
    expect(g.gateway.lines().map((l) => l.line)).toEqual(['pbx.test:20', 'pbx.test:21', 'pbx.test:22']);
    const callId = h.pbx.incoming({ number: '0301234567', name: 'Alice' }, '21').callIds[0] as string;
    h.pbx.answer(callId);
    h.pbx.drop(callId);
    h.clock.advance(5_000);
    await until(() => g.calls.some((e) => e.event.state === 'idle'), 'idle');
    expect(g.calls.filter((e) => e.synthetic !== undefined)).toEqual([]);
    const seqs = g.calls.flatMap((e) => (e.event.seq === undefined ? [] : [e.event.seq]));
    expect(seqs).toHaveLength(g.calls.length);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    expect(g.calls[0]).toMatchObject({ callKey: `pbx.test/${callId}`, line: 'pbx.test:21', connectorHost: 'pbx.test', event: { state: 'offering', callerNumber: '0301234567' } });
    await until(() => h.service.stats.buffer.ackedSeq === h.service.stats.buffer.lastSeq, 'all acknowledged');
  });

  it('after a dropped connection the connector replays only what the manager had not acknowledged', async () => {
    const { g, h } = await setup();
    const first = h.pbx.incoming({ number: '0301111' }, '20').callIds[0] as string;
    await until(() => g.calls.length >= 1 && h.service.stats.buffer.ackedSeq === h.service.stats.buffer.lastSeq, 'first acked');
    // The manager cuts the link; events happen while the connector is away.
    expect(g.gateway.disconnect('pbx.test', 'test cuts the link')).toBe(true);
    await until(() => g.gateway.lines().every((l) => !l.connectorOnline), 'lines offline');
    h.pbx.answer(first);
    h.pbx.incoming({ number: '0302222' }, '22');
    await until(() => g.gateway.lines().every((l) => l.connectorOnline), 'back online', 5_000);
    await until(() => g.calls.some((e) => e.event.callerNumber === '0302222' && !e.event.snapshot), 'missed events replayed');
    await until(() => h.service.stats.buffer.ackedSeq === h.service.stats.buffer.lastSeq, 'all acknowledged');
    expect(g.calls.filter((e) => e.synthetic !== undefined)).toEqual([]);
    const sequenced = g.calls.flatMap((e) => (e.event.snapshot || e.event.seq === undefined ? [] : [e.event.seq]));
    expect(sequenced).toEqual([...new Set(sequenced)].sort((a, b) => a - b));
    expect(g.calls.filter((e) => !e.event.snapshot && e.event.callId === first && e.event.state === 'connected')).toHaveLength(1);
  });

  it('round-trips commands: makeCall and answer reach the PBX; an unknown line or call is refused here', async () => {
    const { g, h } = await setup();
    const dialled = await g.gateway.command({ kind: 'makeCall', line: 'pbx.test:20', dialString: '0301234567' });
    // The connector names the call it placed (1.2): the same id its events carry, so the manager knows who dialled it.
    const placed = h.pbx.activeCalls().find((c) => c.line === '20' && c.origin === 'outbound');
    expect(dialled).toEqual({ ok: true, callId: placed?.callId });
    await until(() => g.calls.some((e) => e.event.origin === 'outbound' && e.callKey === `pbx.test/${placed?.callId}`), 'outbound call seen');
    const inbound = h.pbx.incoming({ number: '0309999' }, '22').callIds[0] as string;
    await until(() => g.calls.some((e) => e.event.callId === inbound), 'inbound call seen');
    expect(await g.gateway.command({ kind: 'answer', callKey: `pbx.test/${inbound}` })).toEqual({ ok: true });
    await until(() => g.calls.some((e) => e.event.callId === inbound && e.event.state === 'connected'), 'answered');
    const consulted = await g.gateway.command({ kind: 'consult', callKey: `pbx.test/${inbound}`, dialString: '0307777' });
    expect(consulted).toEqual({ ok: true, callId: expect.any(String) });
    const consultation = consulted.ok ? consulted.callId : undefined;
    await until(() => g.calls.some((e) => e.event.callId === consultation && e.event.consultationOf === inbound), 'the consultation seen under the id the result named');
    expect(await g.gateway.command({ kind: 'cancelConsult', callKey: `pbx.test/${inbound}` })).toEqual({ ok: true });
    expect(await g.gateway.command({ kind: 'makeCall', line: 'pbx.test:99', dialString: '1' })).toMatchObject({ ok: false, error: { code: 'unknown-line' } });
    expect(await g.gateway.command({ kind: 'makeCall', line: 'nonsense', dialString: '1' })).toMatchObject({ ok: false, error: { code: 'unknown-line' } });
    expect(await g.gateway.command({ kind: 'drop', callKey: 'pbx.test/no-such-call' })).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
  });

  it('relays the connector\'s own refusal (reject with RejectViaDisconnect off)', async () => {
    const { g, h } = await setup();
    const inbound = h.pbx.incoming({ number: '0309999' }, '22').callIds[0] as string;
    await until(() => g.calls.some((e) => e.event.callId === inbound), 'inbound call seen');
    expect(await g.gateway.command({ kind: 'reject', callKey: `pbx.test/${inbound}` })).toMatchObject({ ok: false, error: { code: 'reject-disabled' } });
  });
});

describe('commands against connectors that fail to answer', () => {
  it('times out against a silent connector', async () => {
    const g = await startGateway({ commandTimeoutMs: 300 });
    cleanups.push(() => g.stop());
    const c = await RawConnector.registered(g.port);
    cleanups.push(() => c.close());
    c.lines(['20']);
    await until(() => g.gateway.lines().length === 1);
    const started = Date.now();
    const outcome = await g.gateway.command({ kind: 'makeCall', line: 'pbx.test:20', dialString: '123' });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'command-timeout' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(c.of('makeCall')[0]).toMatchObject({ line: '20', dialString: '123', requestId: expect.any(String) });
  });

  it('ends waiting commands with connector-offline when the connector leaves, and refuses new ones', async () => {
    const g = await startGateway({ commandTimeoutMs: 5_000 });
    cleanups.push(() => g.stop());
    const c = await RawConnector.registered(g.port);
    c.lines(['20']);
    await until(() => g.gateway.lines().length === 1);
    const pending = g.gateway.command({ kind: 'makeCall', line: 'pbx.test:20', dialString: '123' });
    await c.waitFor(() => c.of('makeCall').length === 1);
    c.close();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'connector-offline' } });
    await until(() => !g.gateway.lines()[0]?.connectorOnline);
    expect(await g.gateway.command({ kind: 'makeCall', line: 'pbx.test:20', dialString: '123' })).toMatchObject({ ok: false, error: { code: 'connector-offline' } });
  });

  it('maps an error naming the request to a failed outcome, and ignores results of other requests', async () => {
    const g = await startGateway();
    cleanups.push(() => g.stop());
    const c = await RawConnector.registered(g.port);
    cleanups.push(() => c.close());
    c.lines(['20']);
    await until(() => g.gateway.lines().length === 1);
    const pending = g.gateway.command({ kind: 'makeCall', line: 'pbx.test:20', dialString: '123' });
    await c.waitFor(() => c.of('makeCall').length === 1);
    const requestId = c.of('makeCall')[0]?.requestId as string;
    c.send({ channel: 'connector', command: 'result', requestId: 'someone-else', ok: true });
    c.send({ channel: 'connector', command: 'error', code: 'invalid-field', message: 'dialString refused', requestId });
    expect(await pending).toEqual({ ok: false, error: { code: 'invalid-field', message: 'dialString refused' } });
  });

  it('ends waiting commands with shutting-down on stop', async () => {
    const g = await startGateway({ commandTimeoutMs: 5_000 });
    const c = await RawConnector.registered(g.port);
    cleanups.push(() => c.close());
    c.lines(['20']);
    await until(() => g.gateway.lines().length === 1);
    const pending = g.gateway.command({ kind: 'makeCall', line: 'pbx.test:20', dialString: '123' });
    await g.stop();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'shutting-down' } });
  });
});
