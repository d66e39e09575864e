// The tapi provider on the real addon over the fake TSP, which the simulated
// PBX drives (simulator/pbx/tsp-feed.ts). Time is the PBX's virtual clock; the
// harness settles the fake's queue after each due time, so events carry the
// time they happened at.
import type { FakeTspControl, TapiBinding } from '../../../src/connector/providers/tapi/binding.ts';
import { TapiLineProvider } from '../../../src/connector/providers/tapi/tapi-provider.ts';
import type { TapiProviderOptions } from '../../../src/connector/providers/tapi/tapi-provider.ts';
import { VirtualClock } from '../../../simulator/pbx/clock.ts';
import { SimulatedPbx } from '../../../simulator/pbx/pbx.ts';
import type { PbxOptions } from '../../../simulator/pbx/pbx.ts';
import { TspFeed } from '../../../simulator/pbx/tsp-feed.ts';
import type { ProviderHarness } from './contract.ts';

export interface TapiHarness extends ProviderHarness {
  readonly provider: TapiLineProvider;
  readonly pbx: SimulatedPbx;
  readonly clock: VirtualClock;
  readonly feed: TspFeed;
  settle(): Promise<void>;
}

export function tapiHarness(
  binding: TapiBinding & FakeTspControl,
  pbxOptions: Omit<PbxOptions, 'clock'> = { lines: ['20', '21', { extension: '22', video: true }], huntGroups: { '600': ['21', '22'] } },
  options: Omit<TapiProviderOptions, 'binding' | 'now'> = {},
): TapiHarness {
  const clock = new VirtualClock();
  const pbx = new SimulatedPbx({ clock, ...pbxOptions });
  const feed = new TspFeed(pbx, binding);
  const provider = new TapiLineProvider({ binding, now: () => clock.now(), includeVideo: true, ...options });
  const handled = () => provider.messagesHandled();
  const settle = () => feed.settle(handled);
  return {
    provider,
    pbx,
    clock,
    feed,
    settle,
    ringInbound: async (line, from) => {
      await settle();
      pbx.incoming({ number: from }, line);
      await settle();
    },
    advance: (ms) => feed.advanceTo(clock, clock.now() + ms, handled),
    dispose: async () => {
      await provider.close();
      feed.close();
      pbx.close();
    },
  };
}
