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
