// Plays a scenario on the virtual clock through the LineProvider adapter and
// the session recorder: how fixtures/sessions/ are made (`crm-tapi simulate
// scenario FILE --record OUT`), byte for byte the same every time.
import type { ProviderEvent } from '../../src/connector/line-provider.ts';
import { RecordingProvider } from '../../src/connector/recording/recorder.ts';
import type { RecordingSink } from '../../src/connector/recording/sink.ts';
import { VirtualClock } from './clock.ts';
import { SimulatedLineProvider } from './provider.ts';
import type { Scenario, ScenarioError } from './scenario.ts';
import { pbxForScenario, scheduleScenario } from './scenario-runner.ts';

/** The start time written into recordings made on the virtual clock (fixed, so files are reproducible). */
export const VIRTUAL_START = new Date(Date.UTC(2026, 0, 1));

export interface ScenarioPlayback {
  readonly events: ProviderEvent[];
  readonly errors: readonly ScenarioError[];
}

/** Runs `scenario` to its end; events go to `onEvent`, and to `sink` as a recording when given. */
export async function playScenario(scenario: Scenario, sink?: RecordingSink): Promise<ScenarioPlayback> {
  const clock = new VirtualClock();
  const pbx = pbxForScenario(scenario, clock);
  const simulated = new SimulatedLineProvider(pbx);
  const provider = sink === undefined ? simulated : new RecordingProvider(simulated, sink, { now: () => clock.now(), startedAt: () => VIRTUAL_START });
  const events: ProviderEvent[] = [];
  provider.subscribe((event) => events.push(event));
  await provider.open();
  const run = scheduleScenario(pbx, scenario);
  clock.runUntilIdle();
  await provider.close();
  pbx.close();
  return { events, errors: run.errors };
}
