// A reply the catalogue refuses (content from the CRM or a connector that
// breaks a field's rules) is answered with a typed error carrying the
// request's id, instead of silence that leaves the client waiting out its
// timeout; the error names the field, never the refused value.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { ClientConnection } from '../../../src/manager/clients/connection.ts';
import type { MonoMs } from '../../../src/manager/clock.ts';
import { decodeMessage, type TapiMessage } from '../../../src/protocol/index.ts';

function connection(): { c: ClientConnection; sent: TapiMessage[] } {
  const sent: TapiMessage[] = [];
  const ws = { readyState: WebSocket.OPEN, bufferedAmount: 0, send: (text: string) => sent.push(decodeMessage(text)) } as unknown as WebSocket;
  return { c: new ClientConnection('w1', ws, '127.0.0.1:1', 0, 0 as MonoMs, 1 << 20, pino({ level: 'silent' })), sent };
}

describe('a reply that cannot be encoded', () => {
  it('a diagnose report with a user name the catalogue refuses: a typed error with the request id, naming the field, not the value', () => {
    const { c, sent } = connection();
    const report = {
      channel: 'diagnose', command: 'diagnoseReport', requestId: 'r7', version: '0.2.0', edition: 'open edition', connectors: [], sockets: [],
      entityLines: [{ line: 'hicom:41', users: ['Anna\u0007Secret-Bell'] }],
    } as unknown as TapiMessage;
    expect(c.send(report)).toBe(false);
    expect(sent).toHaveLength(1);
    const error = sent[0] as Extract<TapiMessage, { command: 'error' }>;
    expect(error).toMatchObject({ channel: 'diagnose', command: 'error', code: 'unencodable-reply', requestId: 'r7' });
    expect(error.message).toMatch(/^the diagnoseReport reply could not be encoded: invalid-field \(entityLines\/entityLine\[1\]\/users\/user\[1\]\)/);
    expect(error.message).not.toContain('Secret');
  });

  it('another channel too: a refreshResult with a negative count', () => {
    const { c, sent } = connection();
    expect(c.send({ channel: 'diagnose', command: 'refreshResult', requestId: 'r8', ok: true, numbers: -5 } as TapiMessage)).toBe(false);
    expect(sent).toMatchObject([{ command: 'error', code: 'unencodable-reply', requestId: 'r8' }]);
  });

  it('nothing is sent for a message that answers no request, nor for an error that cannot be encoded itself (no loop)', () => {
    const { c, sent } = connection();
    expect(c.send({ channel: 'diagnose', command: 'refreshResult', ok: true, numbers: -1 } as TapiMessage)).toBe(false);
    expect(c.send({ channel: 'diagnose', command: 'error', code: 'x', message: 'bad\u0000', requestId: 'r9' } as TapiMessage)).toBe(false);
    // A request id the catalogue refuses cannot carry the error either: one attempt, then silence.
    expect(c.send({ channel: 'diagnose', command: 'refreshResult', requestId: 'r'.repeat(10_000), ok: true, numbers: -1 } as TapiMessage)).toBe(false);
    expect(sent).toEqual([]);
  });
});
