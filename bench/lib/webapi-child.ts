// The far end of the outbox's deliveries in bench/manager.ts --deliver https, in its own
// process as Dataverse is on its own servers: an HTTPS endpoint (the repository's test
// certificate for 127.0.0.1) that takes what the manager's Dataverse client sends for a
// record — a create-only upsert, `PATCH <set>(<id>)` with `If-None-Match: *` and a JSON
// body — and answers it as Dataverse answers a created record: 204 with `OData-EntityId`.
// It parses each body and checks the bearer token and the request's shape, so a request the
// real service would refuse is refused here too (and the bench reports the dead letter);
// it keeps no records, so its answer costs it next to nothing. It also takes such upserts as
// independent parts of a `$batch` (bench/dataverse-batch.ts), answered part by part as Dataverse
// does: processing stops at the first refused part unless the request says
// `Prefer: odata.continue-on-error`; change sets are refused (the bench sends none). Over the IPC
// channel of `fork`: sends `{ port }` once listening; answers `stats` with the records it created
// and refused, the HTTP requests it took, and the CPU time its process has used (the server
// side's share of the host, which in production is Microsoft's).
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { parseBatch } from '../../simulator/dataverse/webapi/batch.ts';
import { BENCH_TOKEN, WEB_API_PATH, type WebApiChildReply } from './webapi-protocol.ts';

const tls = new URL('../../fixtures/tls/', import.meta.url);
const RECORD = /^\/api\/data\/v9\.2\/([a-z_]+)\(([0-9a-f-]{36})\)$/;
let created = 0;
let refused = 0;
let requests = 0;

type Answer = { readonly status: 204; readonly entityId: string } | { readonly status: number; readonly message: string };

/** One record's upsert, as a request or as a batch part: 204 with its entity id, or a refusal. */
function upsert(method: string, path: string, ifNoneMatch: string | null | undefined, body: string): Answer {
  const match = RECORD.exec(path);
  if (method !== 'PATCH' || match === null) return { status: 405, message: `${method} ${path}: only a record's upsert is served here` };
  if (ifNoneMatch !== '*') return { status: 400, message: 'the bench serves create-only upserts (If-None-Match: *)' };
  try {
    const record: unknown = JSON.parse(body);
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return { status: 400, message: 'the body is not a JSON object' };
  } catch {
    return { status: 400, message: 'the body is not JSON' };
  }
  return { status: 204, entityId: `https://127.0.0.1${WEB_API_PATH}${match[1]}(${match[2]})` };
}

const counted = (a: Answer): Answer => {
  if (a.status === 204) created += 1;
  else refused += 1;
  return a;
};
const errorBody = (message: string) => JSON.stringify({ error: { code: '0x80040203', message } });

function sendError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json; odata.metadata=minimal' });
  res.end(errorBody(message));
}

function refuse(res: ServerResponse, status: number, message: string): void {
  refused += 1;
  sendError(res, status, message);
}

/** A `$batch` of independent upserts: one answer part per part processed. */
function batch(req: IncomingMessage, res: ServerResponse, body: string): void {
  let items: ReturnType<typeof parseBatch>;
  try {
    items = parseBatch(req.headers['content-type'] ?? null, body);
  } catch (err) {
    return refuse(res, 400, (err as Error).message);
  }
  if (items.some((i) => i.kind === 'changeset')) return refuse(res, 400, 'the bench serves independent $batch parts only, no change sets');
  const goOn = /odata\.continue-on-error/i.test(String(req.headers.prefer ?? ''));
  const boundary = `batchresponse_${requests}`;
  const head = `--${boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n`;
  const parts: string[] = [];
  for (const item of items) {
    if (item.kind !== 'single') continue;
    const part = item.part;
    const a = counted(upsert(part.method, new URL(part.url, 'https://127.0.0.1').pathname, part.headers.get('if-none-match'), part.body));
    parts.push('entityId' in a
      ? `${head}HTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\nOData-EntityId: ${a.entityId}\r\n\r\n`
      : `${head}HTTP/1.1 ${a.status} Refused\r\nContent-Type: application/json; odata.metadata=minimal\r\n\r\n${errorBody(a.message)}`);
    if (!('entityId' in a) && !goOn) break;
  }
  res.writeHead(200, { 'Content-Type': `multipart/mixed; boundary=${boundary}`, 'OData-Version': '4.0' });
  res.end(`${parts.join('\r\n')}\r\n--${boundary}--\r\n`);
}

function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  requests += 1;
  if (req.headers.authorization !== `Bearer ${BENCH_TOKEN}`) return refuse(res, 401, 'no valid bearer token');
  if (req.method === 'POST' && req.url === `${WEB_API_PATH}$batch`) return batch(req, res, body);
  const a = counted(upsert(req.method ?? '', req.url ?? '', req.headers['if-none-match'], body));
  if (!('entityId' in a)) return sendError(res, a.status, a.message);
  res.writeHead(204, { 'OData-Version': '4.0', 'OData-EntityId': a.entityId });
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
    send({ type: 'stats', created, refused, requests, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
});
// The bench ends this process by closing the IPC channel (or dies with it).
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
