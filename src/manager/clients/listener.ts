// The WebSocket port: plain HTTP or HTTPS (PEM or PFX), the manual's test
// page at `/`, and WebSocket upgrades with the Origin allow-list checked
// before the upgrade (403), and caps on connections (503). TCP connections
// that have not completed the upgrade are capped per peer and in total (the
// oldest evicted for a newcomer) and closed at a deadline of their own:
// Node's headersTimeout/requestTimeout are only checked every
// connectionsCheckingInterval and never see a connection that sends no
// request at all (issue 11, break 5). The listener can be rebuilt on the
// same port (after a failed self-test) without dropping the connections
// already upgraded.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_FRAME_LENGTH } from '../../protocol/index.ts';
import type { TlsMaterial } from '../contracts.ts';
import { panelFile } from './panel-files.ts';
import { PreAuthAdmission } from '../admission/pre-auth.ts';
import { ThrottledLog } from '../admission/log-throttle.ts';

/** Caps on TCP connections that have not completed the WebSocket upgrade. */
export interface PreUpgradeLimits {
  /** MaxPendingUpgrades: all peers together. */
  total: number;
  /** MaxPendingUpgradesPerPeer. */
  perPeer: number;
  /** UpgradeTimeout in ms: from accept to a completed upgrade. */
  timeoutMs: number;
}

export const PRE_UPGRADE_DEFAULTS: PreUpgradeLimits = { total: 256, perPeer: 32, timeoutMs: 10_000 };

/** The manual: the test page "says" this sentence (spec/vendor-manual.md §1). */
export const TEST_PAGE_TEXT = 'This is the Testsite for the Websocket Connection behind this address';

export interface ListenerOptions {
  host: string;
  port: number;
  tls?: TlsMaterial;
  logger: Logger;
  /** Allowed Origin values (exact match); a request without Origin is not a browser and is let through to the proof. */
  allowedOrigins: () => readonly string[];
  /** Why a new connection must wait (too many connections), or undefined. */
  refuse: () => string | undefined;
  onConnection: (ws: WebSocket, request: IncomingMessage) => void;
  preUpgrade?: () => PreUpgradeLimits;
}

interface Pending {
  socket: Socket;
  timer: NodeJS.Timeout;
}

const keyOf = (s: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string => `${s.remoteAddress ?? '?'}|${s.remotePort ?? 0}`;

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>crm-tapi</title></head><body><p>${TEST_PAGE_TEXT}</p></body></html>\n`;

function reject(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export class ClientListener {
  private server: Server | undefined;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_LENGTH, perMessageDeflate: false, clientTracking: false });
  private boundPort: number | undefined;
  /** Not yet upgraded, by remote address and port (the same for the TCP socket and its TLS socket). */
  private readonly pending = new Map<string, Pending>();
  private readonly admission: PreAuthAdmission<string>;
  private readonly evictions: ThrottledLog;

  constructor(private readonly o: ListenerOptions) {
    this.admission = new PreAuthAdmission(() => this.limits());
    this.evictions = new ThrottledLog(o.logger, 'WebSocket-port connections closed before the upgrade');
  }

  private limits(): PreUpgradeLimits {
    return this.o.preUpgrade?.() ?? PRE_UPGRADE_DEFAULTS;
  }

  /** TCP connections open now that have not completed the upgrade. */
  get pendingUpgrades(): number {
    return this.pending.size;
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  get secure(): boolean {
    return this.o.tls !== undefined;
  }

  async listen(): Promise<number> {
    const server = this.o.tls ? createHttpsServer({ ...this.o.tls }) : createHttpServer();
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    server.on('request', (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if ((req.method === 'GET' || req.method === 'HEAD') && path === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(PAGE), 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : PAGE);
        return;
      }
      if (req.method === 'GET' && path !== undefined) {
        void panelFile(path).then((f) => {
          if (f === undefined) {
            res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
            res.end('not found\n');
            return;
          }
          res.writeHead(f.status, { 'Content-Type': f.type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
          res.end(f.body);
        });
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
    });
    server.on('connection', (socket: Socket) => this.accepted(socket));
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    server.on('clientError', (_err, socket) => {
      if (socket.writable) reject(socket, 400, 'Bad Request');
      else socket.destroy();
    });
    server.on('tlsClientError', (err) => this.o.logger.debug({ reason: err.message }, 'TLS handshake with a client failed'));
    await new Promise<void>((resolve, rejectListen) => {
      server.once('error', rejectListen);
      server.listen({ host: this.o.host, port: this.boundPort ?? this.o.port }, () => {
        server.off('error', rejectListen);
        resolve();
      });
    });
    server.on('error', (err) => this.o.logger.error({ err }, 'WebSocket listener failed'));
    this.server = server;
    const address = server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : this.o.port;
    return this.boundPort;
  }

  private accepted(socket: Socket): void {
    const peer = socket.remoteAddress ?? '?';
    const key = keyOf(socket);
    const limits = this.limits();
    for (const { item, cap } of this.admission.victimsFor(peer)) {
      this.evictions.note(item.split('|')[0] ?? '?', { newcomer: peer, pending: this.admission.size, max: limits.total, perPeer: limits.perPeer },
        cap === 'perPeer' ? 'WebSocket-port connection evicted before its upgrade: MaxPendingUpgradesPerPeer reached for its address' : 'WebSocket-port connection evicted before its upgrade: MaxPendingUpgrades reached');
      this.settle(item)?.destroy();
    }
    // A deadline of its own: it fires however the peer trickles bytes.
    const timer = setTimeout(() => {
      this.evictions.note(peer, { timeoutMs: limits.timeoutMs }, 'WebSocket-port connection closed: no completed upgrade within UpgradeTimeout');
      this.settle(key)?.destroy();
    }, limits.timeoutMs);
    timer.unref();
    this.pending.set(key, { socket, timer });
    this.admission.add(key, peer);
    socket.once('close', () => {
      if (this.pending.get(key)?.socket === socket) this.settle(key);
    });
  }

  /** Forgets a pending connection (upgraded, closed or evicted); returns its socket. */
  private settle(key: string): Socket | undefined {
    const p = this.pending.get(key);
    if (p === undefined) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(key);
    this.admission.remove(key);
    return p.socket;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.settle(keyOf(req.socket));
    socket.on('error', () => socket.destroy());
    const origin = req.headers.origin;
    if (origin !== undefined && !this.o.allowedOrigins().includes(origin)) {
      this.o.logger.warn({ origin: origin.slice(0, 200), peer: req.socket.remoteAddress }, 'WebSocket upgrade from a foreign origin refused');
      reject(socket, 403, 'Forbidden');
      return;
    }
    const busy = this.o.refuse();
    if (busy !== undefined) {
      this.o.logger.warn({ peer: req.socket.remoteAddress, reason: busy }, 'WebSocket upgrade refused');
      reject(socket, 503, 'Service Unavailable');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.o.onConnection(ws, req));
  }

  /** Stops listening; upgraded connections stay. */
  async closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    // `close` waits for kept-alive HTTP requests; upgraded sockets are no longer the server's.
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(resolve, 1000).unref();
    });
  }

  async rebuild(): Promise<void> {
    await this.closeListener();
    await this.listen();
  }
}
