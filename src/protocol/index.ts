// Public API of the protocol layer. Browser-safe: nothing here imports a
// node: module, so the browser client can bundle it.
export * from './call-state.ts';
export * from './messages.ts';
export { ProtocolError, PROTOCOL_ERROR_CODES } from './errors.ts';
export type { ProtocolErrorCode, ProtocolErrorContext } from './errors.ts';
export { FrameDecoder, encodeFrame, decodeUtf8, encodeUtf8 } from './frame.ts';
export type { FrameDecoderOptions } from './frame.ts';
export { decodeMessage, decodePayload, redactMessage } from './codec.ts';
export { encodeMessage, encodeMessageFrame } from './encode.ts';
export type { DecodeOptions } from './codec.ts';
export { commandsOf } from './catalogue.ts';
export { normalizeGuid, isTimestamp } from './fields.ts';
export { carryableText } from './edge-text.ts';
export { MAX_FRAME_LENGTH, DEFAULT_XML_LIMITS, XML_DECLARATION } from './limits.ts';
export type { XmlLimits } from './limits.ts';
export { runVector, vectorProblem, bytesToHex } from './vectors.ts';
export type { Vector, VectorOutcome } from './vectors.ts';
