// bench/manager.ts's manager runs: one run of the manager as production composes it (bench/lib/stack.ts)
// with the bench's connectors and clients, its popups driven at the schedule's rate, and everything the
// run's trace reports measured around them. The bare relay's runs are bench/lib/relay.ts.
import type { Socket } from 'node:net';
import { threadsOnCpu } from '../../src/platform/cpu-affinity.ts';
import type { ManagerArgs, ManagerRun } from './manager-args.ts';
import { drive, openClients, sleep, uid, watchBusy, watchCores, watchGc, watchLoopDelay, type Popup } from './popups.ts';
import { profileHooks } from './profiler.ts';
import { capture, type Captured } from './relay.ts';
import { ackedSeq, allAcknowledged, unackedCount } from './acks.ts';
import { connector, linesOfHost, startStack } from './stack.ts';
import { StageWatch } from './stages.ts';
import { TailWatch } from './tail.ts';
import { emptyTrace, timedStore, type Trace } from './trace.ts';

/** What every run of one bench invocation shares. */
export interface ManagerBench {
  readonly args: ManagerArgs;
  readonly hosts: number;
  readonly popups: readonly Popup[];
  /** Each connector host's last seq in the schedule: what its last acknowledgement must say. */
  readonly lastSeq: readonly number[];
  /** The manager's call key of a popup: what its notification carries. */
  readonly keyOf: (p: Popup) => string;
  /** A full collection, before and after the clients connect (the heap per client). */
  readonly gc: () => void;
  /** --profile RUN: each profiled run's main-thread work by part, printed with the busy times. */
  readonly profileReports: string[];
}

export interface ManagerRunResult {
  latencies: number[];
  heapPerClient: number;
  trace: Trace;
}

/**
 * One manager run. `queued`: records are stored, never sent. `flat-out`: the outbox delivers from the start
 * (by --deliver's transport). `backlog`: as flat-out, with --backlog writes waiting; delivery starts with the
 * first call. `captured`: the messages the clients received, for the bare relay to replay.
 */
export async function managerRun(bench: ManagerBench, mode: ManagerRun, captured?: Captured): Promise<ManagerRunResult> {
  const { args, hosts, popups, lastSeq, keyOf, gc, profileReports } = bench;
  const { clients, ablate, holdLockMs } = args;
  const trace = emptyTrace();
  const stack = await startStack({ clients, outboxSync: args.outboxSync, wrapStore: (store) => timedStore(store, trace), ablate, deliver: args.deliver });
  const outbox = stack.outbox;
  if (mode === 'flat-out') outbox.start();
  const sockets: Socket[] = [];
  for (let h = 0; h < hosts; h += 1) sockets.push(await connector(stack.gatewayPort, h, linesOfHost(clients, hosts, h)));
  gc();
  const before = process.memoryUsage().heapUsed;
  const receivers = await openClients(`ws://127.0.0.1:${stack.wsPort}/`, clients, true);
  gc();
  await sleep(200);
  const heapPerClient = (process.memoryUsage().heapUsed - before) / clients;
  if (mode === 'backlog') {
    for (let n = 0; n < args.backlog; n += 1) {
      outbox.enqueue({ id: uid(5, n), kind: 'callLog', entitySet: 'ctapi_calllogs', body: { ctapi_name: `backlog ${n}`, ctapi_number: `+49301234${n}`, ctapi_direction: 1 } });
    }
  }
  Object.assign(trace, { storeCalls: 0, storeMs: 0, storeMax: 0, storeMaxMethod: '', stalls: [], byMethod: new Map() });
  if (mode === 'backlog') outbox.start();
  // Started before the watches and stopped after them: the profiler's own start and stop are not the run's work.
  const profile = args.profile.has(mode) ? profileHooks(`manager-${mode}`, `${mode} run`, popups.length, profileReports, args.profileIntervalUs) : undefined;
  await profile?.start();
  const loopWatch = watchLoopDelay();
  const gcWatch = watchGc();
  const busyWatch = watchBusy();
  const coreWatch = watchCores();
  const batchesBefore = stack.journalBatches();
  trace.walPagesBefore = stack.walPages();
  if (args.tail) trace.tail = new TailWatch();
  if (args.stages) trace.stages = new StageWatch('manager');
  const held = holdLockMs > 0 && !ablate.has('outbox') ? sleep((args.seconds * 1000) / 4).then(() => stack.holdWriteLock(holdLockMs)) : undefined;
  const latencies = await drive(popups, args.rate, receivers, (host, frame) => sockets[host]?.write(frame), keyOf, captured === undefined ? undefined : capture(captured), [trace.tail, trace.stages].filter((w) => w !== undefined), args.callMs, allAcknowledged(sockets, lastSeq));
  const loop = loopWatch.stop();
  trace.stages?.stop();
  await held;
  const busyMs = busyWatch.stop();
  const cores = coreWatch.stop();
  const gcSeen = gcWatch.stop();
  await profile?.stop();
  const measured = { ...trace, byMethod: new Map(trace.byMethod) };
  measured.loopP99 = loop.loopP99;
  measured.loopMax = loop.loopMax;
  measured.pendingAfter = outbox.stats().pending;
  measured.walPages = stack.walPages();
  measured.gc = gcSeen;
  measured.busyMs = busyMs;
  if (cores !== undefined) measured.cores = cores;
  measured.journalBatches = stack.journalBatches() - batchesBefore;
  const delivered = await stack.deliveries(mode !== 'queued');
  if (delivered !== undefined) measured.delivered = delivered;
  // With the run's workers still up: where each may run (a thread left on the loop's CPU would show here).
  if (args.eventLoopCpu !== undefined) measured.placement = threadsOnCpu(args.eventLoopCpu);
  // Every connector's last frame acknowledged by the end (the manager journaled all and said so).
  measured.unacked = unackedCount(sockets.map(ackedSeq), lastSeq);
  for (const r of receivers) r.ws.terminate();
  for (const s of sockets) s.destroy();
  await stack.stop();
  return { latencies, heapPerClient, trace: measured };
}
