// Shared by the dialing tests: settings of the five countries the tables use.
import { effectiveSettings, type DialingSettings, type EffectiveDialingSettings } from '../../src/dialing/index.ts';

export function settingsOf(record: DialingSettings): EffectiveDialingSettings {
  const r = effectiveSettings(record);
  if (!r.ok) throw new Error(`test settings are invalid: ${r.error.message}`);
  return r.settings;
}

/** The example company: base 826 in area 34361, extensions of up to 3 digits, outside line 0. */
export const GERMANY = settingsOf({ countryCode: '49', areaCode: '34361', baseNumber: '826', outsideLinePrefix: '0', maxInternalLength: 3 });
/** A company in Vienna: +43 1 53115-xxx. */
export const AUSTRIA = settingsOf({ countryCode: '43', areaCode: '1', baseNumber: '53115', outsideLinePrefix: '0', maxInternalLength: 3 });
/** Zürich, +41 44 668 18 xx; Switzerland dials the area code even locally. */
export const SWITZERLAND = settingsOf({
  countryCode: '41',
  areaCode: '44',
  baseNumber: '668 18',
  outsideLinePrefix: '0',
  maxInternalLength: 2,
  dialLocalWithoutAreaCode: false,
});
/** London, Ofcom's drama range 020 7946 0xxx; outside line 9. */
export const BRITAIN = settingsOf({ countryCode: '44', areaCode: '20', baseNumber: '7946 0', outsideLinePrefix: '9', maxInternalLength: 3, incomingDirectionCode: '9' });
/** New York, DID range 212 555-01xx; outside line 9, international prefix 011 and national prefix 1 from the numbering plan. */
export const USA = settingsOf({ countryCode: '1', areaCode: '212', baseNumber: '55501', outsideLinePrefix: '9', maxInternalLength: 2 });
