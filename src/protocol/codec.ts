// XML document ⇄ TapiMessage, driven by the catalogue. Versioning rules of
// spec/protocol.md live here: unknown elements are ignored, an unknown command
// is an `unknown-command` error carrying the channel (so the receiver can reply
// on it), GUIDs are normalised, the manual's `auto`/`manuell` accepted in any case.
import { fieldsOf } from './catalogue.ts';
import { decodeFlat } from './decode-flat.ts';
import { ProtocolError, type ProtocolErrorCode, type ProtocolErrorContext } from './errors.ts';
import { FieldProblem, readScalar, writeScalar, type FieldSpec, type FieldType } from './fields.ts';
import { decodeUtf8, encodeFrame } from './frame.ts';
import { DEFAULT_XML_LIMITS, ENVELOPE_ELEMENT, MAX_FRAME_LENGTH, XML_DECLARATION, type XmlLimits } from './limits.ts';
import { CHANNELS, type Channel, type TapiMessage } from './messages.ts';
import { escapeXml, parseXml, type BuildElement, type XmlElement } from './xml.ts';

export interface DecodeOptions {
  limits?: Partial<XmlLimits>;
}

type Fields = Record<string, unknown>;

class Failure {
  constructor(
    readonly code: ProtocolErrorCode,
    readonly path: string,
    readonly reason: string,
  ) {}
}

function limitsOf(options: DecodeOptions): XmlLimits {
  return options.limits ? { ...DEFAULT_XML_LIMITS, ...options.limits } : DEFAULT_XML_LIMITS;
}

function childrenByName(element: XmlElement): Map<string, XmlElement[]> {
  const map = new Map<string, XmlElement[]>();
  for (const child of element.children) {
    const list = map.get(child.name);
    if (list) list.push(child);
    else map.set(child.name, [child]);
  }
  return map;
}

function decodeValue(type: FieldType, element: XmlElement, prefix: string, name: string): unknown {
  if (type.kind === 'object') return decodeFields(type.fields, element, `${prefix}${name}/`);
  if (type.kind === 'list') {
    const items = element.children.filter((c) => c.name === type.item);
    if (items.length > type.max) throw new Failure('invalid-field', prefix + name, `has ${items.length} <${type.item}> elements, at most ${type.max} allowed`);
    return items.map((item, i) => decodeValue(type.type, item, `${prefix}${name}/`, `${type.item}[${i + 1}]`));
  }
  if (element.children.length > 0) throw new Failure('invalid-field', prefix + name, 'must hold text, not elements');
  try {
    return readScalar(type, element.text);
  } catch (err) {
    if (err instanceof FieldProblem) throw new Failure('invalid-field', prefix + name, err.reason);
    throw err;
  }
}

/**
 * Reads the fields of `specs` from `parent`'s children into `out`. Paths (for errors) are built only
 * when something fails: decoding runs for every call event and notification (issue 18).
 */
function decodeFields(specs: readonly FieldSpec[], parent: XmlElement, prefix: string, byName = childrenByName(parent), out: Fields = {}): Fields {
  for (const spec of specs) {
    const found = byName.get(spec.key);
    if (found === undefined) {
      if (spec.optional) continue;
      throw new Failure('missing-field', prefix + spec.key, 'is required');
    }
    if (found.length > 1) throw new Failure('invalid-field', prefix + spec.key, `appears ${found.length} times, once allowed`);
    out[spec.key] = decodeValue(spec.type, found[0] as XmlElement, prefix, spec.key);
  }
  return out;
}

/** Rules that span fields. Returns the offending path and reason, if any. */
function crossFieldProblem(fields: Fields): Failure | undefined {
  if (typeof fields.ok === 'boolean') {
    if (!fields.ok && fields.error === undefined) return new Failure('missing-field', 'error', 'is required when ok is false');
    if (fields.ok && fields.error !== undefined) return new Failure('invalid-field', 'error', 'must be absent when ok is true');
  }
  if (fields.e164 !== undefined && fields.extension !== undefined) {
    return new Failure('invalid-field', 'extension', 'must be absent when e164 is present (a number is external or internal)');
  }
  if (typeof fields.firstTimestamp === 'string' && typeof fields.lastTimestamp === 'string' && fields.firstTimestamp > fields.lastTimestamp) {
    return new Failure('invalid-field', 'lastTimestamp', 'is earlier than firstTimestamp');
  }
  return undefined;
}

function toError(failure: Failure, what: string, context: ProtocolErrorContext): ProtocolError {
  return new ProtocolError(failure.code, `${what}: <${failure.path}> ${failure.reason}`, { ...context, field: failure.path });
}

/** A requestId good enough to address an error reply, read before full validation. */
function peekRequestId(byName: Map<string, XmlElement[]>): string | undefined {
  const el = byName.get('requestId')?.[0];
  if (el === undefined) return undefined;
  return /^[\x21-\x7e]{1,128}$/.test(el.text) ? el.text : undefined;
}

/** Decodes one XML document into a message, or throws a ProtocolError. */
export function decodeMessage(xml: string, options: DecodeOptions = {}): TapiMessage {
  const limits = limitsOf(options);
  // A connector's everyday document in one pass (decode-flat.ts); anything else, or a rule across fields broken, the full path.
  const flat = decodeFlat(xml, limits);
  if (flat !== undefined && crossFieldProblem(flat) === undefined) return flat as unknown as TapiMessage;
  return decodeFully(xml, limits);
}

/** `decodeMessage` without the one-pass reader: the reference it is checked against (test/protocol/decode-flat.property.test.ts). */
export function decodeFully(xml: string, limits: XmlLimits = DEFAULT_XML_LIMITS): TapiMessage {
  const root = parseXml(xml, limits);
  if (root.name !== ENVELOPE_ELEMENT) {
    throw new ProtocolError('invalid-envelope', `root element <${root.name.slice(0, 64)}> is not <${ENVELOPE_ELEMENT}>`);
  }
  const name = root.attributes.name;
  if (name === undefined) throw new ProtocolError('missing-field', `<${ENVELOPE_ELEMENT}> has no name attribute (the channel)`, { field: '@name' });
  const channel = CHANNELS.find((c) => c === name.trim().toLowerCase());
  if (channel === undefined) throw new ProtocolError('unknown-channel', `unknown channel "${name.slice(0, 64)}"; known: ${CHANNELS.join(', ')}`);
  const byName = childrenByName(root);
  const requestId = peekRequestId(byName);
  const commands = byName.get('command');
  if (commands === undefined) throw new ProtocolError('missing-field', `${channel}: <command> is required`, { channel, requestId, field: 'command' });
  if (commands.length > 1 || (commands[0] as XmlElement).children.length > 0) {
    throw new ProtocolError('invalid-field', `${channel}: exactly one <command> holding text is allowed`, { channel, requestId, field: 'command' });
  }
  const command = (commands[0] as XmlElement).text.trim();
  const specs = fieldsOf(channel, command);
  if (specs === undefined) {
    throw new ProtocolError('unknown-command', `channel ${channel} has no command "${command.slice(0, 64)}"`, { channel, command, requestId });
  }
  const context = { channel, command, requestId };
  try {
    // channel and command first, then the fields in catalogue order: the key order callers see.
    const message = decodeFields(specs, root, '', byName, { channel, command });
    const problem = crossFieldProblem(message);
    if (problem) throw problem;
    return message as unknown as TapiMessage;
  } catch (err) {
    if (err instanceof Failure) throw toError(err, `${channel}/${command}`, context);
    throw err;
  }
}

/** Decodes a frame payload: strict UTF-8, then `decodeMessage`. */
export function decodePayload(payload: Uint8Array, options: DecodeOptions = {}): TapiMessage {
  return decodeMessage(decodeUtf8(payload), options);
}

/**
 * What encoding emits, element by element: text for the wire (`TEXT`) or the element tree that the
 * reference builder takes in the differential tests (`TREE`). One walk checks and orders the fields
 * for both, so they cannot drift apart. `A` is an element's children as they accumulate.
 */
interface Emitter<E, A> {
  children(): A;
  add(children: A, element: E): A;
  leaf(name: string, text: string): E;
  node(name: string, children: A): E;
}

// Text is concatenated as it goes: no tree on the popup path (issue 18).
const TEXT: Emitter<string, string> = {
  children: () => '',
  add: (children, element) => children + element,
  leaf: (name, text) => `<${name}>${escapeXml(text)}</${name}>`,
  node: (name, children) => `<${name}>${children}</${name}>`,
};

const TREE: Emitter<BuildElement, BuildElement[]> = {
  children: () => [],
  add: (children, element) => {
    children.push(element);
    return children;
  },
  leaf: (name, text) => ({ name, text }),
  node: (name, children) => ({ name, children }),
};

/** `pathName`: how errors name it (a list item's name with its position). */
function encodeValue<E, A>(emit: Emitter<E, A>, type: FieldType, value: unknown, name: string, prefix: string, pathName = name): E {
  if (type.kind === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Failure('invalid-field', prefix + pathName, 'must be an object');
    return emit.node(name, encodeFields(emit, type.fields, value as Fields, `${prefix}${pathName}/`, emit.children()));
  }
  if (type.kind === 'list') {
    if (!Array.isArray(value)) throw new Failure('invalid-field', prefix + pathName, 'must be a list');
    if (value.length > type.max) throw new Failure('invalid-field', prefix + pathName, `has ${value.length} items, at most ${type.max} allowed`);
    let items = emit.children();
    for (let i = 0; i < value.length; i += 1) items = emit.add(items, encodeValue(emit, type.type, value[i], type.item, `${prefix}${pathName}/`, `${type.item}[${i + 1}]`));
    return emit.node(name, items);
  }
  let text: string;
  try {
    text = writeScalar(type, value);
  } catch (err) {
    if (err instanceof FieldProblem) throw new Failure('invalid-field', prefix + pathName, err.reason);
    throw err;
  }
  return emit.leaf(name, text);
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

/** Adds `value`'s fields to `out` in catalogue order. `skip`: keys of `value` that are not fields (the envelope's channel and command). */
function encodeFields<E, A>(emit: Emitter<E, A>, specs: readonly FieldSpec[], value: Fields, prefix: string, out: A, skip?: ReadonlySet<string>): A {
  checkKeys(specs, value, prefix, skip);
  for (const spec of specs) {
    const v = value[spec.key];
    if (v === undefined) {
      if (spec.optional) continue;
      throw new Failure('missing-field', prefix + spec.key, 'is required');
    }
    out = emit.add(out, encodeValue(emit, spec.type, v, spec.key, prefix));
  }
  return out;
}

const ENVELOPE_KEYS: ReadonlySet<string> = new Set(['channel', 'command']);

/** The channel, command and field list of a message about to be encoded, or the ProtocolError that refuses it. */
function envelopeOf(message: TapiMessage): { channel: Channel; command: string; specs: readonly FieldSpec[]; fields: Fields; requestId: string | undefined } {
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
  return { channel: channel as Channel, command, specs, fields, requestId: typeof fields.requestId === 'string' ? fields.requestId : undefined };
}

/** The envelope's checks and children (`<command>`, then the fields), handed to `wrap`; a Failure becomes the ProtocolError. */
function encodeEnvelope<E, A, R>(emit: Emitter<E, A>, message: TapiMessage, wrap: (channel: Channel, children: A) => R): R {
  const { channel, command, specs, fields, requestId } = envelopeOf(message);
  try {
    const problem = crossFieldProblem(fields);
    if (problem) throw problem;
    return wrap(channel, encodeFields(emit, specs, fields, '', emit.add(emit.children(), emit.leaf('command', command)), ENVELOPE_KEYS));
  } catch (err) {
    if (err instanceof Failure) throw toError(err, `${channel}/${command}`, { channel, command, requestId });
    throw err;
  }
}

/**
 * Encodes a message as an XML document with the manual's declaration. Input
 * is checked as strictly as decoding checks it (it may come from JSON), so
 * what this writes always decodes back to the same message. Written straight
 * to text, without the element tree (`messageTree`) that the reference builder
 * takes: byte for byte the same document (test/protocol/writer-differential.test.ts),
 * with a fraction of the garbage on the popup path (issue 18).
 */
export function encodeMessage(message: TapiMessage): string {
  return encodeEnvelope(TEXT, message, (channel, children) => `${XML_DECLARATION}<${ENVELOPE_ELEMENT} name="${escapeXml(channel)}">${children}</${ENVELOPE_ELEMENT}>`);
}

/**
 * The element tree of a message, checked as `encodeMessage` checks (the same walk): what the reference
 * builder (fast-xml-parser) serialises in the differential tests.
 */
export function messageTree(message: TapiMessage): BuildElement {
  return encodeEnvelope(TREE, message, (channel, children): BuildElement => ({ name: ENVELOPE_ELEMENT, attributes: { name: channel }, children }));
}

/** Encodes a message and frames it for TCP. */
export function encodeMessageFrame(message: TapiMessage, maxFrameLength: number = MAX_FRAME_LENGTH): Uint8Array {
  return encodeFrame(encodeMessage(message), maxFrameLength);
}

/** A copy safe to log: secrets replaced. */
export function redactMessage(message: TapiMessage): TapiMessage {
  if (message.command === 'register') return { ...message, connectorKey: '[redacted]' };
  return message;
}
