// Line configuration records and the effective settings of one, for tests of
// manager parts that take `settingsOf` or an entitlement table: the settings
// come from the production `lineSettings` (default → site → user line record,
// manual 3.2), not from a hand-built LineSettings.
import type { LineConfigRecord, LineDialingFields } from '../../../src/dataverse/repositories/index.ts';
import type { OpenPhoneCall } from '../../../src/dataverse/schema.ts';
import { lineSettings, type LineSettings } from '../../../src/manager/entitlements/settings.ts';

/** A user line record `line` of `userId` (none: a record without a user). */
export function userLineRecord(id: string, line: string, userId?: string, extra: Partial<LineConfigRecord> = {}): LineConfigRecord {
  return { id, kind: 'userLine', name: line, line, dialing: {}, popup: {}, ...(userId === undefined ? {} : { userId }), ...extra };
}

/**
 * The settings of a user line under a German default record (00 / 0 / 49, area code 30, as the manual's example)
 * with `dialing` on top and "Telefonanruf öffnen" set to `openPhoneCall` (absent: the manual's default).
 */
export function lineSettingsFor(o: { dialing?: LineDialingFields; openPhoneCall?: OpenPhoneCall } = {}): LineSettings {
  const def: LineConfigRecord = {
    id: 'default', kind: 'default', name: 'default', popup: o.openPhoneCall === undefined ? {} : { openPhoneCall: o.openPhoneCall },
    dialing: { internationalPrefix: '00', nationalPrefix: '0', countryCode: '49', areaCode: '30', ...o.dialing },
  };
  const site: LineConfigRecord = { id: 'site', kind: 'site', name: 'site', parentId: 'default', dialing: {}, popup: {} };
  const settings = lineSettings(userLineRecord('user', 'pbx:0'), new Map(), { default: def, site });
  if (settings.dialing === undefined) throw new Error(`test dialing settings are invalid: ${settings.dialingError?.message}`);
  return settings;
}
