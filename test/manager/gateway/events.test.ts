import { afterEach, describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { RawConnector, until } from '../support/raw-connector.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(settings: Parameters<typeof startGateway>[0] = {}, options: Parameters<typeof startGateway>[1] = {}): Promise<{ g: TestGateway; c: RawConnector }> {
  const g = await startGateway(settings, options);
  cleanups.push(() => g.stop());
  const c = await RawConnector.registered(g.port);
  cleanups.push(() => c.close());
  return { g, c };
}

describe('lines', () => {
  it('reports lines with the host prefix, online, and follows added, state and removed events', async () => {
    const { g, c } = await setup();
    c.lines(['20', '21']);
    await until(() => g.gateway.lines().length === 2);
    expect(g.gateway.lines()[0]).toEqual({ line: 'pbx.test:20', connectorHost: 'pbx.test', localName: '20', address: '20', inService: true, connectorOnline: true });
    c.send({ channel: 'connector', command: 'lineAdded', seq: 1, line: { name: '22', address: '22', permanentId: 'p', mediaModes: ['audio'], inService: true } });
    c.send({ channel: 'connector', command: 'lineState', seq: 2, line: '20', inService: false });
    c.send({ channel: 'connector', command: 'lineRemoved', seq: 3, line: '21' });
    await c.waitFor(() => c.lastAck() === 3);
    expect(g.lineEvents.map((e) => (e.kind === 'removed' ? `removed ${e.line}` : e.kind === 'eventsLost' ? 'lost' : `${e.kind} ${e.line.line} ${e.line.inService}`))).toEqual([
      'added pbx.test:20 true',
      'added pbx.test:21 true',
      'added pbx.test:22 true',
      'changed pbx.test:20 false',
      'removed pbx.test:21',
    ]);
  });

  it('carries rejectAllowed and reports its change as a changed line', async () => {
    const { g, c } = await setup();
    const line = (rejectAllowed?: boolean) => ({ name: '20', address: '20', permanentId: 'p', mediaModes: ['audio' as const], inService: true, ...(rejectAllowed === undefined ? {} : { rejectAllowed }) });
    c.send({ channel: 'connector', command: 'lines', lines: [line(false)] });
    await until(() => g.gateway.lines().length === 1);
    expect(g.gateway.lines()[0]?.rejectAllowed).toBe(false);
    c.send({ channel: 'connector', command: 'lines', lines: [line(false)] }); // the same list: nothing changed
    c.send({ channel: 'connector', command: 'lines', lines: [line(true)] });
    await until(() => g.gateway.lines()[0]?.rejectAllowed === true);
    expect(g.lineEvents.filter((e) => e.kind === 'changed').map((e) => e.kind === 'changed' && e.line.rejectAllowed)).toEqual([true]);
    c.send({ channel: 'connector', command: 'lines', lines: [line()] }); // an older connector: unknown
    await until(() => g.gateway.lines()[0]?.rejectAllowed === undefined);
  });

  it('a new line list after a reconnect removes the lines that are gone', async () => {
    const { g, c } = await setup();
    c.lines(['20', '21']);
    await until(() => g.gateway.lines().length === 2);
    c.close();
    await until(() => g.gateway.lines().every((l) => !l.connectorOnline), 'lines offline');
    const again = await RawConnector.registered(g.port, 'pbx.test', 0);
    cleanups.push(() => again.close());
    again.lines(['21']);
    await until(() => g.gateway.lines().length === 1 && g.gateway.lines()[0]?.connectorOnline === true);
    expect(g.lineEvents.at(-2)).toEqual({ kind: 'changed', line: expect.objectContaining({ line: 'pbx.test:21', connectorOnline: true }) });
    expect(g.lineEvents.at(-1)).toEqual({ kind: 'removed', line: 'pbx.test:20' });
  });
});

describe('call events', () => {
  it('routes each event once with the call key and the full line name, and acknowledges cumulatively', async () => {
    const { g, c } = await setup();
    c.lines(['20']);
    c.call(1, 'c1', '20');
    c.call(2, 'c1', '20', 'connected');
    c.call(2, 'c1', '20', 'connected'); // resent after a lost ack
    c.call(1, 'c1', '20');
    await c.waitFor(() => c.of('ack').length >= 1 && c.lastAck() === 2);
    await until(() => g.calls.length === 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(g.calls.map((e) => [e.callKey, e.line, e.event.state, e.event.seq])).toEqual([
      ['pbx.test/c1', 'pbx.test:20', 'offering', 1],
      ['pbx.test/c1', 'pbx.test:20', 'connected', 2],
    ]);
    expect(c.of('ack').every((a) => a.seq <= 2)).toBe(true);
  });

  it('passes snapshots on without counting them in the sequence', async () => {
    const { g, c } = await setup();
    c.call(3, 'c9', '20', 'connected', true);
    c.call(1, 'c1', '20');
    await c.waitFor(() => c.lastAck() === 1);
    expect(g.calls.map((e) => [e.event.callId, e.event.snapshot])).toEqual([
      ['c9', true],
      ['c1', false],
    ]);
  });

  it('surfaces eventsLost as a line event and logs it', async () => {
    const { g, c } = await setup();
    c.send({ channel: 'connector', command: 'eventsLost', seq: 1, count: 7, firstTimestamp: '2024-05-01T12:00:00.000Z', lastTimestamp: '2024-05-01T12:01:00.000Z' });
    await c.waitFor(() => c.lastAck() === 1);
    expect(g.lineEvents).toEqual([{ kind: 'eventsLost', connectorHost: 'pbx.test', count: 7, firstTimestamp: '2024-05-01T12:00:00.000Z', lastTimestamp: '2024-05-01T12:01:00.000Z', seq: 1 }]);
    expect(g.logs.messages()).toContain('the connector lost 7 event(s)');
  });

  it('a gap in the sequence is accepted, logged and reported as lost events', async () => {
    const { g, c } = await setup();
    c.call(1, 'c1', '20');
    c.call(4, 'c1', '20', 'connected');
    await c.waitFor(() => c.lastAck() === 4);
    expect(g.calls).toHaveLength(2);
    expect(g.lineEvents).toEqual([expect.objectContaining({ kind: 'eventsLost', connectorHost: 'pbx.test', count: 2 })]);
  });

  it('a listener that throws does not stop the others or the connection', async () => {
    const { g, c } = await setup();
    g.gateway.onCallEvent(() => {
      throw new Error('boom');
    });
    const seen: string[] = [];
    g.gateway.onCallEvent((e) => seen.push(e.event.callId));
    c.call(1, 'c1', '20');
    await c.waitFor(() => c.lastAck() === 1);
    expect(seen).toEqual(['c1']);
    expect(c.closed).toBe(false);
  });
});

describe('exactly once, whatever the resends', () => {
  // Model: a connector resends from any point at or below what it saw acknowledged.
  test.prop([fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 12 })], { numRuns: 15 })('each seq reaches the listeners once, in order', async (rewinds) => {
    const g = await startGateway();
    const c = await RawConnector.registered(g.port);
    try {
      let sent = 0;
      for (const rewind of rewinds) {
        const from = Math.max(1, sent - rewind + 1);
        for (let seq = from; seq <= sent + 2; seq += 1) c.call(seq, `c${seq}`, '20');
        sent += 2;
      }
      await c.waitFor(() => c.lastAck() === sent, `ack ${sent}`);
      expect(g.calls.map((e) => e.event.seq)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    } finally {
      c.close();
      await g.stop();
    }
  });
});
