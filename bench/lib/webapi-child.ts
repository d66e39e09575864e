// The far end of the outbox's deliveries in bench/manager.ts --deliver https, in its own
// process as Dataverse is on its own servers: an HTTPS endpoint (the repository's test
// certificate for 127.0.0.1) that takes what the manager's Dataverse client sends for a
// record — a create-only upsert, `PATCH <set>(<id>)` with `If-None-Match: *` and a JSON
// body — and answers it as Dataverse answers a created record: 204 with `OData-EntityId`.
// It parses each body and checks the bearer token and the request's shape, so a request the
// real service would refuse is refused here too (and the bench reports the dead letter);
// it keeps no records, so its answer costs it next to nothing. Over the IPC channel of
// `fork`: sends `{ port }` once listening; answers `stats` with the requests it took and
// refused, and the CPU time its process has used (the server side's share of the host, which in
// production is Microsoft's).
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { BENCH_TOKEN, WEB_API_PATH, type WebApiChildReply } from './webapi-protocol.ts';

const tls = new URL('../../fixtures/tls/', import.meta.url);
const RECORD = /^\/api\/data\/v9\.2\/([a-z_]+)\(([0-9a-f-]{36})\)$/;
let created = 0;
let refused = 0;

function refuse(res: ServerResponse, status: number, message: string): void {
  refused += 1;
  res.writeHead(status, { 'Content-Type': 'application/json; odata.metadata=minimal' });
  res.end(JSON.stringify({ error: { code: '0x80040203', message } }));
}

function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  const match = RECORD.exec(req.url ?? '');
  if (req.method !== 'PATCH' || match === null) return refuse(res, 405, `${req.method} ${req.url}: only a record's upsert is served here`);
  if (req.headers.authorization !== `Bearer ${BENCH_TOKEN}`) return refuse(res, 401, 'no valid bearer token');
  if (req.headers['if-none-match'] !== '*') return refuse(res, 400, 'the bench serves create-only upserts (If-None-Match: *)');
  try {
    const record: unknown = JSON.parse(body);
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return refuse(res, 400, 'the body is not a JSON object');
  } catch {
    return refuse(res, 400, 'the body is not JSON');
  }
  created += 1;
  res.writeHead(204, { 'OData-Version': '4.0', 'OData-EntityId': `https://127.0.0.1${WEB_API_PATH}${match[1]}(${match[2]})` });
  res.end();
}

const server = createServer({ cert: readFileSync(new URL('server.pem', tls)), key: readFileSync(new URL('server-key.pem', tls)), keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')));
});

const send = (m: WebApiChildReply) => process.send?.(m);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address !== null && typeof address === 'object') send({ type: 'listening', port: address.port });
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'stats') {
    const cpu = process.cpuUsage();
    send({ type: 'stats', created, refused, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
});
// The bench ends this process by closing the IPC channel (or dies with it).
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
