// The PBX's control endpoint: a small HTTP JSON API on 127.0.0.1 (routes in
// control-routes.ts) plus GET /events, a live stream of the PBX's events as
// NDJSON (or as server-sent events when the client asks for text/event-stream).
// Exported so that a connector hosting the PBX in-process opens the same
// endpoint, and `crm-tapi simulate call` rings the connector's lines.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LineProviderError } from '../../src/connector/line-provider.ts';
import type { ProviderEvent } from '../../src/connector/line-provider.ts';
import { CrmTapiError } from '../../src/protocol/errors.ts';
import { ControlError, ROUTES } from './control-routes.ts';
import type { SimulatedPbx } from './pbx.ts';

/** Default port of `crm-tapi simulate pbx` (a free port near the manager's 4502–4534). */
export const DEFAULT_CONTROL_PORT = 4580;
const MAX_BODY = 1024 * 1024;

export interface ControlServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ControlServerOptions {
  /** 0 picks a free port (tests). */
  readonly port?: number;
  /** Failures of scheduled work (a timed answer on a call that ended meanwhile, a scenario step). */
  readonly onProblem?: (message: string) => void;
}

const STATUS: Record<string, number> = {
  'unknown-line': 404,
  'no-such-call': 404,
  'not-found': 404,
  'invalid-state': 409,
  'provider-down': 503,
  'payload-too-large': 413,
};

export async function startControlServer(pbx: SimulatedPbx, options: ControlServerOptions = {}): Promise<ControlServer> {
  const streams = new Set<ServerResponse>();
  const report = options.onProblem ?? (() => undefined);
  const unsubscribe = pbx.subscribe((event) => {
    for (const res of streams) write(res, event);
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      send(res, 500, { error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method === 'GET' && path === '/events') return openStream(req, res);
    const matching = ROUTES.filter((route) => route.pattern.test(path));
    const route = matching.find((r) => r.method === req.method);
    try {
      if (route === undefined) {
        if (matching.length > 0) throw new ControlError('bad-request', `${req.method ?? '?'} is not allowed on ${path}`);
        throw new ControlError('not-found', `no route ${path}; see docs/simulator.md`);
      }
      const text = await readBody(req);
      // A scenario is YAML text (of which JSON is a subset); everything else is JSON.
      const isJson = path !== '/scenario' && text.trim() !== '';
      let body: unknown;
      if (isJson) {
        try {
          body = JSON.parse(text) as unknown;
        } catch {
          throw new ControlError('bad-request', 'the request body is not valid JSON');
        }
      }
      const params = (route.pattern.exec(path) ?? []).slice(1);
      const result = route.handler({ pbx, params, body, text, report });
      send(res, result.status, result.body);
    } catch (err) {
      if (!(err instanceof CrmTapiError)) throw err;
      const status = STATUS[err.code] ?? (err instanceof LineProviderError ? 409 : 400);
      send(res, status, { error: { code: err.code, message: err.message } });
    }
  }

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    const sse = (req.headers.accept ?? '').includes('text/event-stream');
    res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/x-ndjson', 'cache-control': 'no-store' });
    (res as ServerResponse & { sse?: boolean }).sse = sse;
    res.flushHeaders();
    streams.add(res);
    res.on('close', () => streams.delete(res));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_CONTROL_PORT, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        for (const res of streams) res.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function write(res: ServerResponse, event: ProviderEvent): void {
  const json = JSON.stringify(event);
  res.write((res as ServerResponse & { sse?: boolean }).sse === true ? `event: ${event.type}\ndata: ${json}\n\n` : `${json}\n`);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is drained unread, so the error reply still reaches the client.
      if (size > MAX_BODY) reject(new ControlError('payload-too-large', `request bodies are limited to ${MAX_BODY} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
