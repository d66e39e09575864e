// One client connection (manager/clients/connection.ts) over a socket the
// test watches: an error sentence too long for the wire is cut, not lost; a
// close is sent once and a peer that never answers it is cut off after two
// seconds; a client that reads too slowly is dropped. The gateway tests show
// the same behind real sockets; each case failed on a hand-made break they
// did not catch.
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { ClientConnection } from '../../../src/manager/clients/connection.ts';
import type { MonoMs } from '../../../src/manager/clock.ts';
import { decodeMessage, type TapiMessage } from '../../../src/protocol/index.ts';

interface Socket {
  readyState: number;
  bufferedAmount: number;
  sent: TapiMessage[];
  closes: number;
  terminates: number;
}

function connection(cap = 1 << 20): { c: ClientConnection; ws: Socket } {
  const ws: Socket = { readyState: WebSocket.OPEN, bufferedAmount: 0, sent: [], closes: 0, terminates: 0 };
  const socket = {
    get readyState() {
      return ws.readyState;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (text: string) => ws.sent.push(decodeMessage(text)),
    close: () => void (ws.closes += 1),
    terminate: () => {
      ws.terminates += 1;
      ws.readyState = WebSocket.CLOSED;
    },
  } as unknown as WebSocket;
  return { c: new ClientConnection('w1', socket, '127.0.0.1:1', 0, 0 as MonoMs, cap, pino({ level: 'silent' })), ws };
}

afterEach(() => vi.useRealTimers());

describe('a client connection', () => {
  it('cuts an error sentence to 1,024 characters instead of losing the error', () => {
    const { c, ws } = connection();
    c.sendError('intincall', 'pbx-refused', 'x'.repeat(5000), 'r1');
    expect(ws.sent).toHaveLength(1);
    expect(ws.sent[0]).toMatchObject({ command: 'error', code: 'pbx-refused', requestId: 'r1' });
    expect((ws.sent[0] as Extract<TapiMessage, { command: 'error' }>).message).toHaveLength(1024);
  });

  it('sends its close once, and cuts off a peer that does not answer it within two seconds', async () => {
    vi.useFakeTimers();
    const { c, ws } = connection();
    c.close(4400, 'too many unreadable messages');
    c.close(4400, 'again');
    expect(ws.closes).toBe(1);
    await vi.advanceTimersByTimeAsync(1999);
    expect(ws.terminates).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.terminates).toBe(1);
    expect(c.open).toBe(false);
  });

  it('drops a client whose unsent data passed the cap, and sends it nothing more', () => {
    const { c, ws } = connection(1000);
    expect(c.send({ channel: 'intincall', command: 'heartbeat' })).toBe(true);
    ws.bufferedAmount = 1001;
    expect(c.send({ channel: 'intincall', command: 'heartbeat' })).toBe(false);
    expect(ws.terminates).toBe(1);
    expect(ws.sent).toHaveLength(1);
  });
});
