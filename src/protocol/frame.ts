// TCP framing: each frame is a 2-byte big-endian payload length followed by
// that many bytes of UTF-8 XML. Evidence: the manual's client trace prints
// its send buffer as `1 78 60 63 …` (length 1*256+78 = 334, then `<?`) and
// reports 336 bytes sent (334 + the 2-byte prefix).
import { ProtocolError } from './errors.ts';
import { FRAME_HEADER_LENGTH, MAX_FRAME_LENGTH } from './limits.ts';

export interface FrameDecoderOptions {
  /** Largest payload accepted, 1..65,535 (default 65,535). */
  maxFrameLength?: number;
}

function checkMaxFrameLength(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_FRAME_LENGTH) {
    throw new ProtocolError('invalid-field', `maxFrameLength must be an integer from 1 to ${MAX_FRAME_LENGTH}, got ${String(value)}`, {
      field: 'maxFrameLength',
    });
  }
  return value;
}

/**
 * Splits a byte stream into frame payloads, whatever the chunking. Holds at
 * most one frame's bytes. A declared length over the limit is refused as soon
 * as the two length bytes are seen, before any payload is buffered; after that
 * the stream cannot be resynchronised, so the decoder stays failed.
 */
export class FrameDecoder {
  readonly maxFrameLength: number;
  private header = 0;
  private headerBytes = 0;
  private payload: Uint8Array | undefined;
  private filled = 0;
  private failure: ProtocolError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameLength = checkMaxFrameLength(options.maxFrameLength ?? MAX_FRAME_LENGTH);
  }

  /** Bytes held for the frame in progress (0 between frames). */
  get bufferedBytes(): number {
    return this.headerBytes + this.filled;
  }

  /**
   * True between the first byte of a frame and its last (also when the length
   * prefix is complete but no payload byte came yet, where bufferedBytes is 0):
   * what a transport needs to put a deadline on a frame in progress.
   */
  get inFrame(): boolean {
    return this.payload !== undefined || this.headerBytes > 0;
  }

  /** Feeds a chunk; returns the payloads it completed, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure) throw this.failure;
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.payload === undefined) {
        this.header = (this.header << 8) | (chunk[offset] as number);
        this.headerBytes += 1;
        offset += 1;
        if (this.headerBytes < FRAME_HEADER_LENGTH) continue;
        const length = this.header;
        this.header = 0;
        this.headerBytes = 0;
        if (length > this.maxFrameLength) {
          this.failure = new ProtocolError(
            'frame-too-large',
            `frame declares ${length} bytes, more than the limit of ${this.maxFrameLength}`,
          );
          throw this.failure;
        }
        this.payload = new Uint8Array(length);
        this.filled = 0;
      }
      const take = Math.min(this.payload.length - this.filled, chunk.length - offset);
      this.payload.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.payload.length) {
        frames.push(this.payload);
        this.payload = undefined;
        this.filled = 0;
      }
    }
    return frames;
  }

  /** Declares the end of the stream; throws `truncated-frame` if it ended inside a frame. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.payload !== undefined || this.headerBytes > 0) {
      const expected = this.payload === undefined ? 'a 2-byte length prefix' : `${this.payload.length} payload bytes`;
      const got = this.payload === undefined ? this.headerBytes : this.filled;
      this.failure = new ProtocolError('truncated-frame', `stream ended inside a frame: expected ${expected}, got ${got}`);
      throw this.failure;
    }
  }
}

/** Frames one payload: text is encoded as UTF-8 first. */
export function encodeFrame(payload: string | Uint8Array, maxFrameLength: number = MAX_FRAME_LENGTH): Uint8Array {
  const limit = checkMaxFrameLength(maxFrameLength);
  const bytes = typeof payload === 'string' ? utf8Encoder.encode(payload) : payload;
  if (bytes.length > limit) {
    throw new ProtocolError('frame-too-large', `payload of ${bytes.length} bytes exceeds the frame limit of ${limit}`);
  }
  const frame = new Uint8Array(FRAME_HEADER_LENGTH + bytes.length);
  frame[0] = bytes.length >>> 8;
  frame[1] = bytes.length & 0xff;
  frame.set(bytes, FRAME_HEADER_LENGTH);
  return frame;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decodes a payload as strict UTF-8 (a BOM is dropped); invalid bytes give `invalid-utf8`. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new ProtocolError('invalid-utf8', `payload of ${bytes.length} bytes is not valid UTF-8`);
  }
}

export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}
