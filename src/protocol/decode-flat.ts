// The connector's everyday messages read in one pass (issue 18): a document
// exactly as our encoder writes a message whose fields present are all
// scalars — `callState`, `ack`, `keepalive`, `lineState`, a `result` that is
// ok, … — is read straight from the string into the message: our
// declaration, the envelope with the channel's name, `<command>`, then the
// catalogue's elements in catalogue order, each holding text without white
// space other than the space and without `>` (a German caller's name with `ä`
// or `&amp;` included). No element tree, no lookup table, no second walk: on a
// loop that sleeps between popups each piece of code a popup touches costs
// many times its hot cost (bench/cold-path.ts). Anything else — an object or
// a list, another order, an unknown or repeated element, white space, a bad
// reference, a self-closed element, a value the field refuses, a limit within
// reach — returns undefined and the codec's full path decides, with its error
// when the document is bad. The rules across fields are the codec's to check.
// test/protocol/decode-flat.property.test.ts checks that the two agree.
import { fieldsOf } from './catalogue.ts';
import { FieldProblem, readScalar, type FieldSpec } from './fields.ts';
import { ProtocolError } from './errors.ts';
import { ENVELOPE_ELEMENT, XML_DECLARATION, type XmlLimits } from './limits.ts';
import { CHANNELS, type Channel } from './messages.ts';
import { utf8Length } from './xml.ts';
import { ends, reference } from './xml-lexis.ts';

const START = `${XML_DECLARATION}<${ENVELOPE_ELEMENT} name="`;
const END = `</${ENVELOPE_ELEMENT}>`;
const COMMAND_OPEN = '"><command>';
const COMMAND_CLOSE = '</command>';

/**
 * A field and its element's tags. An object or a list is never taken here: its element holds elements (the
 * text before its end tag is not plain), or nothing, which `readScalar` refuses.
 */
interface Tagged {
  spec: FieldSpec;
  open: string;
  close: string;
}
const TAGGED = new WeakMap<readonly FieldSpec[], readonly Tagged[]>();

/** `specs` with their tags, made once per field list. */
function tagged(specs: readonly FieldSpec[]): readonly Tagged[] {
  let found = TAGGED.get(specs);
  if (found === undefined) {
    found = specs.map((spec) => ({ spec, open: `<${spec.key}>`, close: `</${spec.key}>` }));
    TAGGED.set(specs, found);
  }
  return found;
}

// What `textEnd` saw besides plain ASCII, read right after it (no result object per element; as xml-lexis's `ends`).
const seen = { reference: false, wide: false };

/**
 * The index of the `<` that ends an element's text starting at `from`, or -1 when the text holds what the
 * full scan must judge: `>` (so never `]]>`), or a control character (white space included: the full scan
 * turns a CR into a LF; every field refuses control characters or trims them, so this only keeps the
 * reasoning short). Notes a reference and a character beyond ASCII in `seen` (a character XML does not allow
 * is refused by the field's own check: text by `textProblem`, the other types by their format).
 */
function textEnd(xml: string, from: number): number {
  seen.reference = false;
  for (let i = from; i < xml.length; i += 1) {
    const c = xml.charCodeAt(i);
    if (c === 0x3c) return i;
    if (c < 0x20 || c === 0x3e) return -1;
    if (c === 0x26) seen.reference = true;
    else if (c > 0x7e) seen.wide = true;
  }
  return -1;
}

/** The text between `from` and `to` with its references decoded as the full scan decodes them; undefined for a bad one. */
function textOf(xml: string, from: number, to: number): string | undefined {
  if (!seen.reference) return xml.slice(from, to);
  let out = '';
  let last = from;
  try {
    // A reference ends at its `;` or is refused before the text's `<`: it never reaches past `to`.
    for (let i = xml.indexOf('&', from); i >= 0 && i < to; i = xml.indexOf('&', last)) {
      out += xml.slice(last, i) + reference(xml, i);
      last = ends.reference;
    }
  } catch (err) {
    if (err instanceof ProtocolError) return undefined;
    throw err;
  }
  return out + xml.slice(last, to);
}

/** The channel exactly as our encoder writes it (lower case), or undefined. */
function channelAt(xml: string, from: number, to: number): Channel | undefined {
  for (const c of CHANNELS) if (to - from === c.length && xml.startsWith(c, from)) return c;
  return undefined;
}

/**
 * The message a flat document holds (its fields present all scalars), or undefined when the document is not one
 * (the codec's full path decides then). Whatever this returns, the full path returns too, equal and with
 * the keys in the same order: channel, command, then the fields in catalogue order.
 */
export function decodeFlat(xml: string, limits: XmlLimits): Record<string, unknown> | undefined {
  // Two levels; elements counted, and the size in bytes checked once the text is known to be ASCII or not, below.
  if (limits.maxDepth < 2 || xml.length > limits.maxDocumentBytes || !xml.startsWith(START)) return undefined;
  seen.wide = false;
  const channelEnd = xml.indexOf('"', START.length);
  if (channelEnd < 0 || !xml.startsWith(COMMAND_OPEN, channelEnd)) return undefined;
  const channel = channelAt(xml, START.length, channelEnd);
  if (channel === undefined) return undefined;
  const commandFrom = channelEnd + COMMAND_OPEN.length;
  const commandEnd = xml.indexOf('<', commandFrom);
  if (commandEnd < 0 || !xml.startsWith(COMMAND_CLOSE, commandEnd)) return undefined;
  // Only the catalogue's names are taken as they stand: anything to trim or decode is not one, and is the full path's.
  const command = xml.slice(commandFrom, commandEnd);
  const specs = fieldsOf(channel, command);
  if (specs === undefined) return undefined;
  const out: Record<string, unknown> = { channel, command };
  let pos = commandEnd + COMMAND_CLOSE.length;
  let elements = 2;
  for (const { spec, open, close } of tagged(specs)) {
    if (!xml.startsWith(open, pos)) {
      if (spec.optional === true) continue;
      return undefined;
    }
    const from = pos + open.length;
    const to = textEnd(xml, from);
    if (to < 0 || !xml.startsWith(close, to)) return undefined;
    const text = textOf(xml, from, to);
    if (text === undefined) return undefined;
    elements += 1;
    try {
      out[spec.key] = readScalar(spec.type, text);
    } catch (err) {
      if (err instanceof FieldProblem) return undefined;
      throw err;
    }
    pos = to + close.length;
  }
  if (elements > limits.maxElements || pos + END.length !== xml.length || !xml.endsWith(END)) return undefined;
  return seen.wide && utf8Length(xml) > limits.maxDocumentBytes ? undefined : out;
}
