// --profile RUN: a CPU profile of one run's calls, written to NAME.cpuprofile (HEAP_PROFILE=1: a sampled
// heap profile to NAME.heapprofile too, every allocation; HEAP_PROFILE=live: what was still live).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { formatSplit, splitProfile, type CpuProfile } from './profile-split.ts';

/** Starts profiling this thread, a sample every `intervalUs`; the returned function stops, writes the files and gives the CPU profile. */
export async function startProfile(name: string, intervalUs: number): Promise<() => Promise<CpuProfile>> {
  const session = new Session();
  session.connect();
  const heap = process.env.HEAP_PROFILE;
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  if (heap) await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMinorGC: heap !== 'live', includeObjectsCollectedByMajorGC: heap !== 'live' } as never);
  return async () => {
    if (heap) writeFileSync(`${name}.heapprofile`, JSON.stringify((await session.post('HeapProfiler.stopSampling')).profile));
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${name}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
    return profile;
  };
}

/** Hooks that profile what runs between them and add its main-thread work by part to `reports`. */
export function profileHooks(name: string, label: string, popups: number, reports: string[], intervalUs: number): { start(): Promise<void>; stop(): Promise<void> } {
  let finish: (() => Promise<CpuProfile>) | undefined;
  return {
    async start() {
      finish = await startProfile(name, intervalUs);
    },
    async stop() {
      if (finish !== undefined) reports.push(formatSplit(label, splitProfile(await finish()), popups));
      finish = undefined;
    },
  };
}
