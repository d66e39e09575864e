import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { decodePayload, encodeFrame, encodeMessageFrame, FrameDecoder, ProtocolError } from '../../src/protocol/index.ts';
import { anyMessage } from './arbitraries.ts';
import { concat } from './bytes.ts';
import { codeOf } from './error-code.ts';

/** Splits bytes at the given cut points (sorted, deduplicated, within range). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

describe('FrameDecoder chunking', () => {
  test.prop([fc.array(anyMessage, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 40 })], { numRuns: 200 })(
    'any split of a stream yields the same messages in the same order',
    (messages, cuts) => {
      const stream = concat(messages.map((m) => encodeMessageFrame(m)));
      const decoder = new FrameDecoder();
      const out = split(stream, cuts).flatMap((chunk) => decoder.push(chunk));
      expect(out.map((p) => decodePayload(p))).toStrictEqual(messages);
      expect(decoder.bufferedBytes).toBe(0);
      decoder.end();
    },
  );

  it('handles the header split at the front, the middle and the end', () => {
    const frame = encodeFrame('<a/>');
    for (const chunks of [[frame.subarray(0, 1), frame.subarray(1)], [frame.subarray(0, 2), frame.subarray(2)], [frame.subarray(0, 5), frame.subarray(5)]]) {
      const decoder = new FrameDecoder();
      expect(chunks.flatMap((c) => decoder.push(c)).map((p) => new TextDecoder().decode(p))).toEqual(['<a/>']);
    }
  });

  it('tells whether a frame is in progress (inFrame)', () => {
    const decoder = new FrameDecoder();
    const frame = encodeFrame('<a/>');
    expect(decoder.inFrame).toBe(false);
    decoder.push(frame.subarray(0, 1));
    expect(decoder.inFrame).toBe(true);
    decoder.push(frame.subarray(1, 4));
    expect(decoder.inFrame).toBe(true);
    decoder.push(frame.subarray(4));
    expect(decoder.inFrame).toBe(false);
  });

  it('feeding one byte at a time yields every frame', () => {
    const stream = concat([encodeFrame('<a/>'), encodeFrame(''), encodeFrame('<bb/>')]);
    const decoder = new FrameDecoder();
    const out: string[] = [];
    for (const byte of stream) out.push(...decoder.push(Uint8Array.of(byte)).map((p) => new TextDecoder().decode(p)));
    expect(out).toEqual(['<a/>', '', '<bb/>']);
  });
});

describe('FrameDecoder limits and truncation', () => {
  it('refuses a declared length over the limit from the header alone, before buffering', () => {
    const decoder = new FrameDecoder({ maxFrameLength: 100 });
    expect(codeOf(() => decoder.push(Uint8Array.of(0, 101)))).toBe('frame-too-large');
    expect(decoder.bufferedBytes).toBe(0);
    // The stream cannot be resynchronised: the decoder stays failed.
    expect(codeOf(() => decoder.push(Uint8Array.of(0, 1, 65)))).toBe('frame-too-large');
  });

  it('accepts a frame of exactly the limit', () => {
    const decoder = new FrameDecoder({ maxFrameLength: 100 });
    expect(decoder.push(encodeFrame('x'.repeat(100)))).toHaveLength(1);
  });

  it('accepts the full 65,535 bytes by default', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(encodeFrame('y'.repeat(65_535)))[0]).toHaveLength(65_535);
  });

  it('refuses limits outside 1..65,535', () => {
    for (const bad of [0, 65_536, 1.5, -1, Number.NaN]) expect(codeOf(() => new FrameDecoder({ maxFrameLength: bad }))).toBe('invalid-field');
  });

  it('refuses to encode a payload over the limit', () => {
    expect(codeOf(() => encodeFrame('z'.repeat(65_536)))).toBe('frame-too-large');
    expect(codeOf(() => encodeFrame('z'.repeat(11), 10))).toBe('frame-too-large');
  });

  it('reports a stream that ends inside the header or the payload as truncated-frame', () => {
    for (const tail of [Uint8Array.of(0), Uint8Array.of(0, 5, 60, 97)]) {
      const decoder = new FrameDecoder();
      decoder.push(tail);
      expect(codeOf(() => decoder.end())).toBe('truncated-frame');
    }
  });

  it('reports invalid UTF-8 in a payload as invalid-utf8', () => {
    expect(codeOf(() => decodePayload(Uint8Array.of(0x3c, 0xff, 0x3e)))).toBe('invalid-utf8');
  });

  test.prop([fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 30 }), fc.integer({ min: 1, max: 65_535 })], { numRuns: 300 })(
    'random bytes give frames or ProtocolError, and never buffer more than one frame',
    (chunks, maxFrameLength) => {
      const decoder = new FrameDecoder({ maxFrameLength });
      try {
        for (const chunk of chunks) {
          for (const frame of decoder.push(chunk)) expect(frame.length).toBeLessThanOrEqual(maxFrameLength);
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(maxFrameLength + 2);
        }
        decoder.end();
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
      }
    },
  );
});
