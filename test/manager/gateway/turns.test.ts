// The gateway handles a connector's frames in order, and after a call event
// (which may have written popups) lets the sockets that are ready be served
// before the rest of the chunk: the popup's reader, another connector.
// Real sockets: the "reader" is a loopback TCP pair in this process, as the
// bench's clients are.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fc } from '@fast-check/vitest';
import pino from 'pino';
import { systemClock } from '../../../src/manager/clock.ts';
import { ConnectorConnection, type ConnectionLimits } from '../../../src/manager/gateway/connection.ts';
import { encodeMessageFrame, type TapiMessage } from '../../../src/protocol/index.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { RawConnector, until } from '../support/raw-connector.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A gateway with one registered connector whose line 20 is known. */
async function setup(): Promise<{ g: TestGateway; c: RawConnector }> {
  const g = await startGateway();
  cleanups.push(() => g.stop());
  const c = await RawConnector.registered(g.port);
  cleanups.push(() => c.close());
  c.lines(['20']);
  await until(() => g.gateway.lines().length === 1);
  return { g, c };
}

/** A loopback TCP pair: what is written to `write` is read by the other end, which notes it in `order`. */
async function reader(order: string[]): Promise<{ write: Socket }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const write = await accepted;
  client.on('data', () => order.push('reader'));
  cleanups.push(() => new Promise<void>((resolve) => {
    client.destroy();
    write.destroy();
    server.close(() => resolve());
  }));
  return { write };
}

const callState = (seq: number, callId: string, state: 'offering' | 'idle'): TapiMessage => ({
  channel: 'connector', command: 'callState', seq, timestamp: '2024-05-01T12:00:00.000Z', line: '20', callId, state, origin: 'inbound', callerNumber: '0301234567', snapshot: false,
});
const lineState = (seq: number, inService: boolean): TapiMessage => ({ channel: 'connector', command: 'lineState', seq, line: '20', inService });
const LIMITS: ConnectionLimits = { maxFrameLength: 65_535, registrationTimeoutMs: 10_000, frameTimeoutMs: 10_000, maxBadFrames: 5, maxSendBuffer: 1 << 20 };
const chunk = (messages: TapiMessage[]): Buffer => Buffer.concat(messages.map((m) => encodeMessageFrame(m)));

describe('turns', () => {
  it("serves the sockets that are ready after a call event, before the chunk's next event", async () => {
    const { g, c } = await setup();
    const order: string[] = [];
    const { write } = await reader(order);
    g.gateway.onCallEvent((e) => {
      order.push(`call ${e.event.seq}`);
      if (e.event.seq === 1) write.write('popup'); // as the router writes the offering's popup to a client
    });
    c.sendRaw(chunk([callState(1, 'c1', 'offering'), callState(2, 'c1', 'idle')]));
    await until(() => order.length === 3, 'both events and the read');
    expect(order).toEqual(['call 1', 'reader', 'call 2']);
    await c.waitFor(() => c.lastAck() === 2, 'the ack of both');
  });

  it('handles the line events of a chunk in one turn, and waits only after its call events', async () => {
    const { g, c } = await setup();
    const order: string[] = [];
    const { write } = await reader(order);
    g.gateway.onLineEvent((e) => {
      if (e.kind !== 'changed') return;
      order.push(`line ${e.line.inService}`);
      if (!e.line.inService) write.write('welcome');
    });
    g.gateway.onCallEvent((e) => order.push(`call ${e.event.seq}`));
    c.sendRaw(chunk([lineState(1, false), lineState(2, true), callState(3, 'c1', 'offering'), callState(4, 'c1', 'idle')]));
    await until(() => order.length === 5, 'the four events and the read');
    // The reader's data was ready during the line events, yet is read only once a call event was handled.
    expect(order).toEqual(['line false', 'line true', 'call 3', 'reader', 'call 4']);
  });

  it('handles every frame once and in order, however the stream is cut into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 24 }), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 12 }), async (calls, cuts) => {
        const { g, c } = await setup();
        const messages = Array.from({ length: calls }, (_, k) => [callState(2 * k + 1, `c${k}`, 'offering'), callState(2 * k + 2, `c${k}`, 'idle')]).flat();
        const bytes = chunk(messages);
        let at = 0;
        for (const cut of cuts) {
          if (at >= bytes.length) break;
          c.sendRaw(bytes.subarray(at, Math.min(bytes.length, at + cut)));
          at += cut;
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (at < bytes.length) c.sendRaw(bytes.subarray(at));
        await c.waitFor(() => c.lastAck() === messages.length, 'the last ack');
        expect(g.calls.map((e) => e.event.seq)).toEqual(messages.map((_, i) => i + 1));
        for (const clean of cleanups.splice(0).reverse()) await clean();
      }),
      { numRuns: 15 },
    );
  });

  it('serves the ready sockets at most about once a millisecond during a burst, not once per event', async () => {
    const { g, c } = await setup();
    const events = 2_000;
    const messages = Array.from({ length: events / 2 }, (_, k) => [callState(2 * k + 1, `c${k}`, 'offering'), callState(2 * k + 2, `c${k}`, 'idle')]).flat();
    c.sendRaw(chunk(messages));
    await c.waitFor(() => c.lastAck() === events, 'the last ack', 30_000);
    expect(g.calls.map((e) => e.event.seq)).toEqual(messages.map((_, i) => i + 1));
    // One ack per turn: a turn of its own for each call event (the replay 8x slower) would give about 2,000 acks.
    // Each event takes some 15-100 µs, so a turn every SERVE_READY_EVERY_MS gives some tens to a few hundred.
    expect(c.of('ack').length).toBeLessThan(events / 4);
  });

  it('handles nothing of a chunk after its connection was closed, in a later turn as in the first', async () => {
    const handled: number[] = [];
    const server = createServer((socket) => {
      const connection = new ConnectorConnection(socket, LIMITS, {
        onMessage: (conn, message) => {
          if (message.command !== 'callState') return;
          handled.push(message.seq);
          if (message.seq === 2) conn.destroy('closed while its chunk is handled');
        },
        onClose: () => undefined,
      }, pino({ level: 'silent' }), systemClock.mono);
      connection.markRegistered('pbx.test', '1.0', { intervalMs: 60_000, graceMs: 1_000 });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(chunk([callState(1, 'c1', 'offering'), callState(2, 'c1', 'idle'), callState(3, 'c2', 'offering'), callState(4, 'c2', 'idle')]));
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Event 2 is handled a turn after event 1 (the yield); the connection is gone then, and 3 and 4 are not handled.
    expect(handled).toEqual([1, 2]);
  });
});
