// Issue 17: the agent's lines show whether they are in service. The welcome
// carries `inService` per line (1.1) from what the connector reports, and a
// change of it (the PBX takes the line out of service, or its connector goes
// away) changes the fingerprint, so the manager sends the welcome again. The
// whole path (simulated PBX → connector → manager → panel) is shown in
// test/browser/panel.browser.test.ts.
import { describe, expect, it } from 'vitest';
import type { LineConfigRecord } from '../../../src/dataverse/repositories/index.ts';
import { linesFingerprint, welcomeLines, type CapabilitiesOf } from '../../../src/manager/clients/welcome.ts';
import { EntitlementTable } from '../../../src/manager/entitlements/table.ts';
import { lineSettings } from '../../../src/manager/entitlements/settings.ts';

const uid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const USER = uid(100);
const DEFAULT: LineConfigRecord = { id: uid(900), kind: 'default', name: 'Standard', dialing: { countryCode: '49', internationalPrefix: '00', nationalPrefix: '0' }, popup: {} };
const SITE: LineConfigRecord = { id: uid(901), kind: 'site', name: 'Standort', parentId: DEFAULT.id, dialing: { maxInternalLength: 3 }, popup: {} };
const line = (i: number, name: string): LineConfigRecord => ({ id: uid(i), kind: 'userLine', name, line: name, parentId: SITE.id, dialing: {}, popup: {}, userId: USER, createdOn: new Date(1_700_000_000_000 + i) });
const records = [DEFAULT, SITE, line(1, 'pbx:21'), line(2, 'pbx:22'), line(3, 'pbx:23')];
const table = new EntitlementTable({ records, shares: [], teamMembers: new Map() });
const byId = new Map(records.map((r) => [r.id, r]));
const settingsOf = (r: LineConfigRecord) => lineSettings(r, byId, { default: DEFAULT, site: SITE });

describe('welcome: each line in service or not', () => {
  it('in service only when the PBX says so and the connector is connected; unknown when no connector reports the line', () => {
    const reported: Record<string, ReturnType<CapabilitiesOf>> = {
      'pbx:21': { inService: true, connectorOnline: true },
      'pbx:22': { inService: false, connectorOnline: true },
    };
    const lines = welcomeLines(USER, table, settingsOf, (l) => reported[l]);
    expect(lines.map((l) => [l.line, l.inService])).toEqual([['pbx:21', true], ['pbx:22', false], ['pbx:23', undefined]]);
    expect(lines[2]).not.toHaveProperty('inService');
    const offline = welcomeLines(USER, table, settingsOf, (l) => (l === 'pbx:21' ? { inService: true, connectorOnline: false } : undefined));
    expect(offline[0]?.inService).toBe(false);
  });

  it('a change of service state changes the fingerprint (a new welcome); the same state does not', () => {
    const state = (inService: boolean, connectorOnline = true): CapabilitiesOf => (l) => (l === 'pbx:21' ? { inService, connectorOnline } : undefined);
    const up = linesFingerprint(USER, table, state(true));
    expect(linesFingerprint(USER, table, state(true))).toBe(up);
    expect(linesFingerprint(USER, table, state(false))).not.toBe(up);
    expect(linesFingerprint(USER, table, state(true, false))).not.toBe(up);
    expect(linesFingerprint(USER, table, state(false))).toBe(linesFingerprint(USER, table, state(true, false)));
  });
});
