// bench/manager.ts's options, read once from the command line and checked
// (a bad value stops the bench with the option's name before anything runs).
import { numberArg, textArg, usageError } from '../support.ts';
import { ABLATABLE, type Ablated } from './stack.ts';
import { DELIVERIES, type Delivery } from './webapi.ts';

export type ManagerRun = 'queued' | 'flat-out' | 'backlog';

export interface ManagerArgs {
  readonly clients: number;
  /** Popups per second (each an `offering` and its `idle` frame). */
  readonly rate: number;
  readonly seconds: number;
  /**
   * --call-ms N: each call lasts about N ms (0.5–1.5×), its `idle` written between other calls' offerings as
   * call ends arrive; 0 (the default, what the requirement is judged on): right behind its `offering`.
   */
  readonly callMs: number;
  /** Writes waiting in the outbox when the backlog run's calls start (as after a CRM outage). */
  readonly backlog: number;
  /** `GROUP`: production's (FULL's power-cut safety, confirmed off the loop); `FULL`: the old fsync per commit on the loop. */
  readonly outboxSync: 'GROUP' | 'FULL';
  /**
   * The relay and the flat-out run this many times, interleaved; the verdict judges the median of the
   * ratios: the relay's p99 is under a millisecond, so one run's ratio moves by 2× with the host.
   */
  readonly rounds: number;
  /** Another thread holds the outbox's write lock this long (ms) in each manager run: a commit stuck on a stalled disk. 0: not. */
  readonly holdLockMs: number;
  /**
   * Parts left out to show what each costs (bench/lib/stack.ts): `journal` acknowledges at once and journals
   * nothing, `outbox` builds the records and stores none. Not a production shape: the requirement is not checked then.
   */
  readonly ablate: ReadonlySet<Ablated>;
  /**
   * --event-loop-cpu N: the bench process's event loop alone on CPU N and every other thread (the workers, the
   * stand-in Web API's process) on the rest, as the manager's `EventLoopCpu` key does (src/platform/cpu-affinity.ts).
   * The relays run on the same event loop, so they are measured so too.
   */
  readonly eventLoopCpu?: number;
  /** --trace: the outbox's store work on the loop per store method. */
  readonly trace: boolean;
  /** --tail: each run's 30 slowest popups (the relay's first run's too), with what overlapped them (bench/lib/tail.ts). */
  readonly tail: boolean;
  /** --stages: each popup's latency cut in three, per run and for the relay's first run (bench/lib/stages.ts). */
  readonly stages: boolean;
  /**
   * --profile RUN[,RUN…]: a CPU profile of each named run's calls to manager-RUN.cpuprofile (`relay`: the first bare
   * relay's, to relay.cpuprofile; HEAP_PROFILE=1|live: a heap profile too), and its main-thread work by part
   * (bench/lib/profile-split.ts). Empty when not profiling.
   */
  readonly profile: ReadonlySet<ManagerRun | 'relay'>;
  /**
   * --profile-interval US: the profiler's sampling interval (V8's default, 1,000 µs). A short run's small part
   * (the relay's frames at 20 popups: about 1 ms) may get no sample at the default; a finer interval finds it.
   */
  readonly profileIntervalUs: number;
  /**
   * --codec-relay: in every round, after the bare relay, a relay that also decodes each frame and encodes each
   * message with the protocol's codec (bench/lib/relay.ts): how much of the 1.5× the protocol itself takes. Not judged.
   */
  readonly codecRelay: boolean;
  /**
   * --journal-relay: the codec relay (implied) also journals each call event in the manager's own SqliteSeqStore
   * (production's options, its worker thread) and acknowledges it once durable, one `ack` per connection and turn:
   * the floor of a server that speaks the protocol and keeps its acknowledgement promise. Not judged.
   */
  readonly journalRelay: boolean;
  /**
   * --deliver https (the default): the outbox delivers every record with the manager's own Dataverse client over
   * HTTPS to a stand-in Web API in another process (bench/lib/webapi.ts), from its delivery worker as production
   * does; `https-loop`: the same client on the event loop (the manager before the worker); `instant` (what every
   * figure before 2026-12-05 11:00 used): a transport that answers at once, in-process, and no HTTP client runs.
   */
  readonly deliver: Delivery;
}

/** --profile-interval's bounds in µs: finer than 50 the sampling thread is most of the run; coarser than 100 ms says nothing. */
const PROFILE_INTERVAL_US = [50, 100_000] as const;

/** The longest call --call-ms takes (ten minutes): each run writes every call's idle, so a call's length lengthens the run (up to 1.5×). */
export const MAX_CALL_MS = 600_000;

/** --ablate PART[,PART…]: the parts of the stack left out (bench/lib/stack.ts), checked by name. */
export function ablateArg(): ReadonlySet<Ablated> {
  const ablate = new Set<Ablated>();
  const parts = textArg('ablate');
  if (parts !== undefined) {
    for (const part of parts.split(',')) {
      if (!(ABLATABLE as readonly string[]).includes(part)) usageError(`--ablate takes a list of ${ABLATABLE.join(', ')}; got "${part}"`);
      ablate.add(part as Ablated);
    }
  }
  return ablate;
}

/** --deliver https|https-loop|instant (default `https`, production's): how the outbox's records leave. */
export function deliverArg(): Delivery {
  const deliver = textArg('deliver') ?? 'https';
  if (!(DELIVERIES as readonly string[]).includes(deliver)) usageError(`--deliver must be one of ${DELIVERIES.join(', ')}; got "${deliver}"`);
  return deliver as Delivery;
}

/** --event-loop-cpu N: the CPU number, as the manager's EventLoopCpu key takes it (bench/manager-split.ts takes it too). */
export function eventLoopCpuArg(): number {
  const text = textArg('event-loop-cpu') ?? '';
  const cpu = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(cpu <= 8191)) usageError(`--event-loop-cpu must be a CPU number from 0 to 8191, as the manager's EventLoopCpu key; got ${JSON.stringify(text)}`);
  return cpu;
}

export function managerArgs(): ManagerArgs {
  const outboxSync = textArg('outbox') ?? 'GROUP';
  if (outboxSync !== 'GROUP' && outboxSync !== 'FULL') usageError('--outbox must be GROUP or FULL');
  const ablate = ablateArg();
  const profile = new Set<ManagerRun | 'relay'>();
  for (const run of textArg('profile')?.split(',') ?? []) {
    if (run !== 'queued' && run !== 'flat-out' && run !== 'backlog' && run !== 'relay') usageError(`--profile takes a list of queued, flat-out, backlog and relay; got "${run}"`);
    profile.add(run);
  }
  const profileIntervalUs = numberArg('profile-interval', 1000);
  if (!Number.isInteger(profileIntervalUs) || profileIntervalUs < PROFILE_INTERVAL_US[0] || profileIntervalUs > PROFILE_INTERVAL_US[1]) {
    usageError(`--profile-interval must be a whole number of microseconds from ${PROFILE_INTERVAL_US[0]} to ${PROFILE_INTERVAL_US[1]}; got ${profileIntervalUs}`);
  }
  const deliver = deliverArg();
  return {
    clients: numberArg('clients', 2000),
    rate: numberArg('rate', 200),
    seconds: numberArg('seconds', 10),
    callMs: process.argv.includes('--call-ms') ? callMs() : 0,
    backlog: numberArg('backlog', 2000),
    outboxSync,
    rounds: Math.max(1, Math.floor(numberArg('rounds', 1))),
    holdLockMs: process.argv.includes('--hold-lock') ? numberArg('hold-lock', 0) : 0,
    ablate,
    trace: process.argv.includes('--trace'),
    tail: process.argv.includes('--tail'),
    stages: process.argv.includes('--stages'),
    profile,
    profileIntervalUs,
    codecRelay: process.argv.includes('--codec-relay') || process.argv.includes('--journal-relay'),
    journalRelay: process.argv.includes('--journal-relay'),
    deliver,
    ...(process.argv.includes('--event-loop-cpu') ? { eventLoopCpu: eventLoopCpuArg() } : {}),
  };
}

function callMs(): number {
  const ms = numberArg('call-ms', 0);
  if (ms > MAX_CALL_MS) usageError(`--call-ms must be at most ${MAX_CALL_MS} (ten minutes); got ${ms}`);
  return ms;
}
