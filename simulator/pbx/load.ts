// The load generator: external callers arriving as a Poisson process at a
// given rate, ring and talk times drawn from distributions, a share of callers
// who give up while it rings (missed calls), optionally a share of outbound
// calls. Seeded, and scheduled on the PBX's clock: on the virtual clock an
// hour of traffic runs in well under a second, identically every time.
import { LineProviderError } from '../../src/connector/line-provider.ts';
import { CrmTapiError } from '../../src/protocol/errors.ts';
import { DurationError, parseDuration } from './duration.ts';
import type { TimerHandle } from './clock.ts';
import type { SimulatedPbx } from './pbx.ts';
import { pick, randomInt, sample } from './prng.ts';
import type { Distribution, Random } from './prng.ts';

const FREE_LINE_TRIES = 16;

export class LoadError extends CrmTapiError {
  readonly code = 'invalid-load';
}

export interface LoadOptions {
  readonly callsPerSecond: number;
  readonly durationMs: number;
  /** How long a line rings before it answers (or, for a missed call, before the caller gives up). */
  readonly ring: Distribution;
  readonly talk: Distribution;
  /** Share of inbound calls whose caller hangs up while it rings, 0…1. */
  readonly missedShare: number;
  /** Share of all calls placed by a line to an external number, 0…1. */
  readonly outboundShare?: number;
  /** Lines to use (default: every line of the PBX at each arrival). */
  readonly lines?: readonly string[];
  readonly random: Random;
}

export interface LoadStats {
  offered: number;
  answered: number;
  missed: number;
  busy: number;
  outbound: number;
}

export interface LoadRun {
  readonly stats: LoadStats;
  /** Clock time at which the last call arrives (calls then run to their end). */
  readonly arrivalsEndAt: number;
  stop(): void;
}

/**
 * Parses a distribution as scenario files and the CLI write it:
 * `3s` (fixed), `2s..8s` (uniform), `~90s` (exponential with that mean).
 */
export function parseDistribution(text: string): Distribution {
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith('~')) return { kind: 'exponential', meanMs: parseDuration(trimmed.slice(1)), maxMs: 3_600_000 };
    const range = trimmed.split('..');
    if (range.length === 2) {
      const [minMs, maxMs] = [parseDuration(range[0] as string), parseDuration(range[1] as string)];
      if (maxMs < minMs) throw new LoadError(`"${trimmed}": the upper bound is below the lower one`);
      return { kind: 'uniform', minMs, maxMs };
    }
    return { kind: 'fixed', ms: parseDuration(trimmed) };
  } catch (err) {
    if (err instanceof DurationError) throw new LoadError(`"${text.slice(0, 40)}" is not a distribution (3s, 2s..8s or ~90s): ${err.message}`);
    throw err;
  }
}

export function startLoad(pbx: SimulatedPbx, options: LoadOptions): LoadRun {
  const { random } = options;
  if (!(options.callsPerSecond > 0 && options.callsPerSecond <= 100_000)) throw new LoadError('calls per second must be above 0 and at most 100000');
  for (const [name, share] of [['missed share', options.missedShare], ['outbound share', options.outboundShare ?? 0]] as const) {
    if (!(share >= 0 && share <= 1)) throw new LoadError(`${name} must lie between 0 and 1`);
  }
  const clock = pbx.clock;
  const stats: LoadStats = { offered: 0, answered: 0, missed: 0, busy: 0, outbound: 0 };
  const timers = new Set<TimerHandle>();
  const arrivalsEndAt = clock.now() + options.durationMs;
  const meanGapMs = 1000 / options.callsPerSecond;
  let stopped = false;
  let names: string[] | undefined;
  let namesAt = -1;
  // The PBX's line list changes rarely; re-read it once per virtual second, not per call.
  const lineNames = (): string[] => {
    if (names === undefined || clock.now() - namesAt >= 1000) {
      names = pbx.lines().map((line) => line.address);
      namesAt = clock.now();
    }
    return names;
  };

  const later = (delayMs: number, fn: () => void): void => {
    const handle = clock.schedule(delayMs, () => {
      timers.delete(handle);
      if (stopped) return;
      try {
        fn();
      } catch (err) {
        // The call may have ended meanwhile (a restart, a removed line): that is traffic, not a fault.
        if (!(err instanceof LineProviderError)) throw err;
      }
    });
    timers.add(handle);
  };

  // Arrivals follow an ideal timeline: a late timer (a busy event loop on the
  // wall clock) catches up instead of stretching every later gap.
  let nextAt = clock.now();
  const arrive = (): void => {
    while (nextAt <= clock.now() && nextAt <= arrivalsEndAt && !stopped) {
      nextAt += sample(random, { kind: 'exponential', meanMs: meanGapMs });
      try {
        arriveOne();
      } catch (err) {
        if (!(err instanceof LineProviderError)) throw err;
      }
    }
    if (nextAt <= arrivalsEndAt) later(nextAt - clock.now(), arrive);
  };

  const arriveOne = (): void => {
    if (!pbx.isUp()) return;
    const candidates = options.lines ?? lineNames();
    // Like an ACD, callers reach a free line when there is one; a few random tries keep this O(1).
    let line = pick(random, candidates);
    for (let i = 0; i < FREE_LINE_TRIES && line !== undefined && !pbx.isFree(line); i++) line = pick(random, candidates);
    if (line === undefined) return;
    const ringMs = sample(random, options.ring);
    const talkMs = sample(random, options.talk);
    if (random.next() < (options.outboundShare ?? 0)) {
      if (!pbx.isFree(line)) return;
      stats.outbound++;
      const callId = pbx.makeCall(line, externalNumber(random), { kind: 'answer', afterMs: ringMs });
      later(ringMs + talkMs + 500, () => pbx.drop(callId));
      return;
    }
    stats.offered++;
    const from = externalNumber(random);
    const result = pbx.incoming({ number: from }, line);
    if (result.outcome !== 'ringing') {
      stats.busy++;
      return;
    }
    const callId = result.callIds[0] as string;
    if (random.next() < options.missedShare) {
      stats.missed++;
      later(ringMs, () => pbx.remoteHangup(result.session));
      return;
    }
    stats.answered++;
    later(ringMs, () => pbx.answer(callId));
    // Either side may end the conversation.
    later(ringMs + talkMs, () => (random.next() < 0.5 ? pbx.drop(callId) : pbx.remoteHangup(result.session)));
  };

  later(0, arrive);
  return {
    stats,
    arrivalsEndAt,
    stop(): void {
      stopped = true;
      for (const handle of timers) handle.cancel();
      timers.clear();
    },
  };
}

function externalNumber(random: Random): string {
  return `+49 ${randomInt(random, 30, 89)} ${randomInt(random, 1_000_000, 9_999_999)}`;
}
