// Harnesses for the providers of this repository: the simulated PBX on a
// virtual clock, and a replay of that same flow recorded from the simulator.
import { SimulatedLineProvider } from '../../../simulator/pbx/provider.ts';
import { SimulatedPbx } from '../../../simulator/pbx/pbx.ts';
import { VirtualClock } from '../../../simulator/pbx/clock.ts';
import { RecordingProvider } from '../../../src/connector/recording/recorder.ts';
import { memorySink } from '../../../src/connector/recording/sink.ts';
import { parseRecording } from '../../../src/connector/recording/format.ts';
import type { Recording } from '../../../src/connector/recording/format.ts';
import { ReplayProvider } from '../../../src/connector/providers/replay.ts';
import { CONTRACT_FLOWS } from './contract.ts';
import type { FlowName, ProviderHarness } from './contract.ts';

export function simulatorHarness(): ProviderHarness & { pbx: SimulatedPbx; clock: VirtualClock } {
  const clock = new VirtualClock();
  const pbx = new SimulatedPbx({ clock, lines: ['20', '21', { extension: '22', video: true }], huntGroups: { '600': ['21', '22'] } });
  const provider = new SimulatedLineProvider(pbx);
  return {
    pbx,
    clock,
    provider,
    ringInbound: async (line, from) => void pbx.incoming({ number: from }, line),
    advance: async (ms) => clock.advance(ms),
    dispose: async () => {
      await provider.close();
      pbx.close();
    },
  };
}

/** Runs one contract flow on the simulator through the recorder and returns the recording's text. */
export async function recordFlow(flow: FlowName): Promise<string> {
  const sim = simulatorHarness();
  const sink = memorySink();
  const recorder = new RecordingProvider(sim.provider, sink, { now: () => sim.clock.now(), startedAt: () => new Date(Date.UTC(2026, 0, 1)) });
  await CONTRACT_FLOWS[flow]({ ...sim, provider: recorder });
  await recorder.close();
  sim.pbx.close();
  return sink.text();
}

export function replayHarness(recording: Recording): ProviderHarness & { replay: ReplayProvider } {
  const replay = new ReplayProvider(recording, { fast: true, commands: 'await' });
  return {
    replay,
    provider: replay,
    ringInbound: async () => undefined,
    advance: () => replay.settled(),
    dispose: () => replay.close(),
  };
}

export async function recordedReplayHarness(flow: FlowName): Promise<ProviderHarness> {
  return replayHarness(parseRecording(await recordFlow(flow)));
}
