// The delivery worker's thread (delivery-worker.ts starts it): its own
// Dataverse connection from the manager's connection settings, and the same
// transport the main thread would use. It takes `{ id, write }` and answers
// `{ id, outcome }` or `{ id, error }` (a DataverseError's code, status and
// Retry-After survive the trip: the outbox's policy judges them). The Web API
// client's log lines and its per-attempt metrics are forwarded to the main
// thread, which logs and publishes them as its own; with a bearer sign-in the
// tokens come from the main thread's (`sharedTokens`).
import { subscribe } from 'node:diagnostics_channel';
import { parentPort, workerData } from 'node:worker_threads';
import { BearerAuth, staticTokenSource, type AccessToken, type TokenSource } from '../auth/bearer.ts';
import { connect } from '../connection.ts';
import { DataverseClient } from '../web-api/client.ts';
import { createAgent } from '../web-api/transport.ts';
import { dataverseAttempts, type DataverseAttempt } from '../web-api/diagnostics.ts';
import type { DataverseLogger } from '../web-api/types.ts';
import { fromSent, toSent, type DeliveryConnection, type DeliveryReply, type DeliveryRequest, type DeliveryWorkerData, type LogLevel } from './delivery-worker-protocol.ts';
import { dataverseTransport } from './transport.ts';

const port = parentPort;
if (port === null) throw new Error('delivery-worker-entry runs in a worker thread');
const data = workerData as DeliveryWorkerData;
// A turn's replies leave together, once the turn's I/O has been handled (setImmediate): one message event on the
// main thread for a burst of answers. `ready` and `fatal` leave at once, after what was queued before them.
let queued: DeliveryReply[] = [];
const flush = () => {
  const replies = queued;
  queued = [];
  if (replies.length === 1) port.postMessage(replies[0]);
  else if (replies.length > 1) port.postMessage({ type: 'batch', replies } satisfies DeliveryReply);
};
const post = (reply: DeliveryReply) => {
  queued.push(reply);
  if (reply.type === 'ready' || reply.type === 'fatal') flush();
  else if (queued.length === 1) setImmediate(flush);
};

/** A log line's fields as far as they can be cloned (an unclonable one is named, not sent). */
function cloneable(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v instanceof Error) out[k] = { message: v.message, ...('code' in v ? { code: (v as { code: unknown }).code } : {}) };
    else if (typeof v === 'function' || typeof v === 'symbol') out[k] = `[${typeof v}]`;
    else out[k] = v;
  }
  return out;
}

const line = (level: LogLevel) => (obj: object, msg: string) => {
  try {
    post({ type: 'log', level, obj: cloneable(obj), msg });
  } catch {
    post({ type: 'log', level, obj: {}, msg });
  }
};
const logger: DataverseLogger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };

subscribe(dataverseAttempts.name, (message) => post({ type: 'attempt', attempt: message as DataverseAttempt }));

// With a bearer sign-in the main thread's tokens are used: one sign-in per process, one renewal after a 401.
const tokenWaits = new Map<number, { resolve(t: AccessToken): void; reject(e: Error): void }>();
let tokenIds = 0;
let lastToken: string | undefined;
const mainThreadTokens: TokenSource = {
  acquire: (force) => new Promise<AccessToken>((resolve, reject) => {
    tokenIds += 1;
    tokenWaits.set(tokenIds, { resolve, reject });
    post({ type: 'token', id: tokenIds, ...(force && lastToken !== undefined ? { stale: lastToken } : {}) });
  }).then((t) => ((lastToken = t.token), t)),
};

async function connectAs(how: DeliveryConnection): Promise<{ client: DataverseClient }> {
  if (how.kind === 'settings') {
    return connect(how.config, {
      logger,
      ...(data.retry === undefined ? {} : { retry: data.retry }),
      ...(data.env === undefined ? {} : { env: data.env }),
      ...(data.sharedTokens === true ? { tokenSource: mainThreadTokens } : {}),
    });
  }
  const dispatcher = createAgent(how.ca === undefined ? {} : { ca: how.ca });
  const auth = new BearerAuth({ kind: 'static', source: staticTokenSource(how.token), dispatcher, clock: { now: Date.now }, logger, close: () => dispatcher.close() });
  return { client: new DataverseClient({ webApiUrl: how.webApiUrl, auth, logger, ...(data.retry === undefined ? {} : { retry: data.retry }) }) };
}

const connection = connectAs(data.connection);
const transport = connection.then((c) => dataverseTransport(c.client));
// A failed connection is reported once, as `fatal` (below); a write taken meanwhile fails with it.
transport.catch(() => undefined);
connection.then(
  () => post({ type: 'ready' }),
  (err: unknown) => post({ type: 'fatal', message: `the delivery worker could not connect: ${err instanceof Error ? err.message : String(err)}` }),
);

const handle = (request: DeliveryRequest): void => {
  if (request.type === 'batch') {
    for (const r of request.requests) handle(r);
    return;
  }
  if (request.type === 'close') {
    void connection.then((c) => c.client.close()).catch(() => undefined).finally(() => {
      flush();
      port.close();
    });
    return;
  }
  if (request.type === 'token' || request.type === 'token-failed') {
    const wait = tokenWaits.get(request.id);
    tokenWaits.delete(request.id);
    if (request.type === 'token') wait?.resolve({ token: request.token, expiresOnMs: request.expiresOnMs });
    else wait?.reject(fromSent(request.error));
    return;
  }
  transport
    .then((t) => t.deliver(request.write))
    .then(
      (outcome) => post({ type: 'delivered', id: request.id, outcome }),
      (err: unknown) => post({ type: 'failed', id: request.id, error: toSent(err) }),
    );
};

port.on('message', handle);
