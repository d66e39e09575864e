// XML document ⇄ TapiMessage, driven by the catalogue. Versioning rules of
// spec/protocol.md live here: unknown elements are ignored, an unknown command
// is an `unknown-command` error carrying the channel (so the receiver can reply
// on it), GUIDs are normalised, the manual's `auto`/`manuell` accepted in any case.
import { fieldsOf } from './catalogue.ts';
import { ProtocolError, type ProtocolErrorCode, type ProtocolErrorContext } from './errors.ts';
import { FieldProblem, readScalar, writeScalar, type FieldSpec, type FieldType } from './fields.ts';
import { decodeUtf8, encodeFrame } from './frame.ts';
import { DEFAULT_XML_LIMITS, ENVELOPE_ELEMENT, MAX_FRAME_LENGTH, type XmlLimits } from './limits.ts';
import { CHANNELS, type Channel, type TapiMessage } from './messages.ts';
import { buildXml, parseXml, type BuildElement, type XmlElement } from './xml.ts';

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

function decodeValue(type: FieldType, element: XmlElement, path: string): unknown {
  if (type.kind === 'object') return decodeFields(type.fields, element, `${path}/`);
  if (type.kind === 'list') {
    const items = element.children.filter((c) => c.name === type.item);
    if (items.length > type.max) throw new Failure('invalid-field', path, `has ${items.length} <${type.item}> elements, at most ${type.max} allowed`);
    return items.map((item, i) => decodeValue(type.type, item, `${path}/${type.item}[${i + 1}]`));
  }
  if (element.children.length > 0) throw new Failure('invalid-field', path, 'must hold text, not elements');
  try {
    return readScalar(type, element.text);
  } catch (err) {
    if (err instanceof FieldProblem) throw new Failure('invalid-field', path, err.reason);
    throw err;
  }
}

function decodeFields(specs: readonly FieldSpec[], parent: XmlElement, prefix: string): Fields {
  const byName = childrenByName(parent);
  const out: Fields = {};
  for (const spec of specs) {
    const found = byName.get(spec.key);
    const path = prefix + spec.key;
    if (found === undefined) {
      if (spec.optional) continue;
      throw new Failure('missing-field', path, 'is required');
    }
    if (found.length > 1) throw new Failure('invalid-field', path, `appears ${found.length} times, once allowed`);
    out[spec.key] = decodeValue(spec.type, found[0] as XmlElement, path);
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
  const root = parseXml(xml, limitsOf(options));
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
    const fields = decodeFields(specs, root, '');
    const problem = crossFieldProblem(fields);
    if (problem) throw problem;
    return { channel, command, ...fields } as TapiMessage;
  } catch (err) {
    if (err instanceof Failure) throw toError(err, `${channel}/${command}`, context);
    throw err;
  }
}

/** Decodes a frame payload: strict UTF-8, then `decodeMessage`. */
export function decodePayload(payload: Uint8Array, options: DecodeOptions = {}): TapiMessage {
  return decodeMessage(decodeUtf8(payload), options);
}

function encodeValue(type: FieldType, value: unknown, name: string, path: string): BuildElement {
  if (type.kind === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Failure('invalid-field', path, 'must be an object');
    return { name, children: encodeFields(type.fields, value as Fields, `${path}/`) };
  }
  if (type.kind === 'list') {
    if (!Array.isArray(value)) throw new Failure('invalid-field', path, 'must be a list');
    if (value.length > type.max) throw new Failure('invalid-field', path, `has ${value.length} items, at most ${type.max} allowed`);
    return { name, children: value.map((item: unknown, i) => encodeValue(type.type, item, type.item, `${path}/${type.item}[${i + 1}]`)) };
  }
  try {
    return { name, text: writeScalar(type, value) };
  } catch (err) {
    if (err instanceof FieldProblem) throw new Failure('invalid-field', path, err.reason);
    throw err;
  }
}

function encodeFields(specs: readonly FieldSpec[], value: Fields, prefix: string): BuildElement[] {
  const known = new Set(specs.map((s) => s.key));
  for (const key of Object.keys(value)) {
    if (!known.has(key) && value[key] !== undefined) throw new Failure('invalid-field', prefix + key, 'is not a field of this message');
  }
  const out: BuildElement[] = [];
  for (const spec of specs) {
    const v = value[spec.key];
    if (v === undefined) {
      if (spec.optional) continue;
      throw new Failure('missing-field', prefix + spec.key, 'is required');
    }
    out.push(encodeValue(spec.type, v, spec.key, prefix + spec.key));
  }
  return out;
}

/**
 * Encodes a message as an XML document with the manual's declaration. Input
 * is checked as strictly as decoding checks it (it may come from JSON), so
 * what this writes always decodes back to the same message.
 */
export function encodeMessage(message: TapiMessage): string {
  return buildXml(messageTree(message));
}

/** The element tree `encodeMessage` serialises, checked as strictly as decoding checks (see there). */
export function messageTree(message: TapiMessage): BuildElement {
  const m = message as unknown;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new ProtocolError('invalid-field', 'a message must be an object');
  const { channel, command, ...fields } = m as Fields;
  if (typeof channel !== 'string') throw new ProtocolError('missing-field', 'message has no channel', { field: 'channel' });
  if (!(CHANNELS as readonly string[]).includes(channel)) {
    throw new ProtocolError('unknown-channel', `unknown channel "${channel.slice(0, 64)}"; known: ${CHANNELS.join(', ')}`);
  }
  if (typeof command !== 'string') throw new ProtocolError('missing-field', `${channel}: message has no command`, { channel, field: 'command' });
  const specs = fieldsOf(channel as Channel, command);
  if (specs === undefined) throw new ProtocolError('unknown-command', `channel ${channel} has no command "${command.slice(0, 64)}"`, { channel, command });
  const requestId = typeof fields.requestId === 'string' ? fields.requestId : undefined;
  try {
    const problem = crossFieldProblem(fields);
    if (problem) throw problem;
    const children = [{ name: 'command', text: command }, ...encodeFields(specs, fields, '')];
    return { name: ENVELOPE_ELEMENT, attributes: { name: channel }, children };
  } catch (err) {
    if (err instanceof Failure) throw toError(err, `${channel}/${command}`, { channel, command, requestId });
    throw err;
  }
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
