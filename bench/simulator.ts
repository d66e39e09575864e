// Benchmark: call events per second the simulated PBX generates under the
// load generator, on the virtual clock (as fast as the CPU allows) and on the
// wall clock (real timers, as a load test would drive the connector), each
// beside a baseline measured in the same run: a loop that only allocates
// equivalent event objects and hands them to a listener.
//
//   npx tsx bench/simulator.ts
//
// Requirement (issue 3; exit 1 when missed): the load generator drives at
// least 1,000 call events/s, on the virtual clock and on the wall clock.
// Checked at every run (the sizes are fixed, `--quick` included).
import { performance } from 'node:perf_hooks';
import type { ProviderEvent } from '../src/connector/line-provider.ts';
import { VirtualClock, WallClock } from '../simulator/pbx/clock.ts';
import type { Clock } from '../simulator/pbx/clock.ts';
import { parseLineSpec } from '../simulator/pbx/lines.ts';
import { parseDistribution, startLoad } from '../simulator/pbx/load.ts';
import { SimulatedPbx } from '../simulator/pbx/pbx.ts';
import { SimulatedLineProvider } from '../simulator/pbx/provider.ts';
import { seededRandom } from '../simulator/pbx/prng.ts';
import { verdict } from './support.ts';

const LINES = parseLineSpec('1000-2999');
// Offered traffic stays below the line count (rate × (ring + talk) < 2000 Erlang), so calls are not lost to busy lines.
const VIRTUAL_RATE = 100;
const WALL_RATE = 600;

function baseline(count: number): number {
  let sink = 0;
  const listener = (event: ProviderEvent): void => {
    sink += event.at;
  };
  const states = ['offering', 'connected', 'disconnected', 'idle'] as const;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    listener({
      type: 'call',
      at: i,
      callId: `c${i >> 2}`,
      line: LINES[i % LINES.length] as string,
      state: states[i & 3] as (typeof states)[number],
      origin: 'inbound',
      caller: { number: '+49 30 1234567' },
      called: { number: '25' },
    });
  }
  const seconds = (performance.now() - started) / 1000;
  if (sink < 0) console.log(sink);
  return count / seconds;
}

/** Runs the load generator on `clock` and counts the events a LineProvider consumer receives. */
function setUp(clock: Clock, callsPerSecond: number, durationMs: number, ring: string, talk: string) {
  const pbx = new SimulatedPbx({ clock, lines: LINES });
  const provider = new SimulatedLineProvider(pbx);
  let events = 0;
  provider.subscribe(() => void events++);
  void provider.open();
  const load = startLoad(pbx, {
    callsPerSecond,
    durationMs,
    ring: parseDistribution(ring),
    talk: parseDistribution(talk),
    missedShare: 0.2,
    outboundShare: 0.1,
    random: seededRandom(42),
  });
  return { pbx, load, count: () => events };
}

function virtual(): { perSecond: number; events: number; virtualSeconds: number } {
  const clock = new VirtualClock();
  const durationMs = 600_000;
  const run = setUp(clock, VIRTUAL_RATE, durationMs, '1s..5s', '~10s');
  const started = performance.now();
  clock.runUntilIdle();
  const seconds = (performance.now() - started) / 1000;
  run.pbx.close();
  return { perSecond: run.count() / seconds, events: run.count(), virtualSeconds: clock.now() / 1000 };
}

async function wall(): Promise<{ perSecond: number; events: number; seconds: number }> {
  const clock = new WallClock();
  const durationMs = 3000;
  const run = setUp(clock, WALL_RATE, durationMs, '100ms..600ms', '~500ms');
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const events = run.count();
  const seconds = (performance.now() - started) / 1000;
  run.load.stop();
  run.pbx.close();
  clock.cancelAll();
  return { perSecond: events / seconds, events, seconds };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

baseline(200_000); // warm-up
const base = baseline(2_000_000);
const v = virtual();
const w = await wall();
console.log(`baseline (allocate + deliver equivalent event objects): ${fmt(base)} events/s`);
console.log(
  `virtual clock: ${fmt(v.perSecond)} events/s (${fmt(v.events)} events, ${fmt(v.virtualSeconds)} s of traffic at ${VIRTUAL_RATE} calls/s on ${LINES.length} lines) = ${(v.perSecond / base).toFixed(3)} × baseline`,
);
console.log(
  `wall clock:    ${fmt(w.perSecond)} events/s (${fmt(w.events)} events in ${w.seconds.toFixed(2)} s at ${WALL_RATE} calls/s) = ${(w.perSecond / base).toFixed(4)} × baseline`,
);
const floor = 1000;
verdict(v.perSecond >= floor && w.perSecond >= floor, `${fmt(v.perSecond)} events/s on the virtual clock, ${fmt(w.perSecond)} on the wall clock (both ≥ ${fmt(floor)})`);
