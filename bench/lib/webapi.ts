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

type Stats = { created: number; refused: number; requests: number; cpuMs: number };

/** The stand-in Web API's process: its port, and its counts so far. */
interface StandIn {
  port: number;
  child: ChildProcess;
  stats(): Promise<Stats>;
}

async function forkStandIn(isShared: boolean): Promise<StandIn> {
  const child = fork(fileURLToPath(new URL('./webapi-child.ts', import.meta.url)), [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await next(child, 'listening');
  // The stand-in plays a remote service (Dataverse runs on Microsoft's servers): at the lowest priority its own
  // work takes no core the manager wants, as it takes none of a production host's. Lowered once it listens: its
  // start (tsx compiling it) at nice 19 took over a minute on a loaded host (a CI run's parallel suites).
  if (process.platform === 'linux' && child.pid !== undefined) setPriority(child.pid, 19);
  // With --event-loop-cpu it started on the loop's CPU (a fork inherits it): a remote service belongs on the others.
  if (child.pid !== undefined) keepOffEventLoopCpu(child.pid);
  // A shared stand-in lives as long as the bench's process, which must still end by itself: its channel is
  // unref'd, and held only while a `stats` request waits for its answer.
  if (isShared) {
    child.unref();
    child.channel?.unref();
  }
  return {
    port,
    child,
    async stats() {
      const reply = next(child, 'stats');
      child.channel?.ref();
      child.send({ type: 'stats' });
      try {
        const { created, refused, requests, cpuMs } = await reply;
        return { created, refused, requests, cpuMs };
      } finally {
        if (isShared) child.channel?.unref();
      }
    },
  };
}

/**
 * The stand-in shared by a bench process's runs (`startWebApi(on, { shared: true })`): forked at the first
 * run and ended with the bench's process (its IPC channel closes). Its start, tsx compiling it, took about a
 * second of every run; each run still counts only its own records (`stats` from the run's start).
 */
let shared: Promise<StandIn> | undefined;
function sharedStandIn(): Promise<StandIn> {
  shared ??= forkStandIn(true);
  return shared;
}

/** Ends the shared stand-in now (a test's cleanup; a bench leaves it to end with its process). */
export async function closeSharedStandIn(): Promise<void> {
  const standIn = await shared;
  shared = undefined;
  if (standIn === undefined || standIn.child.exitCode !== null) return;
  const exited = once(standIn.child, 'exit');
  standIn.child.disconnect();
  await exited;
}

/**
 * Starts a production Dataverse client that trusts the stand-in Web API's certificate, and the stand-in:
 * its own, ended by `stop`, or (`shared`) the bench process's one, which `stop` leaves running.
 */
export async function startWebApi(on: 'worker' | 'loop', options: { shared?: boolean } = {}): Promise<WebApi> {
  const standIn = options.shared === true ? await sharedStandIn() : await forkStandIn(false);
  const { port, child } = standIn;
  const before = options.shared === true ? await standIn.stats() : { created: 0, refused: 0, requests: 0, cpuMs: 0 };
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
    if (options.shared !== true) child.kill();
    throw new Error('the delivery worker did not connect to the stand-in Web API');
  }
  return {
    transport: worker ?? onLoop,
    client,
    async stats() {
      const now = await standIn.stats();
      return { created: now.created - before.created, refused: now.refused - before.refused, requests: now.requests - before.requests, cpuMs: now.cpuMs - before.cpuMs };
    },
    async stop() {
      await worker?.close();
      await auth.close();
      if (options.shared !== true && child.exitCode === null) {
        const exited = once(child, 'exit');
        child.disconnect();
        await exited;
      }
    },
  };
}
