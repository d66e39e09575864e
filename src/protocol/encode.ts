// TapiMessage -> XML document, driven by the catalogue (the other way is codec.ts). Input is checked
// as strictly as decoding checks it (it may come from JSON), so what this writes always decodes back
// to the same message.
import { fieldsOf } from './catalogue.ts';
import { ProtocolError } from './errors.ts';
import { crossFieldProblem, Failure, toError, type Fields } from './field-failure.ts';
import { FieldProblem, writeScalar, type FieldSpec, type FieldType } from './fields.ts';
import { encodeFrame } from './frame.ts';
import { ENVELOPE_ELEMENT, MAX_FRAME_LENGTH, XML_DECLARATION } from './limits.ts';
import { CHANNELS, type Channel, type TapiMessage } from './messages.ts';
import { escapeXml, type BuildElement } from './xml.ts';

/**
 * Where one walk over a message's fields goes, in document order: text for the wire (`TextWriter`)
 * or the element tree that the reference builder takes in the differential tests (`TreeWriter`).
 * One walk checks and orders the fields for both, so they cannot drift apart. A walk that fails
 * leaves its writer half-written; the writer is then dropped.
 */
interface Writer {
  open(name: string): void;
  leaf(name: string, text: string): void;
  close(name: string): void;
}

/** `<name>` and `</name>` of each element name, made once: names are the catalogue's, a fixed set. */
const TAGS = new Map<string, readonly [open: string, close: string]>();
function tags(name: string): readonly [string, string] {
  let t = TAGS.get(name);
  if (t === undefined) TAGS.set(name, (t = [`<${name}>`, `</${name}>`]));
  return t;
}

/**
 * The document as a list of pieces joined once at the end. Every notification is encoded on the
 * popup path (issue 18): concatenating as it went made five or so short-lived strings per element,
 * about 7 bytes of garbage per byte written; pieces that already exist (the tags, the values) make
 * none. The list is reused from message to message, written by index: emptied with `length = 0`,
 * V8 would drop its storage and grow it again for every message.
 */
class TextWriter implements Writer {
  #n = 0;
  constructor(private readonly parts: string[]) {}
  /** Writes `piece` as it is (the declaration and the envelope's tags). */
  raw(piece: string): void {
    this.parts[this.#n] = piece;
    this.#n += 1;
  }
  open(name: string): void {
    this.raw(tags(name)[0]);
  }
  leaf(name: string, text: string): void {
    const t = tags(name);
    this.raw(t[0]);
    this.raw(escapeXml(text));
    this.raw(t[1]);
  }
  close(name: string): void {
    this.raw(tags(name)[1]);
  }
  /** The document: the pieces written, joined. */
  text(): string {
    if (this.parts.length !== this.#n) this.parts.length = this.#n;
    return this.parts.join('');
  }
}

class TreeWriter implements Writer {
  /** The children of each element still open, innermost last; the first is the envelope's. */
  readonly #open: BuildElement[][] = [[]];
  get children(): BuildElement[] {
    return this.#open[0] as BuildElement[];
  }
  open(): void {
    this.#open.push([]);
  }
  leaf(name: string, text: string): void {
    this.#innermost().push({ name, text });
  }
  close(name: string): void {
    const children = this.#open.pop() as BuildElement[];
    this.#innermost().push({ name, children });
  }
  #innermost(): BuildElement[] {
    return this.#open[this.#open.length - 1] as BuildElement[];
  }
}

/** `pathName`: how errors name it (a list item's name with its position). */
function writeValue(out: Writer, type: FieldType, value: unknown, name: string, prefix: string, pathName = name): void {
  if (type.kind === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Failure('invalid-field', prefix + pathName, 'must be an object');
    out.open(name);
    writeFields(out, type.fields, value as Fields, `${prefix}${pathName}/`);
    out.close(name);
    return;
  }
  if (type.kind === 'list') {
    if (!Array.isArray(value)) throw new Failure('invalid-field', prefix + pathName, 'must be a list');
    if (value.length > type.max) throw new Failure('invalid-field', prefix + pathName, `has ${value.length} items, at most ${type.max} allowed`);
    out.open(name);
    for (let i = 0; i < value.length; i += 1) writeValue(out, type.type, value[i], type.item, `${prefix}${pathName}/`, `${type.item}[${i + 1}]`);
    out.close(name);
    return;
  }
  let text: string;
  try {
    text = writeScalar(type, value);
  } catch (err) {
    if (err instanceof FieldProblem) throw new Failure('invalid-field', prefix + pathName, err.reason);
    throw err;
  }
  out.leaf(name, text);
}

/** The keys of each field list, made once: encoding checks every message's keys against them. */
const KNOWN_KEYS = new WeakMap<readonly FieldSpec[], ReadonlySet<string>>();
function knownKeys(specs: readonly FieldSpec[]): ReadonlySet<string> {
  let known = KNOWN_KEYS.get(specs);
  if (known === undefined) KNOWN_KEYS.set(specs, (known = new Set(specs.map((s) => s.key))));
  return known;
}

/** Refuses a key of `value` that is none of `specs`' fields (nor in `skip`: the envelope's channel and command). */
function checkKeys(specs: readonly FieldSpec[], value: Fields, prefix: string, skip: ReadonlySet<string> | undefined): void {
  const known = knownKeys(specs);
  for (const key in value) {
    if (!known.has(key) && value[key] !== undefined && skip?.has(key) !== true && Object.hasOwn(value, key)) throw new Failure('invalid-field', prefix + key, 'is not a field of this message');
  }
}

/** Writes `value`'s fields in catalogue order. `skip`: keys of `value` that are not fields (the envelope's channel and command). */
function writeFields(out: Writer, specs: readonly FieldSpec[], value: Fields, prefix: string, skip?: ReadonlySet<string>): void {
  checkKeys(specs, value, prefix, skip);
  for (const spec of specs) {
    const v = value[spec.key];
    if (v === undefined) {
      if (spec.optional) continue;
      throw new Failure('missing-field', prefix + spec.key, 'is required');
    }
    writeValue(out, spec.type, v, spec.key, prefix);
  }
}

const ENVELOPE_KEYS: ReadonlySet<string> = new Set(['channel', 'command']);

interface Envelope {
  channel: Channel;
  command: string;
  specs: readonly FieldSpec[];
  fields: Fields;
}

/** The channel, command and field list of a message about to be encoded, or the ProtocolError that refuses it. */
function envelopeOf(message: TapiMessage): Envelope {
  const m = message as unknown;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new ProtocolError('invalid-field', 'a message must be an object');
  const fields = m as Fields;
  const { channel, command } = fields;
  if (typeof channel !== 'string') throw new ProtocolError('missing-field', 'message has no channel', { field: 'channel' });
  if (!(CHANNELS as readonly string[]).includes(channel)) {
    throw new ProtocolError('unknown-channel', `unknown channel "${channel.slice(0, 64)}"; known: ${CHANNELS.join(', ')}`);
  }
  if (typeof command !== 'string') throw new ProtocolError('missing-field', `${channel}: message has no command`, { channel, field: 'command' });
  const specs = fieldsOf(channel as Channel, command);
  if (specs === undefined) throw new ProtocolError('unknown-command', `channel ${channel} has no command "${command.slice(0, 64)}"`, { channel, command });
  return { channel: channel as Channel, command, specs, fields };
}

/** The envelope's children (`<command>`, then the fields) written to `out`; a Failure becomes the ProtocolError. */
function writeEnvelope(out: Writer, { channel, command, specs, fields }: Envelope): void {
  try {
    const problem = crossFieldProblem(fields);
    if (problem) throw problem;
    out.leaf('command', command);
    writeFields(out, specs, fields, '', ENVELOPE_KEYS);
  } catch (err) {
    if (err instanceof Failure) throw toError(err, `${channel}/${command}`, { channel, command, requestId: typeof fields.requestId === 'string' ? fields.requestId : undefined });
    throw err;
  }
}

/** The declaration and the envelope's start tag of each channel, made once. */
const HEADS = new Map<Channel, string>(CHANNELS.map((c) => [c, `${XML_DECLARATION}<${ENVELOPE_ELEMENT} name="${escapeXml(c)}">`]));
const ENVELOPE_END = `</${ENVELOPE_ELEMENT}>`;

/** The pieces' list, reused while no encoding is under way (one could only start inside another through a getter on a message). */
let spareParts: string[] | undefined = [];

/**
 * Encodes a message as an XML document with the manual's declaration. Written straight to text,
 * without the element tree (`messageTree`) that the reference builder takes: byte for byte the same
 * document (test/protocol/writer-differential.test.ts).
 */
export function encodeMessage(message: TapiMessage): string {
  const envelope = envelopeOf(message);
  const parts = spareParts ?? [];
  spareParts = undefined;
  const out = new TextWriter(parts);
  try {
    out.raw(HEADS.get(envelope.channel) as string);
    writeEnvelope(out, envelope);
    out.raw(ENVELOPE_END);
    return out.text();
  } finally {
    // Written or refused half-way, the list keeps no piece of the message (a value may be a secret).
    parts.fill('');
    spareParts = parts;
  }
}

/**
 * The element tree of a message, checked as `encodeMessage` checks (the same walk): what the reference
 * builder (fast-xml-parser) serialises in the differential tests.
 */
export function messageTree(message: TapiMessage): BuildElement {
  const envelope = envelopeOf(message);
  const out = new TreeWriter();
  writeEnvelope(out, envelope);
  return { name: ENVELOPE_ELEMENT, attributes: { name: envelope.channel }, children: out.children };
}

/** Encodes a message and frames it for TCP. */
export function encodeMessageFrame(message: TapiMessage, maxFrameLength: number = MAX_FRAME_LENGTH): Uint8Array {
  return encodeFrame(encodeMessage(message), maxFrameLength);
}
