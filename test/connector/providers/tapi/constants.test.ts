// The provider's TAPI numbers are generated from mingw-w64's tapi.h
// (native/scripts/gen-constants.mjs); the checked-in file must be what the
// header gives today.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate } from '../../../../native/scripts/gen-constants.mjs';
import { LINECALLSTATE, LINEDISCONNECTMODE, LINEERR } from '../../../../src/connector/providers/tapi/tapi-constants.ts';
import { callStateOf, callStateValue, disconnectModeOf, endReasonOf, lineErrorName, providerCodeOf } from '../../../../src/connector/providers/tapi/mapping.ts';
import { CALL_END_REASONS } from '../../../../src/connector/line-provider.ts';
import { CALL_STATES } from '../../../../src/protocol/call-state.ts';

const HEADER = '/usr/share/mingw-w64/include/tapi.h';

describe('TAPI constants and their mapping', () => {
  it.skipIf(!existsSync(HEADER))('tapi-constants.ts is what tapi.h gives', () => {
    const generated = generate(readFileSync(HEADER, 'utf8'));
    expect(readFileSync(new URL('../../../../src/connector/providers/tapi/tapi-constants.ts', import.meta.url), 'utf8')).toBe(generated);
  });

  it('maps every call state and end reason both ways', () => {
    for (const state of CALL_STATES) expect(callStateOf(callStateValue(state))).toBe(state);
    for (const reason of CALL_END_REASONS.filter((r) => r !== 'conferenced')) expect(endReasonOf(disconnectModeOf(reason))).toBe(reason);
    // A call joining a conference is a call state in TAPI (CONFERENCED), not a disconnect mode.
    expect(disconnectModeOf('conferenced')).toBe(LINEDISCONNECTMODE.LINEDISCONNECTMODE_UNKNOWN);
    expect(callStateOf(LINECALLSTATE.LINECALLSTATE_CONFERENCED)).toBe('connected');
    expect(endReasonOf(LINEDISCONNECTMODE.LINEDISCONNECTMODE_BADADDRESS)).toBe('unreachable');
    expect(endReasonOf(LINEDISCONNECTMODE.LINEDISCONNECTMODE_CONGESTION)).toBe('busy');
    expect(endReasonOf(LINEDISCONNECTMODE.LINEDISCONNECTMODE_UNKNOWN)).toBeUndefined();
    expect(callStateOf(LINECALLSTATE.LINECALLSTATE_UNKNOWN)).toBeUndefined();
  });

  it('names LINEERR_* results and maps them to the provider error codes', () => {
    expect(lineErrorName(LINEERR.LINEERR_REINIT)).toBe('LINEERR_REINIT');
    expect(lineErrorName(-1)).toBe('TAPI error -1');
    expect(providerCodeOf(LINEERR.LINEERR_INVALCALLHANDLE)).toBe('no-such-call');
    expect(providerCodeOf(LINEERR.LINEERR_BADDEVICEID)).toBe('unknown-line');
    expect(providerCodeOf(LINEERR.LINEERR_REINIT)).toBe('provider-down');
    expect(providerCodeOf(LINEERR.LINEERR_INVALCALLSTATE)).toBe('invalid-state');
    expect(providerCodeOf(LINEERR.LINEERR_OPERATIONUNAVAIL)).toBe('not-supported');
  });
});
