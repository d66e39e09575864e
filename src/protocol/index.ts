// Public API of the protocol layer. Browser-safe: nothing here imports a
// node: module, so the browser client can bundle it.
export * from './call-state.ts';
export * from './messages.ts';
export { ProtocolError, PROTOCOL_ERROR_CODES } from './errors.ts';
export type { ProtocolErrorCode, ProtocolErrorContext } from './errors.ts';
