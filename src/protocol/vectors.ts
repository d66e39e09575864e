// Conformance vectors (spec/vectors/*.json, format in spec/vectors/README.md):
// the format and a pure checker, so our tests and any conformance runner
// judge an implementation the same way.
import { decodePayload, decodeMessage } from './codec.ts';
import { encodeMessage, encodeMessageFrame } from './encode.ts';
import { ProtocolError } from './errors.ts';
import { FrameDecoder } from './frame.ts';
import type { TapiMessage } from './messages.ts';

export interface Vector {
  name: string;
  description: string;
  /** `manual`: evidenced by the vendor manual; `designed`: our specification. */
  source?: 'manual' | 'designed';
  input: { xml: string } | { framedHex: string };
  options?: { maxFrameLength?: number; maxDepth?: number; maxElements?: number; maxDocumentBytes?: number };
  expect: { messages: unknown[] } | { error: string };
  /** Encoding `expect.messages` must reproduce the input exactly. */
  canonical?: boolean;
}

export interface VectorOutcome {
  messages?: TapiMessage[];
  error?: string;
  /** The encoder's output for `expect.messages` (XML text or framed hex), for canonical vectors. */
  encoded?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Checks the shape of a parsed vector file; returns a reason if it is not a vector. */
export function vectorProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'a vector is a JSON object';
  if (typeof v.name !== 'string' || v.name === '') return '"name" must be a non-empty string';
  if (typeof v.description !== 'string') return '"description" must be a string';
  const input = v.input;
  if (!isObject(input) || (typeof input.xml !== 'string') === (typeof input.framedHex !== 'string')) {
    return '"input" must hold exactly one of "xml" or "framedHex" (strings)';
  }
  if (typeof input.framedHex === 'string' && !/^(?:[0-9a-fA-F]{2})*$/.test(input.framedHex)) return '"input.framedHex" must be an even number of hex digits';
  const expect = v.expect;
  if (!isObject(expect) || Array.isArray(expect.messages) === (typeof expect.error === 'string')) {
    return '"expect" must hold exactly one of "messages" (a list) or "error" (a code)';
  }
  return undefined;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Runs one vector through our codecs. ProtocolErrors become `error`; anything else is a bug and propagates. */
export function runVector(vector: Vector): VectorOutcome {
  const o = vector.options ?? {};
  const limits = { ...(o.maxDepth !== undefined && { maxDepth: o.maxDepth }), ...(o.maxElements !== undefined && { maxElements: o.maxElements }), ...(o.maxDocumentBytes !== undefined && { maxDocumentBytes: o.maxDocumentBytes }) };
  const outcome: VectorOutcome = {};
  try {
    if ('xml' in vector.input) {
      outcome.messages = [decodeMessage(vector.input.xml, { limits })];
    } else {
      const decoder = new FrameDecoder(o.maxFrameLength !== undefined ? { maxFrameLength: o.maxFrameLength } : {});
      const payloads = decoder.push(hexToBytes(vector.input.framedHex));
      decoder.end();
      outcome.messages = payloads.map((p) => decodePayload(p, { limits }));
    }
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    delete outcome.messages;
    outcome.error = err.code;
  }
  if (vector.canonical && 'messages' in vector.expect) {
    const expected = vector.expect.messages as TapiMessage[];
    outcome.encoded = 'xml' in vector.input ? expected.map((m) => encodeMessage(m)).join('') : expected.map((m) => bytesToHex(encodeMessageFrame(m))).join('');
  }
  return outcome;
}
