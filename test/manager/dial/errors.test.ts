// What a client is told when the connector side refused a dial or a call
// control: each failure code of the gateway and of the connector maps to a
// stable code the client can act on (docs/manager-clients.md), with a
// sentence naming the line. Every mapping but one went unseen by the dial
// and gateway tests when broken by hand.
import { describe, expect, it } from 'vitest';
import { DIAL_ERROR_CODES, fromConnector, wireError } from '../../../src/manager/dial/errors.ts';

const LINE = 'pbx:21';

describe('connector failures as the client sees them', () => {
  it.each([
    ['connector-offline', 'connector-offline', 'line pbx:21 is not available: its connector is not connected'],
    ['unknown-line', 'connector-offline', 'line pbx:21 is not available: its connector is not connected'],
    ['command-timeout', 'command-timeout', 'the connector of line pbx:21 did not answer in time'],
    ['shutting-down', 'shutting-down', 'the manager is shutting down'],
    ['unknown-call', 'unknown-call', 'the telephone system no longer knows this call'],
    ['no-such-call', 'unknown-call', 'the telephone system no longer knows this call'],
    ['not-supported', 'control-not-supported', 'the telephone system of line pbx:21 does not offer this: hold is not supported'],
    ['invalid-state', 'pbx-refused', 'the telephone system refused: hold is not supported (invalid-state)'],
    ['reject-disabled', 'pbx-refused', 'the telephone system refused: hold is not supported (reject-disabled)'],
  ])('%s becomes %s', (code, expected, message) => {
    const error = fromConnector({ code, message: 'hold is not supported' }, LINE);
    expect(error).toEqual({ code: expected, message });
    expect(DIAL_ERROR_CODES).toContain(error.code);
  });

  it('cuts a connector\'s long message to what the wire carries (1,024 characters)', () => {
    expect(fromConnector({ code: 'invalid-state', message: 'x'.repeat(5_000) }, LINE).message).toHaveLength(1024);
    expect(wireError('pbx-refused', 'y'.repeat(2_000)).message).toHaveLength(1024);
  });
});
