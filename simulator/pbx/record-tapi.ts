// Plays a scenario on the virtual clock through the `tapi` line provider: the
// simulated PBX is the switch behind the fake TSP (tsp-feed.ts), the real
// addon reads its TAPI messages, and the session recorder wraps the provider
// exactly as it wraps any other (spec/recording.md). How a Windows user
// records their PBX's TAPI driver, minus Windows: fixtures/sessions/tapi-*.jsonl
// are made this way (scripts/record-tapi-sessions.ts), byte for byte the same
// every time.
import type { ProviderEvent } from '../../src/connector/line-provider.ts';
import type { FakeTspControl, TapiBinding } from '../../src/connector/providers/tapi/binding.ts';
import { TapiLineProvider } from '../../src/connector/providers/tapi/tapi-provider.ts';
import { RecordingProvider } from '../../src/connector/recording/recorder.ts';
import type { RecordingSink } from '../../src/connector/recording/sink.ts';
import { VirtualClock } from './clock.ts';
import { VIRTUAL_START, type ScenarioPlayback } from './record-scenario.ts';
import type { Scenario } from './scenario.ts';
import { pbxForScenario, scheduleScenario } from './scenario-runner.ts';
import { TspFeed } from './tsp-feed.ts';

/** Runs `scenario` to its end through the tapi provider on the fake TSP; recorded to `sink` when given. */
export async function playScenarioThroughTapi(scenario: Scenario, binding: TapiBinding & FakeTspControl, sink?: RecordingSink): Promise<ScenarioPlayback> {
  const clock = new VirtualClock();
  const pbx = pbxForScenario(scenario, clock);
  const feed = new TspFeed(pbx, binding);
  const tapi = new TapiLineProvider({ binding, now: () => clock.now(), callIdSession: '' });
  const provider = sink === undefined ? tapi : new RecordingProvider(tapi, sink, { now: () => clock.now(), startedAt: () => VIRTUAL_START });
  const events: ProviderEvent[] = [];
  provider.subscribe((event) => events.push(event));
  const handled = () => tapi.messagesHandled();
  try {
    await provider.open();
    const run = scheduleScenario(pbx, scenario);
    // Every due time of the PBX is read by the addon and handled by the provider before the clock moves on.
    await feed.runUntilIdle(clock, handled);
    await feed.settle(handled);
    if (feed.refusals.length > 0) throw new Error(`the fake TSP refused: ${feed.refusals.join('; ')}`);
    return { events, errors: run.errors };
  } finally {
    await provider.close();
    feed.close();
    pbx.close();
  }
}
