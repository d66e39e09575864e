// The connector service on the tapi provider (real addon, fake TSP driven by
// the simulated PBX) against a manager on a real socket: a REINIT from the
// driver makes the service re-initialise TAPI, and the manager link survives —
// one connection, one registration, every event in sequence.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeTspControl, TapiBinding } from '../../../../src/connector/providers/tapi/binding.ts';
import { FakeManager } from '../../support/fake-manager.ts';
import { fakeTapiBinding, NATIVE_BUILD_TIMEOUT_MS } from '../../../support/native-addon.ts';
import { tapiHarness } from '../../provider-contract/tapi-harness.ts';
import { tapiConnectorService } from './fake-suite.ts';

let binding: TapiBinding & FakeTspControl;
beforeAll(async () => {
  binding = await fakeTapiBinding();
}, NATIVE_BUILD_TIMEOUT_MS);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('connector service on the tapi provider', () => {
  it('REINIT from the driver: the service re-initialises TAPI without losing its link to the manager', async () => {
    const m = await FakeManager.start();
    cleanups.push(() => m.close());
    const h = tapiHarness(binding, { lines: ['20', '21'] });
    cleanups.push(() => h.dispose());
    let reinits = 0;
    const reinitialize = h.provider.reinitialize.bind(h.provider);
    h.provider.reinitialize = async () => {
      reinits++;
      await reinitialize();
    };
    const service = tapiConnectorService(h, m);
    await service.start();
    cleanups.push(() => service.stop());
    await m.waitFor(() => m.of('lines').length === 1, 10_000, 'the line list');

    await h.ringInbound('20', '+49 30 1234567');
    await m.waitFor(() => m.of('callState').some((e) => e.state === 'offering'), 10_000, 'the first call');

    h.pbx.requestReinit('TSP configuration changed');
    await h.settle();
    await m.waitFor(() => reinits === 1 && m.of('callState').some((e) => e.state === 'idle') && m.of('lines').length === 2, 10_000, 're-initialisation');

    await h.ringInbound('21', '+49 30 7654321');
    await m.waitFor(() => m.of('callState').some((e) => e.line.endsWith('21') && e.state === 'offering'), 10_000, 'a call after REINIT');

    expect(m.registrations).toHaveLength(1);
    expect(m.sockets.size).toBe(1);
    expect(m.violations).toEqual([]);
  });
});
