// Every scenario of fixtures/scenarios/ played twice on the simulated PBX: once
// through the `simulator` provider, once through the fake TSP and the real
// addon to the `tapi` provider. Both must report the same events at the same
// times, up to ids (call ids and permanent line ids are each provider's own)
// and the free-text reasons of reinitRequired / providerDown.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProviderEvent } from '../../../../src/connector/line-provider.ts';
import type { FakeTspControl, TapiBinding } from '../../../../src/connector/providers/tapi/binding.ts';
import { TapiLineProvider } from '../../../../src/connector/providers/tapi/tapi-provider.ts';
import { VirtualClock } from '../../../../simulator/pbx/clock.ts';
import { SimulatedLineProvider } from '../../../../simulator/pbx/provider.ts';
import { parseScenario } from '../../../../simulator/pbx/scenario.ts';
import type { Scenario } from '../../../../simulator/pbx/scenario.ts';
import { pbxForScenario, scheduleScenario } from '../../../../simulator/pbx/scenario-runner.ts';
import { TspFeed } from '../../../../simulator/pbx/tsp-feed.ts';
import { fakeTapiBinding, NATIVE_BUILD_TIMEOUT_MS } from '../../../support/native-addon.ts';
import { normalise } from './normalise.ts';

const DIR = join(import.meta.dirname, '../../../../fixtures/scenarios');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

let binding: TapiBinding & FakeTspControl;
beforeAll(async () => {
  binding = await fakeTapiBinding();
}, NATIVE_BUILD_TIMEOUT_MS);

async function throughSimulator(scenario: Scenario): Promise<ProviderEvent[]> {
  const clock = new VirtualClock();
  const pbx = pbxForScenario(scenario, clock);
  const provider = new SimulatedLineProvider(pbx);
  const events: ProviderEvent[] = [];
  provider.subscribe((e) => events.push(e));
  await provider.open();
  const run = scheduleScenario(pbx, scenario);
  clock.runUntilIdle();
  expect(run.errors.map((e) => e.message)).toEqual([]);
  await provider.close();
  pbx.close();
  return events;
}

async function throughTapi(scenario: Scenario): Promise<ProviderEvent[]> {
  const clock = new VirtualClock();
  const pbx = pbxForScenario(scenario, clock);
  const feed = new TspFeed(pbx, binding);
  const provider = new TapiLineProvider({ binding, now: () => clock.now() });
  const events: ProviderEvent[] = [];
  provider.subscribe((e) => events.push(e));
  try {
    await provider.open();
    const run = scheduleScenario(pbx, scenario);
    await feed.runUntilIdle(clock, () => provider.messagesHandled());
    expect(run.errors.map((e) => e.message)).toEqual([]);
    expect(feed.refusals).toEqual([]);
  } finally {
    await provider.close();
    feed.close();
    pbx.close();
  }
  return events;
}

describe('differential: every scenario through the simulator provider and through the tapi provider on the fake TSP', () => {
  it('has scenarios to play', () => expect(FILES.length).toBeGreaterThan(10));

  for (const file of FILES) {
    it(file, async () => {
      const scenario = parseScenario(readFileSync(join(DIR, file), 'utf8'), file);
      const expected = normalise(await throughSimulator(scenario));
      const actual = normalise(await throughTapi(scenario));
      expect(expected.length).toBeGreaterThan(0);
      expect(actual).toEqual(expected);
    });
  }
});
