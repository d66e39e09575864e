// Hostile peers for the suite's own robustness tests: a "manager" or a
// "connector" that closes at once, answers garbage, stalls, or floods. The
// suite must turn each into failed cases with a reason, within its deadlines.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeMessageFrame } from '../../../src/protocol/index.ts';

export type Behaviour = 'close' | 'garbage' | 'stall' | 'flood';

const KEEPALIVE = encodeMessageFrame({ channel: 'connector', command: 'keepalive' });
const HEARTBEAT = '<?xml version="1.0" encoding="utf-8"?><tapiaction name="intincall"><command>heartbeat</command></tapiaction>';

function actTcp(s: Socket, b: Behaviour): void {
  s.on('error', () => undefined);
  if (b === 'close') return void s.destroy();
  if (b === 'stall') return;
  if (b === 'garbage') {
    s.once('data', () => s.write(Buffer.from([0x00, 0x05, 0x3c, 0x3f, 0x78, 0x6d, 0xff])));
    return;
  }
  const timer = setInterval(() => {
    for (let i = 0; i < 200 && !s.destroyed; i += 1) s.write(KEEPALIVE);
  }, 5);
  s.on('close', () => clearInterval(timer));
}

function actWs(ws: WebSocket, b: Behaviour): void {
  ws.on('error', () => undefined);
  if (b === 'close') return void ws.terminate();
  if (b === 'stall') return;
  if (b === 'garbage') {
    ws.once('message', () => ws.send('<tapiaction name="intincall"><command>welcome</command><<<'));
    return;
  }
  const timer = setInterval(() => {
    for (let i = 0; i < 200 && ws.readyState === ws.OPEN; i += 1) ws.send(HEARTBEAT);
  }, 5);
  ws.on('close', () => clearInterval(timer));
}

export interface HostileManager {
  tcpPort: number;
  wsUrl: string;
  close(): Promise<void>;
}

export async function hostileManager(b: Behaviour): Promise<HostileManager> {
  const sockets = new Set<Socket>();
  const tcp: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    actTcp(s, b);
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => actWs(ws, b));
  const tcpPort = (tcp.address() as { port: number }).port;
  const wsPort = (wss.address() as { port: number }).port;
  return {
    tcpPort, wsUrl: `ws://127.0.0.1:${wsPort}/`,
    async close() {
      for (const s of sockets) s.destroy();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => tcp.close(() => r()));
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

/** A "connector" that connects to `port` again and again and then misbehaves. */
export function hostileConnector(port: number, b: Behaviour): { stop(): void } {
  let stopped = false;
  let current: Socket | undefined;
  const dial = (): void => {
    if (stopped) return;
    const s = connect(port, '127.0.0.1');
    current = s;
    s.on('error', () => undefined);
    s.on('close', () => void setTimeout(dial, 50));
    s.on('connect', () => {
      if (b === 'garbage') s.write(Buffer.from([0x00, 0x03, 0x61, 0x62, 0x63]));
      else if (b !== 'flood') actTcp(s, b);
      else actTcp(s, 'flood');
    });
  };
  dial();
  return {
    stop() {
      stopped = true;
      current?.destroy();
    },
  };
}
