// Public face of the dialing rules (issue 4): settings inheritance, click to
// dial string, caller number to E.164, CRM number normalisation and matching.
// Pure: no I/O, no clocks. Ordinary bad numbers come back as
// `{ ok: false, error: DialingError }`; nothing here throws for bad data.
export { DialingError, DIALING_ERROR_CODES } from './errors.ts';
export type { DialingErrorCode } from './errors.ts';
export type {
  DialingSettings,
  DialingSettingsLayers,
  EffectiveDialingSettings,
  NormalizedNumber,
  DialString,
  Failure,
  Outcome,
  SettingsOutcome,
} from './types.ts';
export { effectiveSettings, effectiveSettingsOf, inheritedValue, isSet, DIALING_SETTING_FIELDS } from './settings.ts';
export type { DialingSettingField } from './settings.ts';
export { toDialString } from './outgoing.ts';
export { normalizeIncoming, normalizeCrmNumber } from './normalize.ts';
export { matchKeys, directoryKey } from './matching.ts';
export { companyExtension, companyNumberOf, companyPrefix } from './company.ts';
export { dialingSettingsSchema, dialingSettingsLayersSchema, isLayered } from './schema.ts';
