// Serving the msw handlers on a real port with @mswjs/http-middleware, over HTTP or HTTPS.
// The request listener tags each request with its connection's id first (see connections.ts):
// NTLM authenticates connections, not requests, and a "lost response" fault resets the socket.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createMswServer } from '@mswjs/http-middleware';
import type { RequestHandler } from 'msw';
import { CONNECTION_HEADER, type ConnectionRegistry } from './connections.ts';
import { SimulatorError } from './errors.ts';

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { key: string; cert: string } | undefined;
}

export interface RunningServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/**
 * CORS as Dataverse and Entra answer single-page apps (the softphone panel runs on the manager's
 * origin): any Origin may call with a bearer token; preflights are answered here. True = answered.
 */
function cors(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', 'OData-EntityId, OData-Version, Retry-After, Location, WWW-Authenticate');
  if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
  res.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, POST, PATCH, PUT, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type',
    'Access-Control-Max-Age': '600',
  });
  res.end();
  return true;
}

export async function serveHandlers(handlers: RequestHandler[], connections: ConnectionRegistry, opts: ListenOptions): Promise<RunningServer> {
  // http-middleware is CommonJS and types msw's CJS build; the handlers are the ESM build's: same shape.
  const app = createMswServer(...(handlers as unknown as Parameters<typeof createMswServer>));
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    // A client must not choose the connection id: overwrite whatever it sent.
    req.headers[CONNECTION_HEADER] = connections.idFor(req.socket as Socket);
    if (cors(req, res)) return;
    app(req, res);
  };
  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, listener) : createHttpServer(listener);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new SimulatorError('sim-options-invalid', `cannot listen on ${opts.host}:${opts.port} (${err.code ?? err.message})`, { cause: err })));
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      connections.destroyAll();
    }),
  };
}
