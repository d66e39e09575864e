// ManagerConnection against a small fake manager on a real WebSocket port.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ManagerConnection, type ConnectionStatus, type SocketLike } from '../../src/client/connection.ts';
import { DiagnosticLog } from '../../src/client/log.ts';
import { decodeMessage, encodeMessage, type TapiMessage, type WelcomeMessage } from '../../src/protocol/index.ts';

const USER = '88d46489-4802-518e-a6a0-6dd1115ade35';
const WELCOME: WelcomeMessage = {
  channel: 'intincall', command: 'welcome', userId: USER, userName: 'Emily Carter', admin: false, protocolVersion: '1.0', heartbeatInterval: 30,
  lines: [],
};

interface FakeManager {
  url: string;
  received: TapiMessage[];
  sockets: WebSocket[];
  close(): Promise<void>;
}

async function fakeManager(onMessage: (m: TapiMessage, ws: WebSocket) => void): Promise<FakeManager> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const received: TapiMessage[] = [];
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (data) => {
      const m = decodeMessage(String(data));
      received.push(m);
      onMessage(m, ws);
    });
  });
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/`, received, sockets,
    close: () => new Promise<void>((r) => {
      for (const s of wss.clients) s.terminate();
      wss.close(() => r());
    }),
  };
}

/** The manager's side of the handshake, as spec/protocol.md 7.6 describes it. */
function handshake(m: TapiMessage, ws: WebSocket): void {
  if (m.command === 'connect') ws.send(encodeMessage({ channel: 'intincall', command: 'challenge', nonce: 'nonce-123456789', expiresAt: '2030-01-01T00:00:00.000Z' }));
  if (m.command === 'prove') ws.send(encodeMessage(m.sessionRecordId === '6f1c2a4e-7b9d-4e0f-8a1b-2c3d4e5f6a7b' ? WELCOME : { channel: 'intincall', command: 'error', code: 'proof-failed', message: 'no' }));
}

const open: { stop(): void }[] = [];
const servers: FakeManager[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.stop();
  for (const s of servers.splice(0)) await s.close();
});

function client(url: () => Promise<string>, statuses: ConnectionStatus[], extra: Partial<ConstructorParameters<typeof ManagerConnection>[0]> = {}, details: string[] = []) {
  const sessions: string[] = [];
  const log = new DiagnosticLog(() => 0);
  const c = new ManagerConnection({
    url, log, random: () => 0, clientInstanceId: 'tab-1', userId: USER, backoff: { baseMs: 20, maxMs: 100 },
    createSocket: (u) => new WebSocket(u) as unknown as SocketLike,
    createSession: async (nonce) => {
      sessions.push(nonce);
      return '6f1c2a4e-7b9d-4e0f-8a1b-2c3d4e5f6a7b';
    },
    ...extra,
  }, { status: (s, detail) => (statuses.push(s), details.push(detail)) });
  open.push(c);
  return { c, sessions, log };
}

const until = async (ok: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('ManagerConnection', () => {
  it('connects, proves with the session record, gets the welcome; the log never shows the whole nonce', async () => {
    const m = await fakeManager(handshake);
    servers.push(m);
    const statuses: ConnectionStatus[] = [];
    const { c, sessions, log } = client(async () => m.url, statuses);
    c.start();
    await until(() => statuses.includes('connected'));
    expect(sessions).toEqual(['nonce-123456789']);
    expect(m.received.map((x) => x.command)).toEqual(['connect', 'prove']);
    expect(m.received[0]).toMatchObject({ registration: 'manuell', incallClient: 'web', userid: USER });
    expect(m.received[1]).toMatchObject({ nonce: 'nonce-123456789', sessionRecordId: '6f1c2a4e-7b9d-4e0f-8a1b-2c3d4e5f6a7b', clientInstanceId: 'tab-1' });
    expect(c.welcome?.userName).toBe('Emily Carter');
    expect(log.all().map((e) => e.text).join('\n')).not.toContain('nonce-123456789');
  });

  it('matches dial and callControl answers by requestId', async () => {
    const m = await fakeManager((msg, ws) => {
      handshake(msg, ws);
      if (msg.command === 'dial') ws.send(encodeMessage({ channel: 'intincall', command: 'dialResult', requestId: msg.requestId, ok: true, dialString: '0341123' }));
      if (msg.command === 'callControl') ws.send(encodeMessage({ channel: 'intincall', command: 'callControlResult', requestId: msg.requestId, ok: false, error: { code: 'unknown-call', message: 'gone' } }));
    });
    servers.push(m);
    const statuses: ConnectionStatus[] = [];
    const { c } = client(async () => m.url, statuses);
    c.start();
    await until(() => statuses.includes('connected'));
    const [d, cc] = await Promise.all([c.dial('pbx:21', '0341 123', { entity: 'contact', id: '0f8fad5b-d9cb-469f-a165-70867728950e' }), c.callControl('pbx/1', 'reject')]);
    expect(d).toMatchObject({ ok: true, dialString: '0341123' });
    expect(cc).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
  });

  it('refuses requests while not connected, and times out unanswered ones', async () => {
    const m = await fakeManager(handshake);
    servers.push(m);
    const statuses: ConnectionStatus[] = [];
    const { c } = client(async () => m.url, statuses, { requestTimeoutMs: 100 });
    await expect(c.dial('pbx:21', '1')).rejects.toMatchObject({ code: 'not-connected' });
    c.start();
    await until(() => statuses.includes('connected'));
    await expect(c.dial('pbx:21', '1')).rejects.toMatchObject({ code: 'request-timeout' });
  });

  it('reconnects with back-off after the manager goes away, and proves again', async () => {
    const m = await fakeManager(handshake);
    servers.push(m);
    const statuses: ConnectionStatus[] = [];
    const { c, sessions } = client(async () => m.url, statuses);
    c.start();
    await until(() => statuses.includes('connected'));
    m.sockets[0]?.terminate();
    await until(() => statuses.filter((s) => s === 'connected').length === 2);
    expect(statuses).toContain('error');
    expect(sessions).toHaveLength(2);
  });

  it('a failed proof or an unreadable URL is an error status and retried, never a crash', async () => {
    const m = await fakeManager(handshake);
    servers.push(m);
    const statuses: ConnectionStatus[] = [];
    let calls = 0;
    const { c, log } = client(async () => {
      calls += 1;
      if (calls === 1) return 'http://not-a-websocket/';
      return m.url;
    }, statuses, { createSession: async () => 'ffffffff-ffff-4fff-8fff-ffffffffffff' });
    c.start();
    await until(() => m.received.some((x) => x.command === 'prove') && statuses.filter((s) => s === 'error').length >= 2);
    expect(log.all().some((e) => e.level === 'error' && e.text.includes('manager error proof-failed'))).toBe(true);
    expect(log.all().some((e) => e.level === 'error' && e.text.includes('not ws:// or wss://'))).toBe(true);
  });

  it('refuses a manager of another major protocol version: error unsupported-version, an error status, and tries again later', async () => {
    let version = '2.0';
    const m = await fakeManager((msg, ws) => {
      if (msg.command === 'prove') ws.send(encodeMessage({ ...WELCOME, protocolVersion: version }));
      else handshake(msg, ws);
    });
    servers.push(m);
    const statuses: ConnectionStatus[] = [];
    const details: string[] = [];
    const { c, log } = client(async () => m.url, statuses, {}, details);
    c.start();
    await until(() => m.received.filter((x) => x.command === 'connect').length >= 2);
    expect(details).toContain('the TAPI manager speaks protocol 2.0; this client speaks 1.2');
    expect(m.received.find((x) => x.command === 'error')).toEqual({ channel: 'intincall', command: 'error', code: 'unsupported-version', message: 'the TAPI manager speaks protocol 2.0; this client speaks 1.2' });
    expect(statuses).not.toContain('connected');
    expect(log.all().some((e) => e.level === 'error' && e.text === 'the TAPI manager speaks protocol 2.0; this client speaks 1.2')).toBe(true);
    // Any minor of its own major is taken.
    version = '1.9';
    await until(() => statuses.includes('connected'));
  });

  it('drops a manager that stays silent for 2.5 heartbeat intervals and connects again', async () => {
    const m = await fakeManager(handshake);
    servers.push(m);
    // Timers of 10 s and more are held for the test to fire; shorter ones run for real.
    const held: { fn: () => void; ms: number; cleared: boolean }[] = [];
    const timers = {
      setTimeout: (fn: () => void, ms: number): unknown => {
        if (ms < 10_000) return { real: setTimeout(fn, ms) };
        const h = { fn, ms, cleared: false };
        held.push(h);
        return h;
      },
      clearTimeout: (h: unknown): void => {
        if (h === undefined) return;
        if ('real' in (h as object)) clearTimeout((h as { real: ReturnType<typeof setTimeout> }).real);
        else (h as { cleared: boolean }).cleared = true;
      },
    };
    const statuses: ConnectionStatus[] = [];
    const { c, log } = client(async () => m.url, statuses, { timers });
    c.start();
    await until(() => statuses.includes('connected'));
    // Welcome says 30 s: the silence limit is 75 s.
    const silence = held.filter((h) => !h.cleared && h.ms === 75_000);
    expect(silence).toHaveLength(1);
    silence[0]?.fn();
    await until(() => m.received.filter((x) => x.command === 'connect').length === 2);
    expect(log.all().some((e) => e.level === 'error' && e.text === 'the manager stopped answering')).toBe(true);
  });

  it('never answers an unreadable error with an error, but answers any other unreadable message', async () => {
    const m = await fakeManager(handshake);
    servers.push(m);
    const statuses: ConnectionStatus[] = [];
    const { c } = client(async () => m.url, statuses);
    c.start();
    await until(() => statuses.includes('connected'));
    m.sockets[0]?.send('<?xml version="1.0" encoding="utf-8"?><tapiaction name="intincall"><command>error</command><requestId>e1</requestId></tapiaction>');
    m.sockets[0]?.send('<?xml version="1.0" encoding="utf-8"?><tapiaction name="intincall"><command>teleport</command><requestId>t1</requestId></tapiaction>');
    await until(() => m.received.some((x) => x.command === 'error' && x.requestId === 't1'));
    expect(m.received.filter((x) => x.command === 'error').map((x) => (x as { requestId?: string }).requestId)).toEqual(['t1']);
  });

  it('starts the back-off again from its first step after a welcome', async () => {
    const m = await fakeManager(handshake);
    servers.push(m);
    const statuses: ConnectionStatus[] = [];
    let calls = 0;
    // Two failed attempts first, so the back-off has grown.
    const { c, log } = client(async () => ((calls += 1) <= 2 ? 'http://not-a-websocket/' : m.url), statuses, { backoff: { baseMs: 400, maxMs: 10_000 } });
    c.start();
    await until(() => statuses.includes('connected'));
    const reconnects = () => log.all().filter((e) => e.text.startsWith('reconnect in ')).map((e) => e.text);
    expect(reconnects()).toEqual(['reconnect in 0.2 s', 'reconnect in 0.4 s']);
    m.sockets[0]?.terminate();
    await until(() => reconnects().length === 3);
    expect(reconnects()[2]).toBe('reconnect in 0.2 s');
  });

  it('passes notifications on and ignores garbage', async () => {
    const m = await fakeManager((msg, ws) => {
      handshake(msg, ws);
      if (msg.command === 'prove') {
        ws.send('<not xml');
        ws.send(encodeMessage({
          channel: 'intincall', command: 'callNotification', notificationId: 'n1', callKey: 'pbx/1', timestamp: '2024-05-02T08:15:30.125Z', line: 'pbx:21',
          state: 'offering', direction: 'inbound', number: '030', matches: [], replayed: false,
          popup: { openOnlyWhenConnected: false, openRecord: false, position: 1, durationSeconds: 30, openPhoneCallOption: 946410001 },
        }));
      }
    });
    servers.push(m);
    const got: string[] = [];
    const log = new DiagnosticLog(() => 0);
    const c = new ManagerConnection({
      url: async () => m.url, log, random: () => 0, clientInstanceId: 't', createSocket: (u) => new WebSocket(u) as unknown as SocketLike,
      createSession: async () => '6f1c2a4e-7b9d-4e0f-8a1b-2c3d4e5f6a7b',
    }, { notification: (n) => got.push(n.callKey) });
    open.push(c);
    c.start();
    await until(() => got.length === 1);
    expect(log.all().some((e) => e.level === 'error' && e.text.startsWith('unreadable message'))).toBe(true);
  });
});
