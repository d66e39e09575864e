// The effective settings of one user's line: each empty field of the user line
// record inherits from its site record, then from the default record (manual
// 3.2). Dialing fields go through src/dialing; popup and phone-call options
// are resolved here with the manual's values as the last fallback.
import { parsePhoneTimeFields, type PhoneTimeFields } from '../../dataverse/outbox/records.ts';
import type { LineConfigRecord, LinePopupFields } from '../../dataverse/repositories/index.ts';
import { OPEN_PHONE_CALL, type OpenPhoneCall } from '../../dataverse/schema.ts';
import { effectiveSettings, type DialingError, type EffectiveDialingSettings } from '../../dialing/index.ts';
import type { LineDialingSettings, PopupSettings } from '../../protocol/index.ts';

/** The manual's OutCallLog shows position 1, 30 s and "open phone call" 946410001 (incoming). */
export const POPUP_DEFAULTS = { openOnlyWhenConnected: false, openRecord: false, position: 1, durationSeconds: 30, openPhoneCall: 'incoming' as OpenPhoneCall };

export interface LineSettings {
  /** Undefined when the records' dialing fields are unusable (then `dialingError` says why). */
  dialing?: EffectiveDialingSettings;
  dialingError?: DialingError;
  popup: PopupSettings;
  openPhoneCall: OpenPhoneCall;
  timeFields: PhoneTimeFields;
}

export interface TopRecords {
  default: LineConfigRecord;
  site: LineConfigRecord;
}

/** The site and default records above a user line record (falling back to those found at start). */
export function layersOf(record: LineConfigRecord, byId: ReadonlyMap<string, LineConfigRecord>, top: TopRecords): [LineConfigRecord, LineConfigRecord] {
  const parent = record.parentId === undefined ? undefined : byId.get(record.parentId);
  const site = parent?.kind === 'site' ? parent : top.site;
  const above = site.parentId === undefined ? undefined : byId.get(site.parentId);
  return [above?.kind === 'default' ? above : top.default, site];
}

function pick<K extends keyof LinePopupFields>(key: K, records: readonly LineConfigRecord[]): LinePopupFields[K] | undefined {
  for (const r of records) {
    const v = r.popup[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) return v;
  }
  return undefined;
}

export function lineSettings(record: LineConfigRecord, byId: ReadonlyMap<string, LineConfigRecord>, top: TopRecords): LineSettings {
  const [def, site] = layersOf(record, byId, top);
  const chain = [record, site, def];
  const outcome = effectiveSettings(def.dialing, site.dialing, record.dialing);
  const openPhoneCall = pick('openPhoneCall', chain) ?? POPUP_DEFAULTS.openPhoneCall;
  const popup: PopupSettings = {
    openOnlyWhenConnected: pick('openPhoneCallOnlyWhenConnected', chain) ?? POPUP_DEFAULTS.openOnlyWhenConnected,
    openRecord: pick('openPhoneCallAndRecord', chain) ?? POPUP_DEFAULTS.openRecord,
    position: clamp(pick('popupPosition', chain) ?? POPUP_DEFAULTS.position, 0, 99),
    durationSeconds: clamp(pick('popupDuration', chain) ?? POPUP_DEFAULTS.durationSeconds, 0, 86_400),
    openPhoneCallOption: OPEN_PHONE_CALL[openPhoneCall],
  };
  let timeFields: PhoneTimeFields;
  try {
    timeFields = parsePhoneTimeFields(pick('phoneCallStartEndFields', chain)?.join(','), pick('phoneCallDurationFields', chain)?.join(','));
  } catch {
    // A typo in "Telefon Zeitfelder" must not cost the phone call: the standard fields are used.
    timeFields = parsePhoneTimeFields(undefined, undefined);
  }
  return { ...(outcome.ok ? { dialing: outcome.settings } : { dialingError: outcome.error }), popup, openPhoneCall, timeFields };
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.trunc(n)));
}

/** The wire form of effective dialing settings (welcome message). */
export function wireDialing(s: EffectiveDialingSettings): LineDialingSettings {
  return {
    internationalPrefix: s.internationalPrefix,
    nationalPrefix: s.nationalPrefix,
    countryCode: s.countryCode,
    areaCode: s.areaCode,
    baseNumber: s.baseNumber,
    outsideLinePrefix: s.outsideLinePrefix,
    incomingDirectionCode: s.incomingDirectionCode,
    maxInternalLength: Math.min(20, s.maxInternalLength),
    dialLocalWithoutAreaCode: s.dialLocalWithoutAreaCode,
  };
}
