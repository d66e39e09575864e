// `synced` (spec/protocol.md §7.5): after a connector's catch-up the gateway
// ends the calls it still tracks for that host that were neither in the
// snapshot nor in an event after it, with a `disconnected` and an `idle` of
// its own that carry no seq. Calls that ended in the replay, calls in the
// snapshot and calls that started after it are left alone.
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock, type EpochMs } from '../../../src/manager/clock.ts';
import type { RoutedCallEvent } from '../../../src/manager/contracts.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { RawConnector, until } from '../support/raw-connector.ts';

const NOW = Date.UTC(2024, 4, 1, 13, 0, 0);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function gateway(): Promise<TestGateway> {
  const g = await startGateway({}, { clock: { mono: systemClock.mono, wall: () => NOW as EpochMs } });
  cleanups.push(() => g.stop());
  return g;
}

async function connector(g: TestGateway, lastAckedSeq?: number): Promise<RawConnector> {
  const c = await RawConnector.registered(g.port, 'pbx.test', lastAckedSeq);
  cleanups.push(() => c.close());
  c.lines(['20', '21']);
  return c;
}

/** The connector goes away; the manager marks its lines unavailable. */
async function leave(g: TestGateway, c: RawConnector): Promise<void> {
  c.close();
  await until(() => g.gateway.lines().every((l) => !l.connectorOnline), 'lines offline');
}

const made = (g: TestGateway): RoutedCallEvent[] => g.calls.filter((e) => e.synthetic !== undefined);
const summary = (e: RoutedCallEvent): string => `${e.event.callId} ${e.event.state}`;

describe('synced', () => {
  it('ends a call the new connector process no longer reports: disconnected then idle, reason other, no seq, logged', async () => {
    const g = await gateway();
    const first = await connector(g);
    first.call(1, 'c1', '21');
    first.call(2, 'c1', '21', 'connected');
    await first.waitFor(() => first.lastAck() === 2);
    await leave(g, first);

    // A new process: no lastAckedSeq, an empty snapshot, nothing buffered.
    const second = await connector(g);
    await until(() => g.gateway.lines().every((l) => l.connectorOnline), 'lines online');
    expect(made(g)).toEqual([]);
    await second.synced(0, 0);

    const base = { callKey: 'pbx.test/c1', line: 'pbx.test:21', connectorHost: 'pbx.test', synthetic: 'connector-no-longer-reports' };
    const event = { channel: 'connector', command: 'callState', timestamp: new Date(NOW).toISOString(), line: '21', callId: 'c1', origin: 'inbound', callerNumber: '0301234567', reason: 'other', snapshot: false };
    expect(made(g)).toEqual([
      { ...base, event: { ...event, state: 'disconnected' }, receivedAt: expect.any(Number) },
      { ...base, event: { ...event, state: 'idle' }, receivedAt: expect.any(Number) },
    ]);
    expect(made(g).every((e) => e.event.seq === undefined)).toBe(true);
    // The call is gone from the gateway: a command for it is refused here, not sent to the connector.
    expect(await g.gateway.command({ kind: 'drop', callKey: 'pbx.test/c1' })).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
    expect(second.of('drop')).toEqual([]);
    const logs = g.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'ended by the manager: the connector no longer reports it', callKey: 'pbx.test/c1', line: 'pbx.test:21', state: 'connected' }));
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'connector synced; 1 call(s) ended by the manager: the connector no longer reports it', ended: 1 }));
  });

  it('keeps calls of the snapshot and calls with events after it; ends calls that only have history', async () => {
    const g = await gateway();
    const first = await connector(g);
    first.call(1, 'inSnapshot', '20');
    first.call(2, 'endLost', '20');
    first.call(3, 'neverHeardOf', '21');
    await first.waitFor(() => first.lastAck() === 3);
    await leave(g, first);

    // The same process reconnects: it took its snapshot at seq 5; seq 4–5 are its buffer, 6 is live.
    const second = await connector(g, 3);
    second.call(5, 'inSnapshot', '20', 'connected', true);
    second.call(4, 'endLost', '20', 'connected');
    second.send({ channel: 'connector', command: 'eventsLost', seq: 5, count: 2, firstTimestamp: '2024-05-01T12:00:01.000Z', lastTimestamp: '2024-05-01T12:00:02.000Z' });
    second.call(6, 'startedAfter', '21');
    await second.waitFor(() => second.lastAck() === 6);
    await second.synced(5, 1);

    expect(made(g).map(summary)).toEqual(['endLost disconnected', 'endLost idle', 'neverHeardOf disconnected', 'neverHeardOf idle']);
    // What is left is exactly what the connector reports as active.
    second.call(7, 'inSnapshot', '20', 'idle');
    second.call(8, 'startedAfter', '21', 'idle');
    await second.waitFor(() => second.lastAck() === 8);
    expect(g.calls.filter((e) => e.synthetic === undefined && e.event.state === 'idle').map((e) => e.event.callId)).toEqual(['inSnapshot', 'startedAfter']);
    expect(await g.gateway.command({ kind: 'drop', callKey: 'pbx.test/endLost' })).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
  });

  it('makes nothing up for a call whose end arrives in the replay: it ends with the connector\'s own time', async () => {
    const g = await gateway();
    const first = await connector(g);
    first.call(1, 'c1', '20');
    await first.waitFor(() => first.lastAck() === 1);
    await leave(g, first);
    const second = await connector(g, 1);
    second.send({ channel: 'connector', command: 'callState', seq: 2, timestamp: '2024-05-01T12:00:09.000Z', line: '20', callId: 'c1', state: 'disconnected', origin: 'inbound', reason: 'callerHungUp', snapshot: false });
    second.call(3, 'c1', '20', 'idle');
    await second.synced(3, 0);
    expect(made(g)).toEqual([]);
    expect(g.calls.find((e) => e.event.state === 'disconnected')?.event).toMatchObject({ timestamp: '2024-05-01T12:00:09.000Z', reason: 'callerHungUp', seq: 2 });
    expect(g.logs.messages()).toContain('connector synced; every call the manager tracks is still reported');
  });

  it('ends nothing when fewer snapshot calls arrived than the connector says it sent', async () => {
    const g = await gateway();
    const first = await connector(g);
    first.call(1, 'a', '20');
    first.call(2, 'b', '21');
    await first.waitFor(() => first.lastAck() === 2);
    await leave(g, first);
    const second = await connector(g, 2);
    second.call(2, 'a', '20', 'connected', true);
    await second.synced(2, 2);
    expect(made(g)).toEqual([]);
    expect(g.logs.messages().some((m) => m.startsWith('connector synced, but fewer snapshot calls arrived than it sent'))).toBe(true);
  });

  it('acts once per registration: a second synced is ignored', async () => {
    const g = await gateway();
    const c = await connector(g);
    await c.synced(0, 0);
    c.call(1, 'later', '20');
    await c.waitFor(() => c.lastAck() === 1);
    await c.synced(0, 0);
    expect(made(g)).toEqual([]);
    expect(g.logs.messages()).toContain('synced from a connection that is not catching up (a second synced, or a replaced connection); ignored');
    expect(c.closed).toBe(false);
  });

  it('without synced (an older connector) the calls stay as they were', async () => {
    const g = await gateway();
    const first = await connector(g);
    first.call(1, 'c1', '20', 'connected');
    await first.waitFor(() => first.lastAck() === 1);
    await leave(g, first);
    const second = await connector(g);
    second.send({ channel: 'connector', command: 'keepalive' });
    await second.waitFor(() => second.of('keepalive').length === 1);
    expect(made(g)).toEqual([]);
    const pending = g.gateway.command({ kind: 'drop', callKey: 'pbx.test/c1' });
    await second.waitFor(() => second.of('drop').length === 1, 'the drop to reach the connector');
    second.send({ channel: 'connector', command: 'result', requestId: second.of('drop')[0]?.requestId as string, ok: true });
    expect(await pending).toEqual({ ok: true });
  });
});
