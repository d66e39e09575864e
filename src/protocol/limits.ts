// Wire limits in one place (spec/protocol.md "Limits"). Each is a default a
// caller may lower; none may be raised past what the wire format can carry.

/** The 2-byte big-endian length prefix can express at most this many payload bytes. */
export const MAX_FRAME_LENGTH = 65_535;

/** Bytes of the length prefix in front of every TCP frame. */
export const FRAME_HEADER_LENGTH = 2;

export interface XmlLimits {
  /** UTF-8 bytes of one XML document (a frame payload or a WebSocket text message). */
  maxDocumentBytes: number;
  /** Element nesting; our deepest message needs 5, the slack is for unknown extensions. */
  maxDepth: number;
  /** Elements in one document; bounds work on documents full of tiny elements. */
  maxElements: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxDocumentBytes: MAX_FRAME_LENGTH,
  maxDepth: 32,
  maxElements: 10_000,
};

/** The XML declaration every encoded message starts with, as in the manual's trace. */
export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';

/** Root element of every message (the envelope). */
export const ENVELOPE_ELEMENT = 'tapiaction';
