// The native addon's typed surface (native/src/*.cc) and its loader. The addon
// only translates TAPI structures to plain objects and LONG results to
// numbers; naming, mapping and state live in TypeScript (tapi-provider.ts).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../../config/package-root.ts';
import { LineProviderError } from '../../line-provider.ts';

export interface TapiPartyId {
  readonly flags: number;
  readonly number: string;
  readonly name: string;
}

/** LINECALLINFO as the addon reads it (lineGetCallInfoW), strings in UTF-8. */
export interface TapiCallInfo {
  readonly callId: number;
  readonly relatedCallId: number;
  readonly origin: number;
  readonly reason: number;
  readonly lineDeviceId: number;
  readonly mediaMode: number;
  readonly caller: TapiPartyId;
  readonly called: TapiPartyId;
  readonly connected: TapiPartyId;
  readonly redirecting: TapiPartyId;
}

/** One LINEMESSAGE from lineGetMessage, with the call's details read right after it (LINE_CALLSTATE, LINE_CALLINFO). */
export interface TapiMessage {
  readonly hDevice: number;
  readonly message: number;
  /** The callback instance given to lineOpen: the addon passes the device id. */
  readonly instance: number;
  readonly param1: number;
  readonly param2: number;
  readonly param3: number;
  /** LINE_REPLY: the request's result (0 or a LINEERR_* value). */
  readonly result?: number;
  readonly info?: TapiCallInfo;
  readonly infoResult?: number;
  /** LINE_REPLY of lineMakeCall, lineSetupTransfer or a conference's lineCompleteTransfer: the new call's handle. */
  readonly hCall?: number;
}

export interface TapiDevCaps {
  readonly name: string;
  readonly providerInfo: string;
  readonly switchInfo: string;
  readonly permanentLineId: number;
  readonly mediaModes: number;
  readonly numAddresses: number;
  readonly lineStates: number;
}

/** One lineInitializeExW … lineShutdown. Methods throw an Error with `tapiFunction` and `tapiResult`. */
export interface TapiSession {
  numDevs(): number;
  apiVersion(): number;
  negotiate(device: number, low: number, high: number): number;
  devCaps(device: number, apiVersion: number): TapiDevCaps;
  /** LINEADDRESSCAPS: the address, dwCallInfoStates, dwCallFeatures (LINECALLFEATURE_* bits) and dwTransferModes (LINETRANSFERMODE_*). */
  addressCaps(
    device: number,
    address: number,
    apiVersion: number,
  ): { readonly address: string; readonly callInfoStates: number; readonly callFeatures: number; readonly transferModes: number };
  open(device: number, apiVersion: number, privileges: number, mediaModes: number): number;
  close(hLine: number): void;
  callInfo(hCall: number): TapiCallInfo;
  /** The request id; the call handle arrives with its LINE_REPLY. */
  makeCall(hLine: number, destination: string): number;
  answer(hCall: number): number;
  drop(hCall: number): number;
  /** lineHold, lineUnhold, lineBlindTransferW: request ids settled by LINE_REPLY. */
  hold(hCall: number): number;
  unhold(hCall: number): number;
  blindTransfer(hCall: number, destination: string): number;
  /** lineSetupTransferW: the consultation call's handle arrives with the LINE_REPLY (`hCall`). */
  setupTransfer(hCall: number): number;
  /** lineDialW on a call with a dial tone (the consultation call). */
  dial(hCall: number, destination: string): number;
  /** lineCompleteTransfer; with LINETRANSFERMODE_CONFERENCE the conference call's handle arrives with the LINE_REPLY. */
  completeTransfer(hCall: number, hConsultCall: number, mode: number): number;
  deallocate(hCall: number): void;
  /** lineShutdown and the reader thread's end; idempotent. */
  shutdown(): void;
  stats(): { readonly delivered: number };
}

export interface FakeTspControl {
  fakeControl(command: string): { readonly result: number; readonly reply: string };
  fakeHook(listener: ((request: string) => void) | null): void;
}

export interface TapiBinding {
  readonly Session: new (appName: string, apiVersion: number, onMessage: (message: TapiMessage) => void) => TapiSession;
  /** `win32` for the Windows build, `fake` for the Linux build on the fake TSP. */
  readonly platform: string;
  /** Present only when the tapi32 in this process is the fake TSP (native/fake). */
  readonly fakeControl?: FakeTspControl['fakeControl'];
  readonly fakeHook?: FakeTspControl['fakeHook'];
}

export const TAPI_UNAVAILABLE = 'the tapi provider needs Windows (or the fake TSP for tests); use simulator, replay or sip';

/**
 * native/ at the package root (beside src/ in a checkout, beside dist/ in an installed package):
 * node-gyp-build finds build/Release (a local build) or prebuilds/<platform>-<arch>.
 */
export const NATIVE_DIR = join(packageRoot(), 'native');

let cached: TapiBinding | undefined;

/**
 * Loads the addon once. Fails with `provider-down` and the sentence operators
 * see when it is not built or cannot load here (for example on Linux without
 * `npm run build:native`, or a Windows build on another system).
 */
export function loadTapiBinding(dir = NATIVE_DIR): TapiBinding {
  if (cached !== undefined && dir === NATIVE_DIR) return cached;
  const require = createRequire(import.meta.url);
  let binding: TapiBinding;
  try {
    const load = require('node-gyp-build') as (dir: string) => TapiBinding;
    binding = load(dir);
  } catch (err) {
    throw new LineProviderError('provider-down', `${TAPI_UNAVAILABLE} (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`, { cause: err });
  }
  if (process.platform !== 'win32' && binding.fakeControl === undefined) {
    throw new LineProviderError('provider-down', TAPI_UNAVAILABLE);
  }
  if (dir === NATIVE_DIR) cached = binding;
  return binding;
}
