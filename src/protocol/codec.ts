// XML document -> TapiMessage, driven by the catalogue (the other way is encode.ts). Versioning rules
// of spec/protocol.md live here: unknown elements are ignored, an unknown command is an
// `unknown-command` error carrying the channel (so the receiver can reply on it), GUIDs are
// normalised, the manual's `auto`/`manuell` accepted in any case.
import { fieldsOf } from './catalogue.ts';
import { decodeFlat } from './decode-flat.ts';
import { ProtocolError } from './errors.ts';
import { crossFieldProblem, Failure, toError, type Fields } from './field-failure.ts';
import { FieldProblem, readScalar, type FieldSpec, type FieldType } from './fields.ts';
import { decodeUtf8 } from './frame.ts';
import { DEFAULT_XML_LIMITS, ENVELOPE_ELEMENT, type XmlLimits } from './limits.ts';
import { CHANNELS, type TapiMessage } from './messages.ts';
import { parseXml, type XmlElement } from './xml.ts';

export interface DecodeOptions {
  limits?: Partial<XmlLimits>;
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

/** A copy safe to log: secrets replaced. */
export function redactMessage(message: TapiMessage): TapiMessage {
  if (message.command === 'register') return { ...message, connectorKey: '[redacted]' };
  return message;
}
