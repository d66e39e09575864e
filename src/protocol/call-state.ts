// TAPI call states and call origins as they appear on the wire and in every
// layer above it (LineProvider events, manager routing, browser popups).
// Names follow TAPI's LINECALLSTATE_* and LINECALLORIGIN_* in lower case.

export const CALL_STATES = [
  'offering',
  'accepted',
  'dialtone',
  'dialing',
  'proceeding',
  'ringback',
  'busy',
  'connected',
  'onhold',
  'disconnected',
  'idle',
] as const;
export type CallState = (typeof CALL_STATES)[number];

export const CALL_ORIGINS = ['inbound', 'outbound', 'internal'] as const;
export type CallOrigin = (typeof CALL_ORIGINS)[number];

export function isCallState(value: string): value is CallState {
  return (CALL_STATES as readonly string[]).includes(value);
}

export function isCallOrigin(value: string): value is CallOrigin {
  return (CALL_ORIGINS as readonly string[]).includes(value);
}
