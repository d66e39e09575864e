// The outbox's deliveries as production makes them (bench/manager.ts --deliver https): the
// manager's own Dataverse client (src/dataverse: bearer token, undici keep-alive agent, TLS,
// retries) and transport, sending each record over HTTPS to a stand-in Web API in a child
// process (webapi-child.ts), from the outbox's delivery worker thread as src/manager/manager.ts
// composes it. `https-loop`: the same client on the event loop, as the manager sent records
// before the worker (what the instant transport had hidden: the HTTP client, TLS and JSON of
// every record on the loop that serves popups).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { keepOffEventLoopCpu } from '../../src/platform/cpu-affinity.ts';
import { BearerAuth, staticTokenSource } from '../../src/dataverse/auth/bearer.ts';
import { DeliveryWorker } from '../../src/dataverse/outbox/delivery-worker.ts';
import { dataverseTransport, type OutboxTransport } from '../../src/dataverse/outbox/transport.ts';
import { DataverseClient } from '../../src/dataverse/web-api/client.ts';
import { createAgent } from '../../src/dataverse/web-api/transport.ts';
import { BENCH_TOKEN, WEB_API_PATH, type WebApiChildReply } from './webapi-protocol.ts';

export type Delivery = 'instant' | 'https' | 'https-loop';
export const DELIVERIES: readonly Delivery[] = ['https', 'https-loop', 'instant'];

export interface WebApi {
  transport: OutboxTransport;
  /** The production Dataverse client on this thread that `https-loop` delivers with (bench/dataverse-batch.ts sends with it). */
  client: DataverseClient;
  /** Records the stand-in answered 204, those it refused, the HTTP requests it took, and its process's CPU time so far (ms, user and system). */
  stats(): Promise<{ created: number; refused: number; requests: number; cpuMs: number }>;
  stop(): Promise<void>;
}

function next<T extends WebApiChildReply['type']>(child: ChildProcess, type: T): Promise<Extract<WebApiChildReply, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WebApiChildReply) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as Extract<WebApiChildReply, { type: T }>);
    };
    const onExit = (code: number | null) => reject(new Error(`the stand-in Web API exited (code ${code}) before it answered ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Starts the stand-in Web API and a production Dataverse client that trusts its certificate. */
export async function startWebApi(on: 'worker' | 'loop'): Promise<WebApi> {
  const child = fork(fileURLToPath(new URL('./webapi-child.ts', import.meta.url)), [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await next(child, 'listening');
  // The stand-in plays a remote service (Dataverse runs on Microsoft's servers): at the lowest priority its own
  // work takes no core the manager wants, as it takes none of a production host's. Lowered once it listens: its
  // start (tsx compiling it) at nice 19 took over a minute on a loaded host (a CI run's parallel suites).
  if (process.platform === 'linux' && child.pid !== undefined) setPriority(child.pid, 19);
  // With --event-loop-cpu it started on the loop's CPU (a fork inherits it): a remote service belongs on the others.
  if (child.pid !== undefined) keepOffEventLoopCpu(child.pid);
  const ca = readFileSync(new URL('../../fixtures/tls/ca.pem', import.meta.url), 'utf8');
  const webApiUrl = `https://127.0.0.1:${port}${WEB_API_PATH}`;
  const dispatcher = createAgent({ ca });
  const auth = new BearerAuth({ kind: 'static', source: staticTokenSource(BENCH_TOKEN), dispatcher, clock: { now: Date.now }, close: () => dispatcher.close() });
  const client = new DataverseClient({ webApiUrl, auth, fetchTimeoutMs: 10_000 });
  const onLoop = dataverseTransport(client);
  const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (_: object, msg: string) => console.error(msg) };
  const worker = on === 'worker' ? new DeliveryWorker({ connection: { kind: 'static-token', webApiUrl, token: BENCH_TOKEN, ca }, logger: silent, fallback: onLoop }) : undefined;
  // Its start (tsx compiling the client's modules in the thread) is kept out of the runs; at nice 10 on a loaded
  // host it lasted seconds and the first records of a short run were still waiting for it at the run's end.
  if (worker !== undefined && !(await worker.ready)) {
    child.kill();
    throw new Error('the delivery worker did not connect to the stand-in Web API');
  }
  return {
    transport: worker ?? onLoop,
    client,
    async stats() {
      const reply = next(child, 'stats');
      child.send({ type: 'stats' });
      const { created, refused, requests, cpuMs } = await reply;
      return { created, refused, requests, cpuMs };
    },
    async stop() {
      await worker?.close();
      await auth.close();
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.disconnect();
        await exited;
      }
    },
  };
}
