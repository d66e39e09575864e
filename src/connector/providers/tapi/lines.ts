// Opening one TAPI line device: version negotiation, the caps structures, the
// name the connector reports, lineOpen with owner and monitor privileges.
import type { CallControl, LineInfo } from '../../line-provider.ts';
import type { TapiSession } from './binding.ts';
import { controlsOf, mediaModeBits, mediaModesOf } from './mapping.ts';
import { LINECALLPRIVILEGE } from './tapi-constants.ts';

/** TAPI 1.4 … 2.2: LINE_APPNEWCALL, dwCallID and dwRelatedCallID need 2.0; older TSPs still open. */
export const API_LOW = 0x00010004;
export const API_HIGH = 0x00020002;

export interface TapiTrace {
  readonly what: string;
  readonly [key: string]: unknown;
}

export interface LineEntry {
  info: LineInfo;
  readonly device: number;
  /** The negotiated API version: the caps are read again with it when they change. */
  readonly api: number;
  hLine: number;
  closed: boolean;
}

/** The controls of address 0 as its caps say now (LINEADDRESSCAPS dwCallFeatures and dwTransferModes). */
export function readControls(session: TapiSession, device: number, api: number): CallControl[] {
  const caps = session.addressCaps(device, 0, api);
  return controlsOf(caps.callFeatures, caps.transferModes);
}

/**
 * Negotiates, reads and opens one device. A device the connector cannot use
 * (no voice — or video when allowed —, no name, a name already taken, a TAPI
 * error) is traced and left out.
 */
export function openDevice(
  session: TapiSession,
  device: number,
  includeVideo: boolean,
  taken: ReadonlyMap<string, unknown>,
  trace: (record: TapiTrace) => void,
): LineEntry | undefined {
  try {
    const api = session.negotiate(device, API_LOW, API_HIGH);
    const caps = session.devCaps(device, api);
    const addressCaps = caps.numAddresses > 0 ? session.addressCaps(device, 0, api) : undefined;
    const address = addressCaps?.address ?? '';
    const mediaModes = mediaModesOf(caps.mediaModes, includeVideo);
    // The address is the extension the PBX numbers the line with; the line name is a driver's label.
    const name = address !== '' ? address : caps.name;
    if (mediaModes.length === 0 || name === '' || taken.has(name)) {
      trace({ what: 'device skipped', device, name, mediaModes: caps.mediaModes });
      return undefined;
    }
    const privileges = LINECALLPRIVILEGE.LINECALLPRIVILEGE_OWNER | LINECALLPRIVILEGE.LINECALLPRIVILEGE_MONITOR;
    const hLine = session.open(device, api, privileges, mediaModeBits(mediaModes));
    // Only what the address's caps allow; a driver that reports no call features gets no control buttons.
    const controls = controlsOf(addressCaps?.callFeatures ?? 0, addressCaps?.transferModes ?? 0);
    const info: LineInfo = { name, address: address !== '' ? address : name, permanentId: String(caps.permanentLineId), mediaModes, inService: true, controls };
    trace({ what: 'line opened', device, api, hLine, line: name, permanentId: info.permanentId, provider: caps.providerInfo, controls });
    return { info, device, api, hLine, closed: false };
  } catch (err) {
    trace({ what: 'device not opened', device, error: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
}
