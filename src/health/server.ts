// The health and metrics endpoint of a service (both the manager and the
// connector): GET /healthz (the process answers), /readyz (200 or 503 with
// the reasons, as JSON) and /metrics (Prometheus text from prom-client).
// Bound like the other ports — loopback by default — and, when a token is
// configured, /readyz and /metrics need `Authorization: Bearer <token>`
// (/healthz says nothing but "ok" and stays open for liveness probes).
import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  name: string;
  /** `ok`, `fail` (not ready) or `unknown` (cannot tell; does not make the service unready). */
  state: 'ok' | 'fail' | 'unknown';
  detail?: string;
}

export interface HealthServerOptions {
  host: string;
  port: number;
  /** Accepted bearer tokens; empty = none needed (loopback). */
  tokens: () => readonly string[];
  registry: Registry;
  readiness: () => Promise<ReadinessCheck[]>;
}

export interface RunningHealthServer {
  port: number;
  close(): Promise<void>;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

function authorised(req: IncomingMessage, tokens: readonly string[]): boolean {
  if (tokens.length === 0) return true;
  const header = req.headers.authorization ?? '';
  const match = /^Bearer (.+)$/.exec(header);
  if (match?.[1] === undefined) return false;
  const given = digest(match[1]);
  // Hashes of equal length: the comparison time says nothing about the token.
  return tokens.some((t) => timingSafeEqual(given, digest(t)));
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

async function handle(o: HealthServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'only GET\n');
  if (path === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
  if (path !== '/readyz' && path !== '/metrics') return send(res, 404, 'text/plain; charset=utf-8', 'not found: /healthz, /readyz, /metrics\n');
  if (!authorised(req, o.tokens())) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    return send(res, 401, 'text/plain; charset=utf-8', 'a bearer token is required (HealthToken)\n');
  }
  if (path === '/metrics') return send(res, 200, o.registry.contentType, await o.registry.metrics());
  const checks = await o.readiness();
  const ready = checks.every((c) => c.state !== 'fail');
  const reasons = checks.filter((c) => c.state === 'fail').map((c) => `${c.name}: ${c.detail ?? 'failing'}`);
  return send(res, ready ? 200 : 503, 'application/json; charset=utf-8', `${JSON.stringify({ ready, ...(ready ? {} : { reasons }), checks })}\n`);
}

export async function startHealthServer(o: HealthServerOptions): Promise<RunningHealthServer> {
  const server: Server = createServer((req, res) => {
    handle(o, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `error: ${(err as Error).message}\n`);
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : o.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
