// The Windows stand-in for test/support/native-addon.ts: under wine the addon
// is the prebuilt Windows binary (native/prebuilds/win32-x64), on the fake
// TSP installed as the prefix's tapi32.dll; nothing is built here.
import { loadTapiBinding } from '../../src/connector/providers/tapi/binding.ts';
import type { FakeTspControl, TapiBinding } from '../../src/connector/providers/tapi/binding.ts';

export const NATIVE_BUILD_TIMEOUT_MS = 60_000;

export async function fakeTapiBinding(): Promise<TapiBinding & FakeTspControl> {
  const binding = loadTapiBinding();
  if (binding.platform !== 'win32') throw new Error(`expected the Windows build of the addon, got ${binding.platform}`);
  if (binding.fakeControl === undefined || binding.fakeHook === undefined) throw new Error('the tapi32.dll in this process is not the fake TSP');
  return binding as TapiBinding & FakeTspControl;
}
