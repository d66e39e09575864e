import { providerContract } from './contract.ts';
import { recordedReplayHarness } from './harness.ts';

// Each flow is first run on the simulator through the recorder; the replay of
// that recording must then pass the very same flow.
providerContract('replay of a recorded simulator session', recordedReplayHarness);
