// A PBX on a virtual clock with an event log, for the simulator's tests.
import type { ProviderEvent } from '../../src/connector/line-provider.ts';
import { VirtualClock } from '../../simulator/pbx/clock.ts';
import { SimulatedPbx } from '../../simulator/pbx/pbx.ts';
import type { PbxOptions } from '../../simulator/pbx/pbx.ts';

export type CallEvent = Extract<ProviderEvent, { type: 'call' }>;

export function virtualPbx(options: Omit<PbxOptions, 'clock'> = {}) {
  const clock = new VirtualClock();
  const pbx = new SimulatedPbx({ clock, lines: ['20', '21', '22', '23', '24', '25'], ...options });
  const events: ProviderEvent[] = [];
  pbx.subscribe((event) => events.push(event));
  const calls = (callId?: string): CallEvent[] =>
    events.filter((e): e is CallEvent => e.type === 'call' && (callId === undefined || e.callId === callId));
  const states = (callId: string): string[] => calls(callId).map((e) => e.state);
  return { clock, pbx, events, calls, states };
}
