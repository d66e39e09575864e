import { beforeAll } from 'vitest';
import type { FakeTspControl, TapiBinding } from '../../../src/connector/providers/tapi/binding.ts';
import { fakeTapiBinding, NATIVE_BUILD_TIMEOUT_MS } from '../../support/native-addon.ts';
import { providerContract } from './contract.ts';
import { tapiHarness } from './tapi-harness.ts';

let binding: TapiBinding & FakeTspControl;
beforeAll(async () => {
  binding = await fakeTapiBinding();
}, NATIVE_BUILD_TIMEOUT_MS);

providerContract('tapi provider on the native addon over the fake TSP', async () => tapiHarness(binding));

// The call-control flows check against each line's reported controls: also a
// driver whose first line's caps offer no call features, and one offering hold only.
const lines = (first: { extension: string; controls: [] | ['hold'] }) => ({ lines: [first, '21', { extension: '22', video: true }], huntGroups: { '600': ['21', '22'] } });
providerContract('tapi provider, a line without call features', async () => tapiHarness(binding, lines({ extension: '20', controls: [] })));
providerContract('tapi provider, a line offering hold but no transfer', async () => tapiHarness(binding, lines({ extension: '20', controls: ['hold'] })));
