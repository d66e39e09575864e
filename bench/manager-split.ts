// bench/manager-split.ts — 10,000 proven clients on this machine (issue 18,
// target 2). The manager runs alone in this process, as in production (the
// bench/lib/stack.ts composition: journal in its worker, outbox at GROUP
// delivering flat out over HTTPS from its delivery worker to a stand-in Web
// API in a third process, bench/lib/webapi.ts); the clients and the connectors live in a child
// process (bench/lib/load-child.ts), so each process holds one end of each
// socket and the 20,000 file descriptors of `ulimit -n` suffice. Clients
// connect paced (--batch at a time, each batch proven before the next).
//
//   npx tsx bench/manager-split.ts [--clients 10000] [--rate 200] [--seconds 10] [--batch 100] [--codec-relay] [--journal-relay]
//                                  [--rounds N] [--ablate journal,outbox] [--deliver https|https-loop|instant] [--event-loop-cpu N] [--quick]
//
// Measured, with the bare relay (bench/lib/relay.ts: the same frames in, the
// same WebSocket messages out, no logic) measured the same way — its clients
// in a child process too — beside it as the floor:
// 1. popup latency (call-state frame written by the connector → `offering`
//    notification decoded by the client, both in the child, on its clock),
//    quiet and while another child process spins on one core (started and
//    killed by its PID) — requirement: p99 < 50 ms under that load;
// 2. one 200-line connector dropping and registering again: the manager's
//    longest event-loop stall from the drop until 2 s after the new
//    registration (which covers the entitlement re-read its line events ask
//    for), beside the longest stall of an equal idle window — requirement
//    ≤ 50 ms; and the welcomes it causes: only the users of that connector's
//    lines may be welcomed again, each at most twice (line away, line back).
// Exit 1 when a requirement is missed at full size (10,000 clients, 200
// popups/s); at smaller sizes (`--quick`, for `npm run bench`) only lost
// popups and needless welcomes fail. --codec-relay also measures, the same way,
// a relay that decodes each frame and encodes each message with the protocol's
// codec (bench/lib/relay.ts; not judged); --journal-relay makes that relay also journal each call event in
// the manager's own SqliteSeqStore and acknowledge it once durable (not judged; a connector left unacknowledged
// below its last event counts as lost).
// --rounds N (default 1) repeats the manager's two runs and the relays', interleaved
// (each manager round on a new stack and new clients), and prints the medians of
// the manager / bare relay p99 ratios: target 1's ratio (issue 18) in production's
// process layout, printed and not judged here (bench/manager.ts judges it). The
// reconnect is measured in the first round; target 2 is judged on the slowest
// round. --ablate leaves parts out as bench/manager.ts --ablate does (never a
// production shape: the requirement is not checked then). --deliver picks the
// outbox's transport as in bench/manager.ts; only `https` (the default, from the
// delivery worker as in production) is judged. --event-loop-cpu N keeps CPU N for the manager's event loop in its
// rounds, as the manager's EventLoopCpu key does: this process's other threads, the load child and the stand-in
// Web API run on the other CPUs. The relays have no such key: their runs have every CPU, as without the option
// (pinned, the bare relay's own p99 rose, which flattered the ratio). The process that keeps a core busy may run
// on any CPU, as another program on the host would.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { unackedCount } from './lib/acks.ts';
import type { ChildReply, ChildRequest } from './lib/load-child.ts';
import { schedule, sleep, watchLoopDelay, type LoopDelay, type Popup } from './lib/popups.ts';
import { ablateArg, deliverArg, eventLoopCpuArg } from './lib/manager-args.ts';
import { withBusyCore } from './lib/busy-core.ts';
import { ackReport, codecRelayLabel, relayJournal, startRelay, type Captured } from './lib/relay.ts';
import { shapeNote, splitOutcome, splitReport, type QuietCpu, type SplitRound, type SplitShape } from './lib/split-report.ts';
import { hostsFor, startStack } from './lib/stack.ts';
import { numberArg, usageError, verdict } from './support.ts';
import { allowedCpus, formatCpuList, keepEventLoopCpu, keepOffEventLoopCpu, threadsOnCpu } from '../src/platform/cpu-affinity.ts';
import { BACKGROUND_CPUS_ENV } from '../src/platform/thread-priority.ts';

/** Each round at 10,000 clients takes about two minutes. */
const MAX_ROUNDS = 15;
const QUICK = process.argv.includes('--quick');
const CLIENTS = numberArg('clients', QUICK ? 400 : 10_000);
const RATE = numberArg('rate', QUICK ? 20 : 200);
const SECONDS = numberArg('seconds', QUICK ? 2 : 10);
const BATCH = numberArg('batch', 100);
const JOURNAL_RELAY = process.argv.includes('--journal-relay');
const CODEC_RELAY = JOURNAL_RELAY || process.argv.includes('--codec-relay');
const CODEC_LABEL = codecRelayLabel(JOURNAL_RELAY);
const ROUNDS = numberArg('rounds', 1);
if (!Number.isInteger(ROUNDS) || ROUNDS > MAX_ROUNDS) usageError(`--rounds must be a whole number from 1 to ${MAX_ROUNDS}; got ${ROUNDS}`);
const ABLATE = ablateArg();
const DELIVER = deliverArg();
const SHAPE: SplitShape = { ablate: ABLATE, deliver: DELIVER, fullSize: CLIENTS >= 10_000 && RATE >= 200 };
const HOSTS = hostsFor(CLIENTS);
const POPUPS = Math.round(RATE * SECONDS);
const keyOf = (p: Popup) => `bench${p.host}.example/${p.callId}`;
// Applied now, before any worker or child process starts (each then goes to the other CPUs), to refuse a CPU
// this process may not use before anything runs; lifted for the relays' runs and applied again for each manager round.
const ALL_CPUS = allowedCpus();
const AFFINITY = process.argv.includes('--event-loop-cpu') ? await keepEventLoopCpu(eventLoopCpuArg()) : undefined;
/** The relays' runs: every thread of this process back on every CPU it may use, and no worker told to move. */
let lifted = false;
function liftEventLoopCpu(): void {
  if (AFFINITY === undefined || ALL_CPUS === undefined || lifted) return;
  lifted = true;
  delete process.env[BACKGROUND_CPUS_ENV];
  execFileSync('taskset', ['-a', '-p', '-c', formatCpuList(ALL_CPUS), String(process.pid)], { stdio: 'ignore' });
}
/** With --event-loop-cpu the busy core's process would inherit the loop's CPU alone: another program may run on any. */
const BUSY_CORE = AFFINITY !== undefined && ALL_CPUS !== undefined ? { cpus: ALL_CPUS } : {};
/** The CPUs the event loop's thread may run on now, for the report. */
let relayLoopCpus = '';
/** The most threads of this process or of a load child found on the loop's CPU (besides the loop) in a round. */
let besideLoop = 0;
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** A child holding the clients and connectors; `ask` sends one request and waits for its reply. */
function loadChild(): { child: ChildProcess; ask: (m: ChildRequest) => Promise<ChildReply> } {
  const child = fork(fileURLToPath(new URL('./lib/load-child.ts', import.meta.url)), [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // Forked from the loop's thread, it starts on the loop's CPU: the clients belong on the others.
  if (child.pid !== undefined) keepOffEventLoopCpu(child.pid);
  const ask = (m: ChildRequest) => new Promise<ChildReply>((resolve, reject) => {
    // Asked to close, the child answers and exits; its exit may be seen before its answer, which once ended a whole run.
    const onExit = (code: number | null) => (m.type === 'close' && code === 0 ? resolve({ type: 'closed' }) : reject(new Error(`load child exited (${code}) during ${m.type}`)));
    child.once('exit', onExit);
    child.once('message', (r: ChildReply) => {
      child.off('exit', onExit);
      if (r.type === 'failed') reject(new Error(`load child: ${r.message}`));
      else resolve(r);
    });
    child.send(m);
  });
  return { child, ask };
}

/** Runs of the manager and of the journal relay that left a connector unacknowledged below its last event. */
const unackedRuns = { manager: 0, journal: 0 };
const unacked = (run: Extract<ChildReply, { type: 'driven' }>) => unackedCount(run.acked, run.lastSeqs) > 0;

const driven = (r: ChildReply) => {
  if (r.type !== 'driven') throw new Error(`expected latencies, got ${r.type}`);
  return r;
};
const fdLimit = execFileSync('sh', ['-c', 'ulimit -n']).toString().trim();

/**
 * The event-loop delay of this process while `fn` runs (ms): how long a ready popup could wait for the loop. The
 * relays' runs carry the same watch (its timer wakes the loop as in the manager's runs), and only the manager's is printed.
 */
async function loopDuring<T>(fn: () => Promise<T>): Promise<T & LoopDelay> {
  const watch = watchLoopDelay();
  const out = await fn();
  return { ...out, ...watch.stop() };
}

// ---------------------------------------------------------------- the manager
const DOWN_MS = 1000;
const SETTLE_MS = 2000;
/**
 * One manager round: a new stack, the clients connected and proven, the popups quiet and with one core
 * busy. The first round also captures what the clients received (for the relays to replay), weighs the
 * idle clients' heap and drops and registers a connector again.
 */
async function managerRound(first: boolean) {
  if (AFFINITY !== undefined && lifted) {
    await keepEventLoopCpu(AFFINITY.loop);
    lifted = false;
  }
  const stack = await startStack({ clients: CLIENTS, outboxSync: 'GROUP', deliver: DELIVER, ablate: ABLATE });
  stack.outbox.start();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const m = loadChild();
  const ready = await m.ask({ type: 'setup', target: 'manager', wsUrl: `ws://127.0.0.1:${stack.wsPort}/`, tcpPort: stack.gatewayPort, clients: CLIENTS, hosts: HOSTS, batch: BATCH });
  if (ready.type !== 'ready') throw new Error('setup failed');
  // Every thread is up now (the workers, the child's): none beside the loop.
  if (AFFINITY !== undefined) besideLoop = Math.max(besideLoop, threadsOnCpu(AFFINITY.loop).beside + (m.child.pid === undefined ? 0 : threadsOnCpu(AFFINITY.loop, m.child.pid).beside));
  gc();
  const heapPerClient = (process.memoryUsage().heapUsed - heapBefore) / CLIENTS;
  // The CPU the quiet run cost: the manager's process (all its threads) and the stand-in Web API's (the server
  // side of the records' HTTPS, Microsoft's in production, here on the same two cores).
  const cpuBefore = process.cpuUsage();
  const sentBefore = await stack.deliveries(false);
  const quiet = await loopDuring(async () => driven(await m.ask({ type: 'drive', rate: RATE, popups: POPUPS, capture: first, acknowledged: true })));
  const managerCpu = process.cpuUsage(cpuBefore);
  const sentAfter = await stack.deliveries(false);
  const cpu: QuietCpu = {
    managerMs: (managerCpu.user + managerCpu.system) / 1000,
    ...(sentBefore === undefined || sentAfter === undefined ? {} : { standInMs: sentAfter.cpuMs - sentBefore.cpuMs, records: sentAfter.created - sentBefore.created }),
  };
  const busy = await withBusyCore(() => loopDuring(async () => driven(await m.ask({ type: 'drive', rate: RATE, popups: POPUPS, capture: false, acknowledged: true }))), BUSY_CORE);
  for (const run of [quiet, busy]) if (unacked(run)) unackedRuns.manager += 1;
  let reconnect: { re: Extract<ChildReply, { type: 'reconnected' }>; stall: number; idle: number } | undefined;
  if (first) {
    // The reconnect, and an idle window of the same length for the noise floor of the loop's delay.
    const idleLoop = monitorEventLoopDelay({ resolution: 1 });
    idleLoop.enable();
    await sleep(DOWN_MS + SETTLE_MS);
    idleLoop.disable();
    const reLoop = monitorEventLoopDelay({ resolution: 1 });
    reLoop.enable();
    const re = await m.ask({ type: 'reconnect', host: 0, downMs: DOWN_MS, settleMs: SETTLE_MS });
    reLoop.disable();
    if (re.type !== 'reconnected') throw new Error('reconnect failed');
    reconnect = { re, stall: reLoop.max / 1e6, idle: idleLoop.max / 1e6 };
  }
  await m.ask({ type: 'close' });
  await stack.stop();
  return { connectMs: ready.connectMs, heapPerClient, quiet, busy, reconnect, cpu };
}

// ---------------------------------------------------------------- the bare relay, measured the same way
const seqs = new Array<number>(HOSTS).fill(0);
const relayPopups = [...schedule(POPUPS, CLIENTS, HOSTS, 0, seqs), ...schedule(POPUPS, CLIENTS, HOSTS, 1, seqs)];
/** A relay (bare, or with the codec) with its clients and connectors in a child: popups quiet, then with one core busy. */
async function relayRuns(codec: boolean, captured: Captured) {
  liftEventLoopCpu();
  relayLoopCpus = formatCpuList(allowedCpus() ?? []);
  const opened = codec && JOURNAL_RELAY ? relayJournal() : undefined;
  try {
    const relay = await startRelay({ hosts: HOSTS, popups: relayPopups, rate: RATE, captured, keyOf, codec, ...(opened === undefined ? {} : { journal: opened.journal }) });
    const r = loadChild();
    await r.ask({ type: 'setup', target: 'relay', wsUrl: relay.wsUrl, tcpPort: relay.tcpPort, clients: CLIENTS, hosts: HOSTS, batch: BATCH });
    while (relay.clients() < CLIENTS || relay.links() < HOSTS) await sleep(10);
    const quietRun = await loopDuring(async () => driven(await r.ask({ type: 'drive', rate: RATE, popups: POPUPS, capture: false, acknowledged: opened !== undefined })));
    const busyRun = await withBusyCore(() => loopDuring(async () => driven(await r.ask({ type: 'drive', rate: RATE, popups: POPUPS, capture: false, acknowledged: opened !== undefined }))), BUSY_CORE);
    if (opened !== undefined) for (const run of [quietRun, busyRun]) if (unacked(run)) unackedRuns.journal += 1;
    await r.ask({ type: 'close' });
    relay.close();
    return { quiet: quietRun.latencies, busy: busyRun.latencies };
  } finally {
    await opened?.close();
  }
}

// ---------------------------------------------------------------- the rounds: manager, bare relay (, codec relay), interleaved
const first = await managerRound(true);
const captured: Captured = new Map(first.quiet.captured);
const reconnect = first.reconnect!;
const rounds: SplitRound[] = [];
for (let i = 0; i < ROUNDS; i += 1) {
  const manager = i === 0 ? first : await managerRound(false);
  const bare = await relayRuns(false, captured);
  const codec = CODEC_RELAY ? await relayRuns(true, captured) : undefined;
  rounds.push({ bare, ...(codec === undefined ? {} : { codec }), manager: { quiet: manager.quiet.latencies, busy: manager.busy.latencies }, loop: { quiet: manager.quiet, busy: manager.busy }, cpu: manager.cpu });
}

// ---------------------------------------------------------------- the figures
console.log(`${CLIENTS} proven clients in a child process (ulimit -n ${fdLimit}), ${HOSTS} connectors of ≤ 200 lines, ${RATE} popups/s for ${SECONDS} s (${POPUPS} popups per run)${ROUNDS > 1 ? `, ${ROUNDS} rounds` : ''}${shapeNote(SHAPE)}`);
if (AFFINITY !== undefined) console.log(`manager's event loop alone on CPU ${AFFINITY.loop}, every other thread, the load child and the stand-in Web API on CPUs ${formatCpuList(AFFINITY.background)} (--event-loop-cpu, as the manager's EventLoopCpu), at most ${besideLoop} other threads on the loop's CPU in a round; the relays' runs on CPUs ${relayLoopCpus} (no such key), the busy core's process on any`);
console.log(`connecting and proving ${CLIENTS} clients, ${BATCH} at a time: ${(first.connectMs / 1000).toFixed(1)} s; manager heap per idle proven client ${(first.heapPerClient / 1024).toFixed(1)} KiB (server end only)`);
const report = splitReport(rounds, POPUPS, CLIENTS === 2000 && RATE === 200, CODEC_LABEL);
for (const line of report.lines) console.log(line);
console.log(ackReport('manager', unackedRuns.manager));
if (JOURNAL_RELAY) console.log(ackReport(CODEC_LABEL, unackedRuns.journal));
const { re, stall } = reconnect;
console.log(`connector of 200 lines dropped ${DOWN_MS} ms and registered again (in ${re.reregisterMs.toFixed(0)} ms): longest event-loop stall ${stall.toFixed(1)} ms (idle window of the same length: ${reconnect.idle.toFixed(1)} ms); ${re.welcomed} clients welcomed again, at most ${re.maxPerClient}× each, ${re.strangers} of them not on that connector`);
const needless = re.strangers > 0 || re.maxPerClient > 2;
const figures = `popup p99 with one core busy ${report.busyWorst.toFixed(1)} ms${ROUNDS > 1 ? ' (the slowest round)' : ''} (< 50), reconnect stall ${stall.toFixed(1)} ms (≤ 50), ${report.lost ? 'popups lost' : 'all popups delivered'}${unackedRuns.manager + unackedRuns.journal > 0 ? ', events not acknowledged' : ''}, ${needless ? 'needless welcomes' : 'only that connector\'s users welcomed again'}`;
verdict(splitOutcome(SHAPE, { lost: report.lost || unackedRuns.manager > 0 || unackedRuns.journal > 0, needless, busyWorst: report.busyWorst, stall }), figures);
