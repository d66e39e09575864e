import { providerContract } from './contract.ts';
import { simulatorHarness } from './harness.ts';

providerContract('simulated PBX', async () => simulatorHarness());
