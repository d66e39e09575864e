// Caller identification once per call (issue 18): every popup of a call and
// its records at call end reuse one normalisation and one directory lookup
// per line record and number; a changed number is identified anew.
import { describe, expect, it } from 'vitest';
import type { DirectoryMatch } from '../../../src/dataverse/directory/directory.ts';
import { effectiveSettings, type EffectiveDialingSettings } from '../../../src/dialing/index.ts';
import type { TrackedCall } from '../../../src/manager/routing/calls.ts';
import { identify, identifyCall } from '../../../src/manager/routing/notification.ts';

const resolved = effectiveSettings({ countryCode: '49', internationalPrefix: '00', nationalPrefix: '0', areaCode: '30' });
if (!resolved.ok) throw resolved.error;
const dialing: EffectiveDialingSettings = resolved.settings;
const match: DirectoryMatch = { entity: 'account', id: '00000000-0000-4000-8000-000000000001', name: 'Contoso', field: 'telephone1', viaFallback: false } as DirectoryMatch;

describe('identifyCall', () => {
  it('looks a call\'s number up once per line record, and again when the number changes', () => {
    const lookups: string[] = [];
    const lookup = (n: string) => {
      lookups.push(n);
      return [match];
    };
    const call = { callKey: 'pbx/1', number: '030 1234567' } as TrackedCall;
    const first = identifyCall(call, 'record-a', dialing, lookup);
    expect(first).toEqual(identify('030 1234567', dialing, () => [match]));
    expect(first).toMatchObject({ e164: '+49301234567', matches: [{ id: match.id }] });
    expect(identifyCall(call, 'record-a', dialing, lookup)).toBe(first);
    expect(lookups).toEqual(['030 1234567']);
    identifyCall(call, 'record-b', dialing, lookup);
    expect(lookups).toHaveLength(2);
    call.number = '030 7654321';
    expect(identifyCall(call, 'record-a', dialing, lookup).e164).toBe('+49307654321');
    expect(lookups).toEqual(['030 1234567', '030 1234567', '030 7654321']);
    // Another call with the same number is its own: nothing is shared between calls.
    identifyCall({ callKey: 'pbx/2', number: '030 1234567' } as TrackedCall, 'record-a', dialing, lookup);
    expect(lookups).toHaveLength(4);
  });
});
